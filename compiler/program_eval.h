// Interprets a resolved Program the way the gateway ruleset does, packet by
// packet. Tests compare it with the reference evaluator to check the resolver
// without a kernel; the kernel tests then check the emitted rules.
#pragma once

#include <optional>
#include <vector>

#include "compiler/evaluator.h"
#include "compiler/program.h"

namespace netpolc {

// The entry of a dispatch table (Program::egress or ::ingress) for an address,
// or nullptr when the address is not isolated in that direction.
const Dispatch* find_dispatch(const std::vector<Dispatch>& table, const IpAddr& addr);

// The first rule of `chain` that lets the flow through, as an index into
// chain.rules; nullopt when the flow falls through to the chain's drop.
std::optional<size_t> first_allowing_rule(const Program& prog, const PodChain& chain, const Flow& flow);

// Whether the gateway program lets a new connection through.
bool program_allows(const Program& prog, const Flow& flow);

}  // namespace netpolc
