// Port helpers shared by the backends.
#pragma once

#include <vector>

#include "compiler/program.h"

namespace netpolc {

// The numeric ports a rule allows in one chain: the rule's own ports and the
// ingress named ports resolved on that chain's pods, sorted and merged.
std::vector<PortRange> chain_rule_ports(const CompiledRule& rule, const ChainRule& in_chain);

}  // namespace netpolc
