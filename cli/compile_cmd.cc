// netpolc compile: inputs -> parse -> resolve -> emit -> write.
#include <cctype>
#include <memory>

#include "backends/nft_text.h"
#include "cli/commands.h"
#include "cli/pipeline.h"
#include "compiler/resolve.h"

namespace netpolc {

namespace {

struct CompileOptions {
  InputOptions inputs;
  std::string backend = "nft";
  std::string endpoint;
  std::string dns_carve_out = "none";
  std::string table = "netpolc";
  std::string output;
};

int run_compile(const CompileOptions& opt) {
  SourceFiles sources;
  Diagnostics diags;
  auto in = load_inputs(opt.inputs, sources, diags);
  if (!in) {
    print_diagnostics(diags, sources);
    return 1;
  }
  NftOptions nft;
  nft.table = opt.table;
  nft.dns_carve_out = opt.dns_carve_out == "cluster";
  if (!opt.endpoint.empty()) {
    long pod = find_pod(in->cluster, opt.endpoint, diags);
    if (pod >= 0 && !in->cluster.pods[size_t(pod)].enforced())
      diags.error({"--endpoint"}, "", "pod " + opt.endpoint +
                                          " is not enforced (hostNetwork, no IP, or finished)");
    nft.target = Target::Endpoint;
    nft.endpoint_pod = pod < 0 ? 0 : size_t(pod);
  }
  Program prog = resolve(in->cluster, in->policies, ResolveOptions{}, diags);
  print_diagnostics(diags, sources);
  if (diags.has_errors()) return 1;
  return write_output(opt.output, emit_nft(prog, in->cluster, nft)) ? 0 : 1;
}

}  // namespace

void add_input_options(CLI::App& sub, InputOptions& in) {
  sub.add_option("-s,--snapshot", in.snapshots, "cluster snapshot: kubectl YAML/JSON or a lab inventory (repeatable)")
      ->required();
  sub.add_option("-p,--policies", in.policies, "NetworkPolicy file, directory or - for stdin (repeatable)")
      ->required();
}

CommandRun setup_compile(CLI::App& sub) {
  auto opt = std::make_shared<CompileOptions>();
  add_input_options(sub, opt->inputs);
  sub.add_option("-b,--backend", opt->backend, "output format")
      ->check(CLI::IsMember({"nft"}))
      ->capture_default_str();
  sub.add_option("--endpoint", opt->endpoint, "the ruleset for the host that is this pod (NS/POD)");
  sub.add_option("--dns-carve-out", opt->dns_carve_out, "let every pod reach the cluster DNS on 53")
      ->check(CLI::IsMember({"none", "cluster"}))
      ->capture_default_str();
  sub.add_option("--table", opt->table, "name of the nftables table (family inet)")
      ->check(CLI::Validator(
          [](std::string& name) -> std::string {
            bool ok = !name.empty() && name.size() <= 64 && std::isalpha(static_cast<unsigned char>(name[0]));
            for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
            return ok ? "" : "a table name is a letter followed by letters, digits, '_' or '-' (at most 64)";
          },
          "NAME"))
      ->capture_default_str();
  sub.add_option("-o,--output", opt->output, "output file (default: stdout)");
  return [opt] { return run_compile(*opt); };
}

}  // namespace netpolc
