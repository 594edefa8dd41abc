// netpolc explain: inputs -> parse -> resolve -> evaluate one flow -> print why.
#include <memory>

#include "cli/commands.h"
#include "cli/review_options.h"
#include "compiler/resolve.h"
#include "review/explain.h"

namespace netpolc {

namespace {

struct ExplainCmdOptions {
  InputOptions inputs;
  std::string from, to, port;
  std::string family;
  std::string format;
  std::string output;
};

// "ns/pod", "pod" (namespace default), or an address (a pod's or an outside one).
std::optional<review::Endpoint> find_endpoint(const Cluster& cluster, const std::string& text,
                                              const std::string& flag, Diagnostics& diags) {
  auto pods = review::pod_endpoints(cluster);
  if (auto ip = parse_ip(text)) {
    for (const auto& e : pods)
      for (const auto& a : cluster.pods[size_t(e.pod)].ips)
        if (a == *ip) {
          review::Endpoint pod = e;
          (ip->family == Family::V4 ? pod.v4 : pod.v6) = *ip;
          return pod;
        }
    return review::address_endpoint(*ip);
  }
  long pod = find_pod(cluster, text, diags, flag);
  if (pod < 0) return std::nullopt;
  for (const auto& e : pods)
    if (e.pod == pod) return e;
  const Pod& p = cluster.pods[size_t(pod)];
  diags.error({flag}, "", "pod " + p.ns + "/" + p.name +
                              " is not enforced (hostNetwork, no IP, or finished): no policy applies to it");
  return std::nullopt;
}

int run_explain(const ExplainCmdOptions& opt) {
  SourceFiles sources;
  Diagnostics diags;
  auto in = load_reported(opt.inputs, sources, diags);
  if (!in) return 1;
  Diagnostics args;
  auto from = find_endpoint(in->cluster, opt.from, "--from", args);
  auto to = find_endpoint(in->cluster, opt.to, "--to", args);
  auto probes = parse_probes({opt.port}, "--port", args);
  std::optional<Family> family;
  if (from && to) {
    review::Families want = families_of(opt.family);
    for (Family f : {Family::V4, Family::V6}) {
      bool wanted = want == review::Families::Both || (want == review::Families::V4) == (f == Family::V4);
      if (!family && wanted && from->addr(f) && to->addr(f)) family = f;
    }
    if (!family) args.error({"--from"}, "", opt.from + " and " + opt.to + " have no address family in common");
  }
  print_diagnostics(args, sources);
  if (args.has_errors()) return 2;
  Diagnostics resolve_diags;
  Program prog = resolve(in->cluster, in->policies, ResolveOptions{}, resolve_diags);
  auto e = review::explain(in->cluster, in->policies, prog, *from, *to, probes[0], *family);
  std::string text = opt.format == "json" ? review::explain_json(e).dump() : review::explain_text(e);
  if (!write_output(opt.output, text)) return 1;
  return e.compiled_allows == e.allowed ? 0 : 1;
}

}  // namespace

CommandRun setup_explain(CLI::App& sub) {
  auto opt = std::make_shared<ExplainCmdOptions>();
  add_input_options(sub, opt->inputs);
  sub.add_option("--from", opt->from, "the source: NS/POD or an address")->required();
  sub.add_option("--to", opt->to, "the destination: NS/POD or an address")->required();
  sub.add_option("--port", opt->port, "PORT/PROTOCOL (80/TCP, 53/UDP) or ICMP")->required();
  add_family_option(sub, opt->family);
  add_format_option(sub, opt->format, {"text", "json"});
  sub.add_option("-o,--output", opt->output, "output file (default: stdout)");
  return [opt] { return run_explain(*opt); };
}

}  // namespace netpolc
