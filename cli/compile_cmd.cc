// netpolc compile: inputs -> parse -> resolve -> emit -> write.
#include <iostream>
#include <memory>

#include "backends/iptables_text.h"
#include "backends/nft_text.h"
#include "cli/commands.h"
#include "cli/pipeline.h"
#include "cli/resolve_step.h"

namespace netpolc {

namespace {

struct CompileOptions {
  InputOptions inputs;
  TargetOptions target;
  std::string backend = "nft";
  std::string table = "netpolc";
  bool table_given = false;
  std::string output;
  std::string ipset_output;
  ReportOptions report;
};

int write_nft(const CompileOptions& opt, const Resolved& r, const DenyReport& report) {
  return write_output(opt.output, emit_nft(r.program, r.inputs.cluster, nft_options(r, opt.table, report))) ? 0 : 1;
}

// -b iptables|ip6tables: the rules to -o, and with --ipset-out the ipsets
// there, written first (they are loaded first).
int write_iptables(const CompileOptions& opt, const Resolved& r) {
  IptablesOptions ipt = iptables_options(r, opt.backend, !opt.ipset_output.empty());
  IptablesOutput out = emit_iptables(r.program, r.inputs.cluster, ipt);
  if (ipt.ipset && !write_output(opt.ipset_output, out.ipsets)) return 1;
  return write_output(opt.output, out.rules) ? 0 : 1;
}

// Flag combinations that make no sense: exit 2, as for any bad usage.
bool usage_ok(const CompileOptions& opt) {
  const bool nft_backend = opt.backend == "nft";
  if (nft_backend && !opt.ipset_output.empty()) {
    std::cerr << "error: --ipset-out needs -b iptables or -b ip6tables\n";
    return false;
  }
  if (!nft_backend && (opt.report.audit || !opt.report.log_denied.empty())) {
    std::cerr << "error: --audit and --log-denied are for -b nft\n";
    return false;
  }
  if (!nft_backend && opt.table_given) {
    std::cerr << "error: --table names the nftables table; -b " << opt.backend << " has none\n";
    return false;
  }
  auto stdout_or = [](const std::string& path) { return path.empty() ? std::string("-") : path; };
  if (!opt.ipset_output.empty() && stdout_or(opt.ipset_output) == stdout_or(opt.output)) {
    std::cerr << "error: --ipset-out and -o name the same file\n";
    return false;
  }
  return true;
}

int run_compile(const CompileOptions& opt) {
  if (!usage_ok(opt)) return 2;
  auto report = deny_report(opt.report);
  if (!report) return 2;
  auto resolved = load_and_resolve(opt.inputs, opt.target);
  if (!resolved) return 1;
  return opt.backend == "nft" ? write_nft(opt, *resolved, *report) : write_iptables(opt, *resolved);
}

}  // namespace

CommandRun setup_compile(CLI::App& sub) {
  auto opt = std::make_shared<CompileOptions>();
  add_input_options(sub, opt->inputs);
  sub.add_option("-b,--backend", opt->backend, "output format")
      ->check(CLI::IsMember({"nft", "iptables", "ip6tables"}))
      ->capture_default_str();
  add_target_options(sub, opt->target);
  auto* table = add_table_option(sub, opt->table);
  add_report_options(sub, opt->report);
  sub.add_option("-o,--output", opt->output, "output file (default: stdout)");
  sub.add_option("--ipset-out", opt->ipset_output,
                 "-b iptables|ip6tables: address groups go into ipsets, written to this file for `ipset restore`");
  return [opt, table] {
    opt->table_given = table->count() > 0;
    return run_compile(*opt);
  };
}

}  // namespace netpolc
