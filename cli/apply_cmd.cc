// netpolc apply: inputs -> parse -> resolve -> ruleset -> one netlink
// transaction in the kernel (see backends/netlink_apply.h). With
// -b iptables|ip6tables, the apply-iptables path (cli/apply_iptables.h).
#include <cstdio>
#include <iostream>
#include <memory>

#include "backends/netlink_apply.h"
#include "cli/apply_iptables.h"
#include "cli/commands.h"
#include "cli/pipeline.h"
#include "cli/resolve_step.h"

namespace netpolc {

namespace {

struct ApplyCmdOptions {
  InputOptions inputs;
  TargetOptions target;
  std::string table = "netpolc";
  std::string backend = "nft";
  bool table_given = false;
  bool ipset = false;
  std::string netns;
  bool check = false;
  bool full = false;
  std::string state_dir = "/run/netpolc";
  long break_rule = -1;  // test hook
  ReportOptions report;
};

std::string summary(const nl::ApplyReport& r, const nft::Ruleset& rs, const std::string& netns) {
  std::string where = netns.empty() ? "" : " in network namespace " + netns;
  std::string what = "table inet " + rs.table + where;
  char timing[128];
  std::snprintf(timing, sizeof timing, "%zu messages, %zu bytes, %.1f ms in the kernel, %.1f ms in all", r.messages,
                r.bytes, r.kernel_ms, r.total_ms);
  switch (r.kind) {
    case nl::ApplyReport::Kind::Checked:
      return "checked " + what + ": the kernel accepts it, nothing changed (" + timing + ")";
    case nl::ApplyReport::Kind::Updated: {
      char changes[160];
      std::snprintf(changes, sizeof changes, "%zu set elements added, %zu removed; %.1f ms %s, ", r.elements_added,
                    r.elements_removed, r.read_ms, r.read_back ? "reading the table back" : "from the saved state");
      return "updated " + what + ": " + changes + timing;
    }
    case nl::ApplyReport::Kind::Unchanged:
      return "table inet " + rs.table + where + " is up to date (" + timing + ")";
    case nl::ApplyReport::Kind::Replaced:
      break;
  }
  return "replaced " + what + " (" + timing + ")";
}

// Flags of one backend given to another: exit 2, as for any bad usage.
bool usage_ok(const ApplyCmdOptions& opt) {
  std::string wrong;
  if (opt.backend == "nft" && opt.ipset) wrong = "--ipset needs -b iptables or -b ip6tables";
  if (opt.backend != "nft" && opt.table_given)
    wrong = "--table names the nftables table; -b " + opt.backend + " has none";
  if (opt.backend != "nft" && opt.full) wrong = "--full is for -b nft";
  if (opt.backend != "nft" && (opt.report.audit || !opt.report.log_denied.empty()))
    wrong = "--audit and --log-denied are for -b nft";
  if (!wrong.empty()) std::cerr << "error: " << wrong << "\n";
  return wrong.empty();
}

int run_apply(const ApplyCmdOptions& opt) {
  if (!usage_ok(opt)) return 2;
  auto deny = deny_report(opt.report);
  if (!deny) return 2;
  auto r = load_and_resolve(opt.inputs, opt.target);
  if (!r) return 1;
  if (opt.backend != "nft")
    return apply_iptables(r->program, r->inputs.cluster, iptables_options(*r, opt.backend, opt.ipset), opt.netns,
                          opt.check);
  nft::Ruleset rs = nft::build_ruleset(r->program, r->inputs.cluster, nft_options(*r, opt.table, *deny));
  nl::ApplyOptions apply;
  apply.netns = opt.netns;
  apply.check = opt.check;
  apply.full = opt.full;
  apply.state_dir = opt.state_dir;
  if (opt.break_rule >= 0) apply.break_rule = size_t(opt.break_rule);
  Diagnostics diags;
  nl::ApplyReport report = nl::apply_ruleset(rs, apply, diags);
  print_diagnostics(diags, r->sources);
  if (!report.ok) return 1;
  std::printf("%s\n", summary(report, rs, opt.netns).c_str());
  return 0;
}

}  // namespace

CommandRun setup_apply(CLI::App& sub) {
  auto opt = std::make_shared<ApplyCmdOptions>();
  add_input_options(sub, opt->inputs);
  sub.add_option("-b,--backend", opt->backend, "nft (over netlink), or iptables / ip6tables (as apply-iptables)")
      ->check(CLI::IsMember({"nft", "iptables", "ip6tables"}))
      ->capture_default_str();
  add_target_options(sub, opt->target);
  auto* table = add_table_option(sub, opt->table);
  add_report_options(sub, opt->report);
  sub.add_flag("--ipset", opt->ipset, "-b iptables|ip6tables: address groups in ipsets (loaded first)");
  sub.add_option("--netns", opt->netns, "apply in the network namespace `ip netns` knows as NAME");
  sub.add_flag("--check", opt->check, "let the kernel validate the ruleset; change nothing");
  sub.add_flag("--full", opt->full, "replace the whole table even when only set elements changed");
  sub.add_option("--state-dir", opt->state_dir, "where incremental updates keep their state")
      ->capture_default_str()
      ->group("");
  sub.add_option("--test-break-rule", opt->break_rule, "test hook: make rule N refer to a missing set")->group("");
  return [opt, table] {
    opt->table_given = table->count() > 0;
    return run_apply(*opt);
  };
}

}  // namespace netpolc
