// What `netpolc stats` prints: the named deny counters of an applied table
// (counter deny/NS/POLICY/DIRECTION), read back over netlink.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backends/netlink_dump.h"
#include "compiler/ir.h"

namespace netpolc::observe {

struct DenyCounter {
  std::string policy;  // "ns/name"
  Direction direction = Direction::Ingress;
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

// The table's deny counters, sorted by policy then direction (ingress first).
// Counters of other names are not netpolc's and are left out.
std::vector<DenyCounter> deny_counters(const nl::KernelTable& t);

std::string counters_text(const std::vector<DenyCounter>& counters);
std::string counters_json(const std::vector<DenyCounter>& counters);

}  // namespace netpolc::observe
