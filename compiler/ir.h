// The intermediate representation: NetworkPolicies and the cluster they apply
// to, as plain values. The frontend fills these from YAML/JSON; every node
// keeps the location it came from so later stages can point back at the input.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/address.h"
#include "compiler/diagnostics.h"

namespace netpolc {

using Labels = std::map<std::string, std::string>;

enum class Protocol : uint8_t { TCP, UDP, SCTP };
const char* protocol_name(Protocol p);     // "TCP", "UDP", "SCTP"
const char* protocol_keyword(Protocol p);  // "tcp", "udp", "sctp": as nft and iptables spell them

// metav1.LabelSelectorRequirement.
struct LabelRequirement {
  enum class Op : uint8_t { In, NotIn, Exists, DoesNotExist };
  std::string key;
  Op op = Op::In;
  std::vector<std::string> values;
  SourceLoc loc;
};

// metav1.LabelSelector. Both parts empty selects everything.
struct LabelSelector {
  Labels match_labels;
  std::vector<LabelRequirement> match_expressions;
  SourceLoc loc;

  bool selects_all() const { return match_labels.empty() && match_expressions.empty(); }
};

// networking.k8s.io/v1 IPBlock.
struct IpBlock {
  Cidr cidr;
  std::vector<Cidr> except;
  SourceLoc loc;
};

// networking.k8s.io/v1 NetworkPolicyPeer: exactly one of ip_block, or one or
// both of the selectors (both = AND).
struct Peer {
  std::optional<LabelSelector> pod_selector;
  std::optional<LabelSelector> namespace_selector;
  std::optional<IpBlock> ip_block;
  SourceLoc loc;
};

// networking.k8s.io/v1 NetworkPolicyPort. `port` absent = every port of the
// protocol; `name` set = a named port, resolved on the destination pod.
struct PortSpec {
  Protocol protocol = Protocol::TCP;
  bool protocol_given = false;  // false: defaulted to TCP
  std::optional<int32_t> port;
  std::string name;
  std::optional<int32_t> end_port;
  SourceLoc loc;
};

// One ingress or egress rule. An empty `peers` list (field missing or empty)
// matches every address; an empty `ports` list matches every port and protocol.
struct Rule {
  std::vector<Peer> peers;
  std::vector<PortSpec> ports;
  SourceLoc loc;
};

enum class Direction : uint8_t { Ingress, Egress };
const char* direction_name(Direction d);  // "ingress", "egress"

struct Policy {
  std::string ns;  // metadata.namespace, "default" when missing
  std::string name;
  LabelSelector pod_selector;
  // spec.policyTypes after defaulting: Ingress always unless listed otherwise;
  // Egress when listed, or when policyTypes is absent and egress is non-empty.
  bool ingress = true;
  bool egress = false;
  std::vector<Rule> ingress_rules;
  std::vector<Rule> egress_rules;
  SourceLoc loc;
  // Where the keys spec.policyTypes, spec.ingress and spec.egress are written
  // (line 0: absent), and whether policyTypes lists a type, so that lint can
  // tell written policyTypes from defaulted ones.
  SourceLoc policy_types_loc;
  SourceLoc ingress_loc;
  SourceLoc egress_loc;
  bool policy_types_listed = false;

  bool isolates(Direction d) const { return d == Direction::Ingress ? ingress : egress; }
  const std::vector<Rule>& rules(Direction d) const {
    return d == Direction::Ingress ? ingress_rules : egress_rules;
  }
};

// --- the cluster snapshot ---

struct ContainerPort {
  std::string name;  // may be empty
  int32_t port = 0;
  Protocol protocol = Protocol::TCP;
};

struct Namespace {
  std::string name;
  Labels labels;  // includes kubernetes.io/metadata.name
  SourceLoc loc;
};

struct Pod {
  std::string ns;
  std::string name;
  Labels labels;
  std::vector<IpAddr> ips;  // status.podIPs (or podIP); empty when not assigned
  std::vector<ContainerPort> ports;
  bool host_network = false;
  std::string phase;  // status.phase; empty when not given
  SourceLoc loc;

  // Whether policies are enforced for this pod: it has an address of its own
  // and is not finished.
  bool enforced() const {
    return !host_network && !ips.empty() && phase != "Succeeded" && phase != "Failed";
  }
};

struct Cluster {
  std::vector<Namespace> namespaces;  // sorted by name
  std::vector<Pod> pods;              // sorted by (ns, name)
  // Cluster DNS servers named explicitly by the snapshot (lab inventory);
  // empty means "the pods labelled k8s-app=kube-dns in kube-system".
  std::vector<IpAddr> dns_servers;
};

struct PolicySet {
  std::vector<Policy> policies;  // sorted by (ns, name)
};

}  // namespace netpolc
