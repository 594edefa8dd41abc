// The resolved firewall program: what the policies mean for this cluster, in
// terms of addresses, protocols and ports, before any backend syntax. Every
// backend (nft text, iptables, netlink) lowers this same value, so they share
// one semantics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/address.h"
#include "compiler/ir.h"

namespace netpolc {

// A range of ports of one protocol; [0, 65535] when the policy names no port.
struct PortRange {
  Protocol protocol = Protocol::TCP;
  uint16_t lo = 0;
  uint16_t hi = 0;

  friend bool operator==(const PortRange&, const PortRange&) = default;
  friend auto operator<=>(const PortRange&, const PortRange&) = default;
};

// One destination address with a port: an egress named port resolved on the
// destination pod that declares it.
struct AddrPort {
  IpAddr addr;
  Protocol protocol = Protocol::TCP;
  uint16_t port = 0;

  friend bool operator==(const AddrPort&, const AddrPort&) = default;
  friend auto operator<=>(const AddrPort&, const AddrPort&) = default;
};

// Where a compiled rule came from.
struct RuleOrigin {
  std::string ns;
  std::string policy;
  Direction direction = Direction::Ingress;
  size_t index = 0;  // position in spec.ingress / spec.egress
  SourceLoc loc;

  // "x/allow-dns egress[0]": the comment every emitted rule carries.
  std::string label() const;
  // "x/allow-dns egress[0] to[1]": the same, naming one peer.
  std::string peer_label(size_t peer) const;
};

// The addresses one NetworkPolicyPeer stands for. Peers that resolve to the
// same addresses (the same selectors in many policies, the same ipBlock) share
// one PeerSet, so that the output grows with the pods and the distinct peers,
// not with pods x rules.
struct PeerSet {
  AddrSet addresses;
  RuleOrigin first_use;  // the first rule (in policy order) that names it
  size_t peer_index = 0;  // its position in that rule's from/to list
};

// One ingress or egress rule of one policy, resolved. It allows a packet when
// the peer address matches AND the port matches:
//   peer: any_peer, or the address is in one of `peer_sets`;
//   port: any_port (every protocol, ICMP included), or (protocol, port) is in
//         `ports`, or (for egress) (address, protocol, port) is in
//         `named_targets`, or (for ingress) it is in the named ports resolved
//         on the destination pod (ChainRule::named_ports).
struct CompiledRule {
  RuleOrigin origin;
  bool any_peer = false;
  std::vector<size_t> peer_sets;  // per peer of from/to, in order: indexes into Program::peer_sets
  bool any_port = false;
  std::vector<PortRange> ports;        // numeric ports, sorted and merged
  std::vector<AddrPort> named_targets;  // egress named ports, sorted
  bool has_named_ports = false;         // the rule lists a named port
};

// A rule as used by one chain: ingress named ports depend on the pod the chain
// protects, so they are resolved per chain.
struct ChainRule {
  size_t rule = 0;                     // index into Program::rules
  std::vector<PortRange> named_ports;  // ingress only: named ports on this chain's pods

  friend bool operator==(const ChainRule&, const ChainRule&) = default;
  friend auto operator<=>(const ChainRule&, const ChainRule&) = default;
};

// The policy of one direction for a group of pods that are isolated by the
// same policies with the same resolved rules. A packet passes this side when
// any rule allows it; otherwise it is dropped.
struct PodChain {
  Direction direction = Direction::Ingress;
  std::string ns;
  std::string name;                     // derived from the content: stable across pod changes
  std::vector<std::string> isolated_by;  // "ns/policy", sorted
  std::vector<ChainRule> rules;          // in policy, then rule order
  std::vector<size_t> pods;              // indexes into Cluster::pods, sorted
};

// Which chain an address dispatches to, per direction.
struct Dispatch {
  IpAddr addr;
  size_t chain = 0;  // index into Program::chains
  size_t pod = 0;    // index into Cluster::pods
};

struct Program {
  std::vector<PeerSet> peer_sets;
  std::vector<CompiledRule> rules;  // in policy order
  std::vector<PodChain> chains;     // sorted by name
  std::vector<Dispatch> egress;     // sorted by address: sources isolated for egress
  std::vector<Dispatch> ingress;    // sorted by address: destinations isolated for ingress
  AddrSet pod_addresses;            // every enforced pod
  AddrSet dns_servers;              // for --dns-carve-out cluster
  size_t policy_count = 0;
  size_t pod_count = 0;             // enforced pods
};

// Every address a rule's peers stand for (the union of its peer sets).
AddrSet rule_peers(const Program& prog, const CompiledRule& rule);

// Sorts port ranges and merges overlapping or adjacent ones of a protocol.
void merge_port_ranges(std::vector<PortRange>& ports);

// A stable 64-bit hash (FNV-1a) for names derived from content.
uint64_t content_hash(const std::string& s);

}  // namespace netpolc
