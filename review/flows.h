// The flow space the review commands look at: endpoints (enforced pods, DNS
// servers, outside addresses), the ports and protocols they probe, and how
// one endpoint reaches another, answered by the reference evaluator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "compiler/evaluator.h"
#include "compiler/ir.h"

namespace netpolc::review {

// One port and protocol to probe: "80/TCP", "53/UDP", "ICMP". `other` marks
// a port that no pod declares and no policy names, standing for "any other
// port of the protocol" (ICMP is always other).
struct Probe {
  L4 protocol = L4::TCP;
  uint16_t port = 0;
  bool other = false;

  std::string label() const;  // "80/TCP", "ICMP", "TCP (other ports)"
  friend bool operator==(const Probe&, const Probe&) = default;
  // Named ports by number, then protocol; the other ports last.
  friend auto operator<=>(const Probe& a, const Probe& b) {
    return std::tuple(a.other, a.port, a.protocol) <=> std::tuple(b.other, b.port, b.protocol);
  }
};

// "80/TCP", "80" (TCP), "53/udp", "ICMP". nullopt when malformed.
std::optional<Probe> parse_probe(std::string_view text);
// Sorted, duplicates removed.
void sort_probes(std::vector<Probe>& probes);

// Which address families a flow is evaluated on.
enum class Families : uint8_t { Both, V4, V6 };

struct Endpoint {
  enum class Kind : uint8_t { Pod, Dns, External };
  Kind kind = Kind::Pod;
  long pod = -1;     // index into Cluster::pods, or -1
  std::string name;  // "ns/pod", or a label for outside addresses
  std::optional<IpAddr> v4, v6;  // the address probed in each family

  const std::optional<IpAddr>& addr(Family f) const { return f == Family::V4 ? v4 : v6; }
};

// What one endpoint gets on one probe, over the families both have.
enum class Reach : uint8_t { Deny, Allow, V4Only, V6Only, NoPath };
char reach_char(Reach r);         // X . 4 6 -
const char* reach_name(Reach r);  // "deny", "allow", "ipv4-only", "ipv6-only", "no-common-family"
bool reach_allows_any(Reach r);   // allowed in at least one family

// How `from` reaches `to` on a probe. An endpoint always reaches itself (a pod
// talking to itself never leaves it).
Reach reach(const Evaluator& ev, const Endpoint& from, const Endpoint& to, const Probe& probe, Families families);

// The flow of one family, when both endpoints have an address of it.
std::optional<Flow> flow_of(const Endpoint& from, const Endpoint& to, const Probe& probe, Family f);

// The enforced pods, in cluster order (sorted by namespace and name).
std::vector<Endpoint> pod_endpoints(const Cluster& cluster);
// An address outside the cluster, named by itself.
Endpoint address_endpoint(const IpAddr& ip);
// The outside addresses the ipBlocks of `policy_sets` tell apart: one endpoint
// per set of addresses that every ipBlock either contains whole or not at all,
// pod addresses left out, with a representative address per family. Named
// after the most specific ipBlock containing it; "other addresses" for those
// no ipBlock contains. In address order.
std::vector<Endpoint> ipblock_endpoints(const Cluster& cluster,
                                        const std::vector<const PolicySet*>& policy_sets);

// Every port an enforced pod declares.
std::vector<Probe> declared_probes(const Cluster& cluster);
// The ports a pod declares.
std::vector<Probe> declared_probes(const Pod& pod);
// Every numeric port (the first of a range) a rule of `policies` names.
std::vector<Probe> policy_probes(const PolicySet& policies);
// One port per protocol that none of `named` contains (nor a rule's range of
// `policies`), standing for "every other port", and ICMP.
std::vector<Probe> other_probes(const std::vector<Probe>& named, const std::vector<const PolicySet*>& policy_sets);

// "x/allow-dns egress[0]": a policy rule as the nft rule comments name it.
std::string rule_label(const Policy& p, Direction d, size_t rule);
// "0.0.0.0/0 except 10.0.0.0/8".
std::string ip_block_text(const IpBlock& b);

// "1 pod", "2 pods".
std::string plural(size_t n, const char* one, const char* many);

// Pod names folded: sorted naturally, and names that differ only in a final
// number written once ("api-{0..3,7}").
std::vector<std::string> fold_names(std::vector<std::string> names);

// A readable name for a set of endpoints: pods folded by namespace
// ("x/{a,b}", "x/api-{0..11}", "y/*" for every enforced pod of y), others by
// name, at most `max_names` items per list before "+N more"; 0: no limit.
std::string group_label(const Cluster& cluster, const std::vector<Endpoint>& endpoints,
                        const std::vector<size_t>& members, size_t max_names = 0);

}  // namespace netpolc::review
