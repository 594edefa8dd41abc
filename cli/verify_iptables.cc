#include "cli/verify_iptables.h"

#include "backends/iptables_text.h"
#include "cli/apply_iptables.h"
#include "lab/netns.h"

namespace netpolc {

std::function<bool(const std::string& netns, const NftOptions& target, std::string* error)> iptables_loader(
    const Program& prog, const Cluster& cluster) {
  return [&prog, &cluster](const std::string& netns, const NftOptions& target, std::string* error) {
    lab::NetnsFd fd = lab::NetnsFd::open_named(netns, error);
    if (!fd.valid()) return false;
    for (Family f : {Family::V4, Family::V6}) {
      IptablesOptions ipt;
      ipt.family = f;
      ipt.target = target.target;
      ipt.endpoint_pod = target.endpoint_pod;
      ipt.dns_carve_out = target.dns_carve_out;
      IptablesOutput out = emit_iptables(prog, cluster, ipt);
      if (!load_iptables({f, target.target, out.rules, out.ipsets}, runner_in(fd.get()), error)) return false;
    }
    return true;
  };
}

}  // namespace netpolc
