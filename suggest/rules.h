// The rules of one suggested policy: from the flows its pods were denied, to
// peers (selectors, exact CIDRs, kube-dns) and ports (named where every
// destination pod declares the port by one name), merged into as few rules
// as give exactly those peer-port pairs.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "compiler/address.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"

namespace netpolc::suggest {

// The other end of a flow: an enforced pod, or an address that is none.
struct Target {
  long pod = -1;  // index into Cluster::pods, or -1
  IpAddr ip;
  bool dns = false;  // DNS (53/UDP or 53/TCP) to the cluster DNS
};

// A destination port and protocol, or every port and protocol (ICMP with
// --allow-icmp-as-all-ports).
struct PortKey {
  bool all = false;
  L4 protocol = L4::TCP;
  uint16_t port = 0;
  friend auto operator<=>(const PortKey& a, const PortKey& b) {
    return std::tie(a.all, a.port, a.protocol) <=> std::tie(b.all, b.port, b.protocol);
  }
  friend bool operator==(const PortKey&, const PortKey&) = default;
};

// One observed flow as the rule it needs.
struct Entry {
  size_t iso = 0;  // the isolated pod (index into Cluster::pods)
  Target target;
  PortKey port;
  size_t flow = 0;  // index into ObservedFlows::flows
};

struct BuiltRule {
  Rule rule;
  std::vector<size_t> entries;  // the entries it allows (indexes into the entries given)
  bool dns = false;             // it holds the kube-dns peer
  // Whether it allows only observed (pod, peer, port) combinations, the DNS
  // peer aside; if not, how many it allows that were not observed, and the
  // pod sets its selectors take together.
  bool exact = true;
  std::string unobserved;
  std::vector<std::vector<size_t>> blurs;
};

// A pod of the cluster DNS: labelled k8s-app=kube-dns in kube-system.
bool is_kube_dns(const Pod& pod);

// The rules of the policy of namespace `ns` for direction `d` whose
// podSelector selects the pods `selected`, from its entries. Sorted.
std::vector<BuiltRule> build_rules(const Cluster& cluster, const std::string& ns, Direction d,
                                   const std::vector<size_t>& selected, const std::vector<Entry>& entries);

}  // namespace netpolc::suggest
