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

struct ResolveOptions {};

Program resolve(const Cluster& cluster, const PolicySet& policies, const ResolveOptions& options,
                Diagnostics& diags);

// The cluster DNS servers: the snapshot's own list, or the enforced pods
// labelled k8s-app=kube-dns in kube-system.
AddrSet cluster_dns_servers(const Cluster& cluster);

}  // namespace netpolc
