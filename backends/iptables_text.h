// The iptables backend: Program -> a file for `iptables-restore --noflush`
// (IPv4) or `ip6tables-restore --noflush` (IPv6), table filter, and with
// ipsets a file for `ipset restore`. Same semantics as the nft backend:
//
// Gateway target: NETPOLC-FORWARD, jumped to once from FORWARD by the user,
//   accepts replies of allowed connections first; then sends the source's
//   traffic to its egress chain and the destination's to its ingress chain.
//   Each of those RETURNs when a rule allows the packet and DROPs otherwise;
//   addresses that are not isolated pods pass untouched.
// Endpoint target: NETPOLC-INPUT and NETPOLC-OUTPUT (jumped to from INPUT
//   and OUTPUT) accept loopback, replies and IPv6 neighbour discovery, then
//   jump to the pod's ingress / egress chain.
//
// Only chains named NETPOLC-* are declared, each with `:NAME - [0:0]`, which
// creates it or flushes it; no built-in chain is touched. Chain names come
// from the program's content-derived chain names (NETPOLC-IN-<hash>).
//
// Without ipsets, addresses are inline (merged CIDRs), and the gateway
// dispatch has one rule per pod address. With ipsets, dispatch is one rule
// per chain and peers are one rule per policy rule: the rules grow with the
// policies, not with the pods.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "backends/target.h"
#include "compiler/ir.h"
#include "compiler/program.h"

namespace netpolc {

struct IptablesOptions {
  Family family = Family::V4;  // V4: iptables; V6: ip6tables
  Target target = Target::Gateway;
  size_t endpoint_pod = 0;  // with Target::Endpoint: index into Cluster::pods
  bool dns_carve_out = false;
  bool ipset = false;  // address groups in ipsets instead of inline
};

struct IptablesOutput {
  std::string rules;   // for iptables-restore --noflush / ip6tables-restore --noflush
  std::string ipsets;  // for `ipset restore`, loaded first; empty without IptablesOptions::ipset
};

IptablesOutput emit_iptables(const Program& prog, const Cluster& cluster, const IptablesOptions& options);

// The jumps from built-in chains into the entry chains of a target, as
// {"FORWARD", "NETPOLC-FORWARD"}: what the user (or apply) adds once.
std::vector<std::pair<std::string, std::string>> iptables_entry_jumps(Target target);

// "iptables" or "ip6tables".
const char* iptables_command(Family family);

}  // namespace netpolc
