// netpolc apply-iptables: inputs -> parse -> resolve -> emit -> load into the
// kernel with iptables-restore / ip6tables-restore (and ipset), see
// cli/apply_iptables.h. `netpolc apply -b iptables|ip6tables` does the same (cli/apply_cmd.cc).
#include <memory>

#include "cli/apply_iptables.h"
#include "cli/commands.h"
#include "cli/resolve_step.h"

namespace netpolc {

namespace {

struct ApplyIptablesOptions {
  InputOptions inputs;
  TargetOptions target;
  std::string backend = "iptables";
  bool ipset = false;
  std::string netns;
  bool check = false;
};

int run_apply_iptables(const ApplyIptablesOptions& opt) {
  auto r = load_and_resolve(opt.inputs, opt.target);
  if (!r) return 1;
  return apply_iptables(r->program, r->inputs.cluster, iptables_options(*r, opt.backend, opt.ipset), opt.netns,
                        opt.check);
}

}  // namespace

CommandRun setup_apply_iptables(CLI::App& sub) {
  auto opt = std::make_shared<ApplyIptablesOptions>();
  add_input_options(sub, opt->inputs);
  sub.add_option("-b,--backend", opt->backend, "which tables: IPv4 or IPv6")
      ->check(CLI::IsMember({"iptables", "ip6tables"}))
      ->capture_default_str();
  add_target_options(sub, opt->target);
  sub.add_flag("--ipset", opt->ipset, "put address groups into ipsets (loaded first)");
  sub.add_option("--netns", opt->netns, "load into the network namespace /run/netns/NAME");
  sub.add_flag("--check", opt->check, "load into a scratch network namespace only, to see whether the kernel takes it; change nothing");
  return [opt] { return run_apply_iptables(*opt); };
}

}  // namespace netpolc
