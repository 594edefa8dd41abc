// The nftables backend: Program -> an `nft -f` script that atomically replaces
// one `inet` table and touches nothing else.
//
// Gateway target (forward hook):
//   replies of allowed connections pass first; then the source's egress chain
//   (by address, through a verdict map) and the destination's ingress chain;
//   each chain `return`s when a rule allows the packet and drops otherwise.
//   Addresses that are not isolated pods have no map entry and pass untouched.
// Endpoint target (input/output hooks of the pod itself): the same chains,
//   jumped to directly; loopback and IPv6 neighbour discovery pass.
#pragma once

#include <string>

#include "compiler/ir.h"
#include "compiler/program.h"

namespace netpolc {

enum class Target { Gateway, Endpoint };

struct NftOptions {
  std::string table = "netpolc";
  Target target = Target::Gateway;
  size_t endpoint_pod = 0;  // with Target::Endpoint: index into Cluster::pods
  bool dns_carve_out = false;
};

std::string emit_nft(const Program& prog, const Cluster& cluster, const NftOptions& options);

// The comment on a chain's final drop: "egress not allowed by x/deny-all".
std::string chain_drop_comment(const PodChain& chain);

}  // namespace netpolc
