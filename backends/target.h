// Where a ruleset runs, for every backend.
#pragma once

namespace netpolc {

// Gateway: a node or router all pod traffic is routed through (the forward
// hook). Endpoint: the host or network namespace that is one pod (its input
// and output hooks).
enum class Target { Gateway, Endpoint };

}  // namespace netpolc
