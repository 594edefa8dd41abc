// The resolver: policies + cluster snapshot -> Program. Selectors become pod
// addresses through label indexes, peers become minimal address sets (CIDRs
// merged, `except` subtracted, IPv4 and IPv6 apart), named ports are resolved
// on the destination pod, and pods with the same isolating policies share a
// chain.
#pragma once

#include "compiler/diagnostics.h"
#include "compiler/ir.h"
#include "compiler/program.h"

namespace netpolc {

// Resolving costs about one step per pod or namespace a selector examines,
// per pod a policy isolates and per rule of each pod's chain. Real clusters
// take a few million; the limit keeps any input within about 20 s and 1 GB
// (docs/robustness.md).
constexpr size_t kMaxResolveSteps = 200'000'000;

struct ResolveOptions {
  size_t max_steps = kMaxResolveSteps;  // more is an error
};

Program resolve(const Cluster& cluster, const PolicySet& policies, const ResolveOptions& options,
                Diagnostics& diags);

// The cluster DNS servers: the snapshot's own list, or the enforced pods
// labelled k8s-app=kube-dns in kube-system.
AddrSet cluster_dns_servers(const Cluster& cluster);

}  // namespace netpolc
