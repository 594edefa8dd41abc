// netpolc verify: inputs -> parse -> resolve -> a lab of network namespaces
// with the rules applied over netlink -> real probes -> compared with the
// reference evaluator (see verify/verify.h).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/pipeline.h"
#include "cli/resolve_step.h"
#include "cli/verify_iptables.h"
#include "verify/verify.h"

namespace netpolc {

namespace {

struct VerifyCmdOptions {
  InputOptions inputs;
  TargetOptions target;
  std::string table = "netpolc";
  std::string backend = "nft";
  bool endpoint_mode = false;
  std::vector<std::string> externals;
  std::vector<std::string> ports;
  std::string output = "text";
  int timeout_ms = 500;
  bool break_rules = false;  // test hook
};

// "probing 2000/7000" on one line of a terminal.
void progress(const std::string& stage, size_t done, size_t total) {
  if (total)
    std::fprintf(stderr, "\r\033[Kverify: %s %zu/%zu", stage.c_str(), done, total);
  else
    std::fprintf(stderr, "\r\033[Kverify: %s", stage.c_str());
  std::fflush(stderr);
}

bool parse_options(const VerifyCmdOptions& opt, verify::Options* out, Diagnostics& diags) {
  for (const auto& e : opt.externals) {
    verify::External ext;
    std::string error;
    if (verify::parse_external(e, &ext, &error))
      out->plan.externals.push_back(ext);
    else
      diags.error({"--external"}, "", error);
  }
  for (const auto& p : opt.ports) {
    verify::External ext;
    std::string error;
    // The same syntax as an external host's ports.
    if (verify::parse_external("192.0.2.1:" + p, &ext, &error))
      out->plan.extra_ports.insert(out->plan.extra_ports.end(), ext.ports.begin(), ext.ports.end());
    else
      diags.error({"--ports"}, "", "bad port list '" + p + "'");
  }
  out->endpoint_mode = opt.endpoint_mode;
  out->timeout = std::chrono::milliseconds(opt.timeout_ms);
  out->break_rules = opt.break_rules;
  return !diags.has_errors();
}

int run_verify(const VerifyCmdOptions& opt) {
  Diagnostics diags;
  verify::Options vo;
  if (!parse_options(opt, &vo, diags)) {
    print_diagnostics(diags, SourceFiles{});
    return 2;
  }
  std::string why;
  if (!lab::lab_supported(&why)) {
    std::cerr << "error: verify builds a lab of network namespaces and cannot here: " << why << "\n";
    return 1;
  }
  auto r = load_and_resolve(opt.inputs, opt.target);
  if (!r) return 1;
  vo.nft = nft_options(*r, opt.table);
  if (opt.backend == "iptables") vo.load_rules = iptables_loader(r->program, r->inputs.cluster);
  vo.backend = opt.backend;
  bool tty = isatty(STDERR_FILENO);
  if (tty) vo.progress = progress;
  verify::Result result;
  bool ran = verify::run(r->inputs.cluster, r->inputs.policies, r->program, vo, &result, diags);
  if (tty) std::fprintf(stderr, "\r\033[K");
  print_diagnostics(diags, r->sources);
  if (!ran) return 1;
  std::cout << (opt.output == "json" ? verify::json_report(result) : verify::text_report(result)) << std::flush;
  return result.ok ? 0 : 1;
}

}  // namespace

CommandRun setup_verify(CLI::App& sub) {
  auto opt = std::make_shared<VerifyCmdOptions>();
  add_input_options(sub, opt->inputs);
  sub.add_option("-b,--backend", opt->backend, "rules to verify: nft (over netlink), or iptables (and ip6tables)")
      ->check(CLI::IsMember({"nft", "iptables"}))
      ->capture_default_str();
  add_dns_carve_out_option(sub, opt->target);
  add_table_option(sub, opt->table);
  sub.add_flag("--endpoint-mode", opt->endpoint_mode, "each pod's own ruleset in its namespace, not the gateway's");
  sub.add_option("--external", opt->externals,
                 "a host outside the cluster: IP[:PORT[/PROTO],...], [IPv6]:PORTS (repeatable)");
  sub.add_option("--ports", opt->ports, "more ports probed on every host: PORT[/PROTO],... (repeatable)");
  sub.add_option("--output", opt->output, "report format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub.add_option("--timeout-ms", opt->timeout_ms, "how long a probe waits for an answer")
      ->check(CLI::Range(10, 60000))
      ->capture_default_str();
  sub.add_flag("--test-break-rules", opt->break_rules, "test hook: every allowing rule drops instead")->group("");
  return [opt] { return run_verify(*opt); };
}

}  // namespace netpolc
