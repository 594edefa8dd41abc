// The reference evaluator: is this packet allowed? Written straight from the
// NetworkPolicy API text, one small predicate per field, with no indexes and
// no compilation, so that it can serve as the oracle for the backends and the
// kernel tests, and as the engine of `matrix` and `explain`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir.h"

namespace netpolc {

// ICMP means ICMP for IPv4 and ICMPv6 for IPv6; it has no port.
enum class L4 : uint8_t { TCP, UDP, SCTP, ICMP };
const char* l4_name(L4 p);  // "TCP", "UDP", "SCTP", "ICMP"

// A new connection from src to dst.
struct Flow {
  IpAddr src;
  IpAddr dst;
  L4 protocol = L4::TCP;
  uint16_t port = 0;
};

// A rule of a policy, by position.
struct RuleRef {
  size_t policy = 0;  // index into PolicySet::policies
  Direction direction = Direction::Ingress;
  size_t rule = 0;
};

// The decision of one side: the source's egress or the destination's ingress.
struct SideVerdict {
  long pod = -1;                       // the pod on this side, or -1 for an outside address
  std::vector<size_t> isolating;       // policies that select the pod for this direction
  std::optional<RuleRef> allowed_by;   // the first rule that allows the flow
  bool isolated() const { return !isolating.empty(); }
  bool allowed() const { return !isolated() || allowed_by.has_value(); }
};

// How one rule meets a flow: the peer part and the port part, each on its own
// (`explain` says which of them a rule misses).
struct RuleMatch {
  bool peer = false;
  bool port = false;
  bool allows() const { return peer && port; }
};

struct Verdict {
  bool allowed = false;
  bool loopback = false;  // a pod talking to itself: never filtered
  SideVerdict egress;     // of the source
  SideVerdict ingress;    // of the destination
};

class Evaluator {
 public:
  // Both must outlive the evaluator.
  Evaluator(const Cluster& cluster, const PolicySet& policies);

  Verdict evaluate(const Flow& flow) const;
  // The enforced pod owning an address, or -1.
  long pod_by_ip(const IpAddr& ip) const;
  // How rule `ref` meets `flow`, whichever pods the policy selects.
  RuleMatch match_rule(const RuleRef& ref, const Flow& flow) const;

 private:
  SideVerdict side(Direction d, long pod, const Flow& flow) const;
  RuleMatch rule_match(const Policy& p, const Rule& r, Direction d, const Flow& flow) const;
  bool peer_matches(const Policy& p, const Peer& peer, const IpAddr& addr) const;
  bool port_matches(const PortSpec& spec, const Flow& flow) const;

  const Cluster& cluster_;
  const PolicySet& policies_;
  std::map<IpAddr, size_t> pod_by_ip_;
  std::map<std::string, const Labels*> ns_labels_;
};

}  // namespace netpolc
