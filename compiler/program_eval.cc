#include "compiler/program_eval.h"

#include <algorithm>

namespace netpolc {

namespace {

bool port_in(const std::vector<PortRange>& ports, const Flow& f) {
  for (const auto& p : ports) {
    bool proto = (p.protocol == Protocol::TCP && f.protocol == L4::TCP) ||
                 (p.protocol == Protocol::UDP && f.protocol == L4::UDP) ||
                 (p.protocol == Protocol::SCTP && f.protocol == L4::SCTP);
    if (proto && f.port >= p.lo && f.port <= p.hi) return true;
  }
  return false;
}

bool rule_allows(const Program& prog, const ChainRule& cr, Direction d, const Flow& f) {
  const CompiledRule& r = prog.rules[cr.rule];
  const IpAddr& peer = d == Direction::Ingress ? f.src : f.dst;
  bool peer_ok = r.any_peer;
  for (size_t set : r.peer_sets) peer_ok = peer_ok || prog.peer_sets[set].addresses.contains(peer);
  if (peer_ok && (r.any_port || port_in(r.ports, f) || port_in(cr.named_ports, f))) return true;
  for (const auto& t : r.named_targets) {
    Flow probe = f;
    probe.port = t.port;
    if (t.addr == f.dst && t.port == f.port && port_in({{t.protocol, t.port, t.port}}, probe)) return true;
  }
  return false;
}

bool side_allows(const Program& prog, const std::vector<Dispatch>& table, const IpAddr& addr,
                 Direction d, const Flow& f) {
  auto it = std::lower_bound(table.begin(), table.end(), addr,
                             [](const Dispatch& e, const IpAddr& a) { return e.addr < a; });
  if (it == table.end() || it->addr != addr) return true;  // not isolated: untouched
  for (const auto& cr : prog.chains[it->chain].rules)
    if (rule_allows(prog, cr, d, f)) return true;
  return false;
}

}  // namespace

bool program_allows(const Program& prog, const Flow& f) {
  return side_allows(prog, prog.egress, f.src, Direction::Egress, f) &&
         side_allows(prog, prog.ingress, f.dst, Direction::Ingress, f);
}

}  // namespace netpolc
