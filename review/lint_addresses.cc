// ipBlocks: NP014 ipblock-overlaps-pods, NP017 broad-cidr.
#include "review/lint_checks.h"

namespace netpolc::review {

void check_ipblocks(LintContext& cx) {
  for (const auto& p : cx.policies.policies)
    for (Direction d : {Direction::Ingress, Direction::Egress})
      for (size_t r = 0; r < p.rules(d).size(); ++r) {
        const Rule& rule = p.rules(d)[r];
        for (size_t j = 0; j < rule.peers.size(); ++j) {
          if (!rule.peers[j].ip_block) continue;
          const IpBlock& b = *rule.peers[j].ip_block;
          std::string field = peer_field(d, r, j) + ".ipBlock";
          std::vector<size_t> inside;
          for (size_t k = 0; k < cx.cluster.pods.size(); ++k) {
            const Pod& pod = cx.cluster.pods[k];
            if (!pod.enforced()) continue;
            for (const auto& ip : pod.ips) {
              bool in = contains(b.cidr, ip);
              for (const auto& e : b.except) in = in && !contains(e, ip);
              if (in) {
                inside.push_back(k);
                break;
              }
            }
          }
          if (!inside.empty())
            cx.add("NP014", b.loc, field,
                   "ipBlock " + ip_block_text(b) + " contains the addresses of " + plural(inside.size(), "pod", "pods") +
                       " (" + cx.pods_label(inside) + "): they match by address, which changes when a pod is "
                       "rescheduled, not by label",
                   "select pods with podSelector/namespaceSelector, and except the pod network from the ipBlock");
          int bits = family_bits(b.cidr.addr.family);
          bool broad = b.cidr.prefix < (b.cidr.addr.family == Family::V4 ? 8 : 16);
          if (!broad) continue;
          std::string size = b.cidr.prefix == 0 ? "every IPv" + std::string(bits == 32 ? "4" : "6") + " address"
                                                 : "2^" + std::to_string(bits - b.cidr.prefix) + " addresses";
          bool any_port = rule.ports.empty();
          cx.add("NP017", any_port ? LintLevel::Warning : LintLevel::Note, b.loc, field,
                 "ipBlock " + format_cidr(b.cidr) + " covers " + size +
                     (b.except.empty() ? "" : " except " + plural(b.except.size(), "range", "ranges")) +
                     (any_port ? ", on every port and protocol" : ""),
                 "name the networks actually needed; NetworkPolicy cannot match host names, so keep the CIDRs of the "
                 "services, not the internet");
        }
      }
}

}  // namespace netpolc::review
