#include "backends/ports.h"

#include <algorithm>

namespace netpolc {

std::vector<PortRange> chain_rule_ports(const CompiledRule& rule, const ChainRule& in_chain) {
  std::vector<PortRange> ports = rule.ports;
  ports.insert(ports.end(), in_chain.named_ports.begin(), in_chain.named_ports.end());
  std::sort(ports.begin(), ports.end());
  std::vector<PortRange> out;
  for (const auto& p : ports) {
    if (!out.empty() && out.back().protocol == p.protocol && uint32_t(p.lo) <= uint32_t(out.back().hi) + 1)
      out.back().hi = std::max(out.back().hi, p.hi);
    else
      out.push_back(p);
  }
  return out;
}

}  // namespace netpolc
