#include "compiler/evaluator.h"

#include "compiler/labels.h"

namespace netpolc {

const char* l4_name(L4 p) {
  switch (p) {
    case L4::TCP: return "TCP";
    case L4::UDP: return "UDP";
    case L4::SCTP: return "SCTP";
    case L4::ICMP: return "ICMP";
  }
  return "TCP";
}

static std::optional<L4> l4_of(Protocol p) {
  switch (p) {
    case Protocol::TCP: return L4::TCP;
    case Protocol::UDP: return L4::UDP;
    case Protocol::SCTP: return L4::SCTP;
  }
  return std::nullopt;
}

Evaluator::Evaluator(const Cluster& cluster, const PolicySet& policies)
    : cluster_(cluster), policies_(policies) {
  // Only pods that policies are enforced for have addresses of their own:
  // hostNetwork pods share the node's, finished pods have given theirs back.
  for (size_t i = 0; i < cluster.pods.size(); ++i)
    if (cluster.pods[i].enforced())
      for (const auto& ip : cluster.pods[i].ips) pod_by_ip_[ip] = i;
  for (const auto& ns : cluster.namespaces) ns_labels_[ns.name] = &ns.labels;
}

long Evaluator::pod_by_ip(const IpAddr& ip) const {
  auto it = pod_by_ip_.find(ip);
  return it == pod_by_ip_.end() ? -1 : long(it->second);
}

Verdict Evaluator::evaluate(const Flow& flow) const {
  Verdict v;
  long src = pod_by_ip(flow.src), dst = pod_by_ip(flow.dst);
  // Traffic of a pod to itself never leaves the pod: no CNI filters it, and
  // the upstream conformance suite expects it to pass (AllowLoopback).
  if (src >= 0 && src == dst) {
    v.egress.pod = v.ingress.pod = src;
    v.loopback = v.allowed = true;
    return v;
  }
  // "For a connection from a source pod to a destination pod to be allowed,
  // both the egress policy on the source pod and the ingress policy on the
  // destination pod need to allow the connection."
  v.egress = side(Direction::Egress, src, flow);
  v.ingress = side(Direction::Ingress, dst, flow);
  v.allowed = v.egress.allowed() && v.ingress.allowed();
  return v;
}

// "A pod is isolated for ingress/egress if there is any NetworkPolicy that both
// selects the pod and has Ingress/Egress in its policyTypes. ... the
// connections allowed are the union of what the applicable NetworkPolicies'
// rules allow."
SideVerdict Evaluator::side(Direction d, long pod, const Flow& flow) const {
  SideVerdict s;
  s.pod = pod;
  if (pod < 0) return s;  // an address that is not a pod: no policy applies
  const Pod& p = cluster_.pods[size_t(pod)];
  for (size_t i = 0; i < policies_.policies.size(); ++i) {
    const Policy& pol = policies_.policies[i];
    // "podSelector selects the pods to which this policy applies", in the
    // policy's namespace.
    if (pol.ns != p.ns || !pol.isolates(d) || !selector_matches(pol.pod_selector, p.labels)) continue;
    s.isolating.push_back(i);
    if (s.allowed_by) continue;
    const auto& rules = pol.rules(d);
    for (size_t r = 0; r < rules.size(); ++r) {
      if (rule_match(pol, rules[r], d, flow).allows()) {
        s.allowed_by = RuleRef{i, d, r};
        break;
      }
    }
  }
  return s;
}

RuleMatch Evaluator::match_rule(const RuleRef& ref, const Flow& flow) const {
  const Policy& p = policies_.policies[ref.policy];
  return rule_match(p, p.rules(ref.direction)[ref.rule], ref.direction, flow);
}

// "Traffic is allowed if it matches both the from/to and the ports section."
RuleMatch Evaluator::rule_match(const Policy& p, const Rule& r, Direction d, const Flow& flow) const {
  RuleMatch m;
  // "If this field is empty or missing, this rule matches all sources /
  // destinations."
  const IpAddr& peer_addr = d == Direction::Ingress ? flow.src : flow.dst;
  m.peer = r.peers.empty();
  for (const auto& peer : r.peers) m.peer = m.peer || peer_matches(p, peer, peer_addr);
  // "If this field is empty or missing, this rule matches all ports ... If
  // this field is present and contains at least one item, then this rule
  // allows traffic only if the traffic matches at least one port in the list."
  m.port = r.ports.empty();
  for (const auto& port : r.ports) m.port = m.port || port_matches(port, flow);
  return m;
}

bool Evaluator::peer_matches(const Policy& p, const Peer& peer, const IpAddr& addr) const {
  // "ipBlock defines policy on a particular IPBlock ... except is a slice of
  // CIDRs that should not be included within an IPBlock."
  if (peer.ip_block) {
    if (!contains(peer.ip_block->cidr, addr)) return false;
    for (const auto& ex : peer.ip_block->except)
      if (contains(ex, addr)) return false;
    return true;
  }
  long pod = pod_by_ip(addr);
  if (pod < 0) return false;
  const Pod& target = cluster_.pods[size_t(pod)];
  // "If namespaceSelector is also set, then the NetworkPolicyPeer as a whole
  // selects the pods matching podSelector in the Namespaces selected by
  // NamespaceSelector. Otherwise it selects the pods matching podSelector in
  // the policy's own namespace."
  if (peer.namespace_selector) {
    auto it = ns_labels_.find(target.ns);
    if (it == ns_labels_.end() || !selector_matches(*peer.namespace_selector, *it->second)) return false;
  } else if (target.ns != p.ns) {
    return false;
  }
  // "If podSelector is also set ... Otherwise it selects all pods in the
  // namespaces selected by namespaceSelector."
  return !peer.pod_selector || selector_matches(*peer.pod_selector, target.labels);
}

bool Evaluator::port_matches(const PortSpec& spec, const Flow& flow) const {
  // "The protocol (TCP, UDP, or SCTP) which traffic must match."
  if (l4_of(spec.protocol) != flow.protocol) return false;
  // "If this field is not provided, this matches all port names and numbers."
  if (!spec.port && spec.name.empty()) return true;
  if (!spec.name.empty()) {
    // A named port is looked up on the destination pod of the connection:
    // "the port on the given protocol" that the pod declares by that name.
    long pod = pod_by_ip(flow.dst);
    if (pod < 0) return false;
    for (const auto& cp : cluster_.pods[size_t(pod)].ports)
      if (cp.name == spec.name && cp.protocol == spec.protocol && cp.port == flow.port) return true;
    return false;
  }
  // "If endPort is set, indicates that the range of ports from port to endPort
  // if set, inclusive, should be allowed by the policy."
  int32_t lo = *spec.port, hi = spec.end_port ? *spec.end_port : lo;
  return flow.port >= lo && flow.port <= hi;
}

}  // namespace netpolc
