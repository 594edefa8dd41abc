// The flows `netpolc observe --output json` writes and `netpolc suggest`
// reads: one entry per denied (or, in audit mode, would-be-denied) flow and
// side that denied it. Read strictly, as a hand-written inventory is: unknown
// fields, a wrong kind or apiVersion, bad addresses, ports and protocols are
// errors with file:line:col and the field path.
//
//   {"apiVersion": "netpolc/v1", "kind": "ObservedFlows", "mode": "audit",
//    "flows": [{"src": {"ip": "10.244.1.12", "pod": "default/test"},
//               "dst": {"ip": "10.244.1.10", "pod": "default/web"},
//               "protocol": "TCP", "port": 80, "deniedBy": "egress",
//               "pod": "default/test", "policies": ["default/deny"], "count": 3}]}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/address.h"
#include "compiler/diagnostics.h"
#include "compiler/evaluator.h"
#include "compiler/ir.h"
#include "compiler/yaml_util.h"

namespace netpolc::suggest {

struct FlowEnd {
  IpAddr ip;
  std::string pod;  // "ns/name" as observe named it; empty when unknown (a hint only)
};

struct ObservedFlow {
  FlowEnd src, dst;
  L4 protocol = L4::TCP;  // ICMP stands for ICMP and ICMPv6 (by the address family)
  uint16_t port = 0;      // 0 for ICMP
  Direction denied_by = Direction::Egress;
  std::string pod;                    // the isolated pod on that side, "ns/name" (a hint; may be empty)
  std::vector<std::string> policies;  // the policies isolating that side, "ns/name"
  uint64_t count = 1;
  SourceLoc loc;  // of the entry, for warnings about it
};

struct ObservedFlows {
  std::string mode;  // "audit" or "enforce"
  std::vector<ObservedFlow> flows;
};

// Reads one ObservedFlows document (JSON or YAML). Every problem is reported
// to `diags`; nullopt when any is an error.
std::optional<ObservedFlows> read_observed_flows(const InputFile& file, Diagnostics& diags);

}  // namespace netpolc::suggest
