// What `netpolc verify` probes, and what each probe must give: a host per
// enforced pod (with its addresses) and per external address, and, for every
// ordered pair of hosts and every address family both have, an ICMP echo and
// a connection to every port the destination declares (a pod's container
// ports, an external host's ports from --external), each with the verdict of
// the reference evaluator. SCTP cannot be probed on this kernel: those flows
// are counted and reported as not probed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/program.h"
#include "lab/lab.h"

namespace netpolc::verify {

// A host outside the cluster: `--external 203.0.113.10:443/TCP,53/UDP`,
// `--external [2001:db8::1]:80`, `--external 198.51.100.7`.
struct External {
  IpAddr addr;
  std::vector<ContainerPort> ports;
};

// Parses one --external value; false with *error when it is not one.
bool parse_external(const std::string& text, External* out, std::string* error);

struct PlanOptions {
  std::vector<External> externals;
  std::vector<ContainerPort> extra_ports;  // probed on every destination (--ports)
  bool dns_carve_out = false;
};

struct PlannedProbe {
  lab::Probe probe;  // hosts, family, kind, port
  L4 protocol = L4::TCP;
  bool expect_allow = false;
  std::string why;  // the evaluator's reason, for messages
};

struct Plan {
  lab::LabSpec spec;
  std::vector<long> pod_of_host;         // host -> index into Cluster::pods, -1 for an external
  std::vector<PlannedProbe> probes;      // TCP, UDP, ICMP
  std::vector<PlannedProbe> not_probed;  // SCTP
  size_t pods_skipped = 0;               // pods without rules of their own (hostNetwork, no IP, finished)
};

// Fails with *error when an external address is a pod's or given twice.
bool make_plan(const Cluster& cluster, const PolicySet& policies, const Program& prog, const PlanOptions& options,
               Plan* plan, std::string* error);

// "allowed by x/allow-web ingress[0]", "denied: ingress of x/a is isolated by
// x/deny-all and no rule allows it", "allowed: nothing isolates either end".
std::string explain(const Verdict& v, const PolicySet& policies, const Cluster& cluster);

}  // namespace netpolc::verify
