#include "compiler/program.h"

#include <algorithm>

namespace netpolc {

void merge_port_ranges(std::vector<PortRange>& ports) {
  std::sort(ports.begin(), ports.end());
  std::vector<PortRange> out;
  for (const auto& p : ports) {
    if (!out.empty() && out.back().protocol == p.protocol && uint32_t(p.lo) <= uint32_t(out.back().hi) + 1)
      out.back().hi = std::max(out.back().hi, p.hi);
    else
      out.push_back(p);
  }
  ports = std::move(out);
}

AddrSet rule_peers(const Program& prog, const CompiledRule& rule) {
  // All ranges at once, then one sort and merge: a union per peer would cost
  // peers x ranges.
  AddrSet out;
  for (size_t set : rule.peer_sets) append(out, prog.peer_sets[set].addresses);
  normalize(out);
  return out;
}

uint64_t content_hash(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace netpolc
