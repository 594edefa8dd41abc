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

}  // namespace

const Dispatch* find_dispatch(const std::vector<Dispatch>& table, const IpAddr& addr) {
  auto it = std::lower_bound(table.begin(), table.end(), addr,
                             [](const Dispatch& e, const IpAddr& a) { return e.addr < a; });
  return it == table.end() || it->addr != addr ? nullptr : &*it;
}

std::optional<size_t> first_allowing_rule(const Program& prog, const PodChain& chain, const Flow& f) {
  for (size_t i = 0; i < chain.rules.size(); ++i)
    if (rule_allows(prog, chain.rules[i], chain.direction, f)) return i;
  return std::nullopt;
}

namespace {

bool side_allows(const Program& prog, const std::vector<Dispatch>& table, const IpAddr& addr, const Flow& f) {
  const Dispatch* d = find_dispatch(table, addr);
  return !d || first_allowing_rule(prog, prog.chains[d->chain], f).has_value();  // not isolated: untouched
}

}  // namespace

bool program_allows(const Program& prog, const Flow& f) {
  return side_allows(prog, prog.egress, f.src, f) && side_allows(prog, prog.ingress, f.dst, f);
}

}  // namespace netpolc
