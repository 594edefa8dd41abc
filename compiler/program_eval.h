// Interprets a resolved Program the way the gateway ruleset does, packet by
// packet. Tests compare it with the reference evaluator to check the resolver
// without a kernel; the kernel tests then check the emitted rules.
#pragma once

#include "compiler/evaluator.h"
#include "compiler/program.h"

namespace netpolc {

// Whether the gateway program lets a new connection through.
bool program_allows(const Program& prog, const Flow& flow);

}  // namespace netpolc
