#include "backends/nft_text.h"

#include "compiler/diagnostics.h"

namespace netpolc {

namespace nft {

namespace {

const char* addr_family_kw(Family f) { return f == Family::V4 ? "ip" : "ip6"; }
const char* addr_type(Family f) { return f == Family::V4 ? "ipv4_addr" : "ipv6_addr"; }

std::string addr_key(const AddrKey& k) {
  return std::string(addr_family_kw(k.family)) + (k.source ? " saddr" : " daddr");
}

std::string port_text(const PortRange& p) {
  if (p.lo == p.hi) return std::to_string(p.lo);
  return std::to_string(p.lo) + "-" + std::to_string(p.hi);
}

// A port list's items as set elements: "tcp", "80", "tcp . 8000-8080".
std::vector<std::string> port_items(const std::vector<PortRange>& ports) {
  std::vector<std::string> items;
  switch (port_shape(ports)) {
    case PortShape::Protocols:
      for (Protocol p : distinct_protocols(ports)) items.push_back(protocol_keyword(p));
      break;
    case PortShape::OneProtocol:
      for (const auto& p : ports) items.push_back(port_text(p));
      break;
    case PortShape::Concat:
      for (const auto& p : ports) items.push_back(std::string(protocol_keyword(p.protocol)) + " . " + port_text(p));
      break;
  }
  return items;
}

// "tcp dport 80", "meta l4proto @ports/tcp/udp", "meta l4proto . th dport @ports/tcp-53/udp-53".
std::string port_match(const PortMatch& m) {
  std::string what = m.set.empty() ? port_items(m.ports)[0] : "@" + m.set;
  switch (port_shape(m.ports)) {
    case PortShape::Protocols:
      return "meta l4proto " + what;
    case PortShape::OneProtocol:
      return std::string(protocol_keyword(m.ports[0].protocol)) + " dport " + what;
    case PortShape::Concat:
      return "meta l4proto . th dport " + what;
  }
  return {};
}

struct MatchText {
  std::string operator()(const CtEstablished&) const { return "ct state established,related"; }
  std::string operator()(const CtNew&) const { return "ct state new"; }
  std::string operator()(const Loopback& m) const { return m.input ? "iif \"lo\"" : "oif \"lo\""; }
  std::string operator()(const NeighbourDiscovery&) const {
    return "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }";
  }
  std::string operator()(const AddrInSet& m) const { return addr_key(m.key) + " @" + m.set; }
  std::string operator()(const DestPortInSet& m) const {
    return std::string(addr_family_kw(m.family)) + " daddr . meta l4proto . th dport @" + m.set;
  }
  std::string operator()(const PortMatch& m) const { return port_match(m); }
};

struct StatementText {
  std::string operator()(const Limit& s) const { return "limit rate " + rate_text(s.rate); }
  std::string operator()(const Log& s) const {
    return "log prefix " + quoted(s.prefix) + " group " + std::to_string(s.group);
  }
  std::string operator()(const CounterRef& s) const { return "counter name " + quoted(s.name); }
};

std::string verdict_text(const Verdict& v) {
  switch (v.kind) {
    case VerdictKind::Accept: return "accept";
    case VerdictKind::Drop: return "drop";
    case VerdictKind::Return: return "return";
    case VerdictKind::Jump: return "jump " + v.target;
    case VerdictKind::Vmap: return addr_key(v.key) + " vmap @" + v.target;
    case VerdictKind::Continue: return "";
  }
  return {};
}

const char* hook_name(Hook h) {
  switch (h) {
    case Hook::Forward: return "forward";
    case Hook::Input: return "input";
    case Hook::Output: return "output";
  }
  return "forward";
}

std::string set_element(const NamedSet& s, size_t i) {
  if (s.kind != SetKind::AddrPorts) return format_range(s.family, s.ranges[i]);
  const AddrPort& a = s.addr_ports[i];
  return format_ip(a.addr) + " . " + protocol_keyword(a.protocol) + " . " + std::to_string(a.port);
}

void print_elements(std::string& out, const std::vector<std::string>& elements) {
  if (elements.empty()) return;
  out += "\t\telements = {\n";
  for (const auto& e : elements) out += "\t\t\t" + e + ",\n";
  out += "\t\t}\n";
}

void print_set(std::string& out, const NamedSet& s) {
  out += "\n\tset " + s.name + " {\n\t\ttype " + addr_type(s.family);
  out += s.kind == SetKind::Ranges ? "\n\t\tflags interval\n"
         : s.kind == SetKind::Addresses ? "\n"
                                        : " . inet_proto . inet_service\n";
  std::vector<std::string> elements;
  for (size_t i = 0; i < s.size(); ++i)
    elements.push_back(set_element(s, i));
  print_elements(out, elements);
  out += "\t}\n";
}

void print_port_set(std::string& out, const PortSet& s) {
  out += "\n\tset " + s.name + " {\n\t\ttype ";
  switch (s.shape()) {
    case PortShape::Protocols: out += "inet_proto\n"; break;
    case PortShape::OneProtocol: out += "inet_service\n"; break;
    case PortShape::Concat: out += "inet_proto . inet_service\n"; break;
  }
  if (s.intervals()) out += "\t\tflags interval\n";
  print_elements(out, port_items(s.ports));
  out += "\t}\n";
}

void print_map(std::string& out, const VerdictMap& m) {
  out += "\n\tmap " + m.name + " {\n\t\ttype " + addr_type(m.family) + " : verdict\n";
  std::vector<std::string> elements;
  for (const auto& e : m.entries)
    elements.push_back(format_ip(e.addr) + " comment " + quoted(e.comment) + " : jump " + e.chain);
  print_elements(out, elements);
  out += "\t}\n";
}

void print_counter(std::string& out, const CounterObject& c) {
  out += "\n\tcounter " + c.name + " {\n";
  if (!c.comment.empty()) out += "\t\tcomment " + quoted(c.comment) + "\n";
  out += "\t}\n";
}

void print_chain(std::string& out, const Chain& c) {
  out += "\n\tchain " + c.name + " {\n";
  if (c.hook)
    out += std::string("\t\ttype filter hook ") + hook_name(c.hook->hook) + " priority filter; policy accept;\n";
  if (!c.comment.empty()) out += "\t\tcomment " + quoted(c.comment) + "\n";
  for (const auto& item : c.items) {
    if (const Note* n = std::get_if<Note>(&item)) out += "\t\t# " + n->text + "\n";
    else out += "\t\t" + rule_text(std::get<Rule>(item)) + "\n";
  }
  out += "\t}\n";
}

}  // namespace

std::string rule_text(const Rule& rule) {
  std::vector<std::string> parts;
  for (const auto& m : rule.matches) parts.push_back(std::visit(MatchText{}, m));
  for (const auto& st : rule.statements) parts.push_back(std::visit(StatementText{}, st));
  if (rule.verdict.kind != VerdictKind::Continue) parts.push_back(verdict_text(rule.verdict));
  if (!rule.comment.empty()) parts.push_back("comment " + quoted(rule.comment));
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : " ") + p;
  return s;
}

std::string print_ruleset(const Ruleset& rs) {
  const std::string t = "inet " + rs.table;
  std::string out = "#!/usr/sbin/nft -f\n";
  for (const auto& h : rs.header) out += "# " + h + "\n";
  out += "table " + t + "\ndelete table " + t + "\n\ntable " + t + " {\n";
  out += "\tcomment " + quoted(rs.comment) + "\n";
  for (const auto& c : rs.counters) print_counter(out, c);
  for (const auto& s : rs.port_sets) print_port_set(out, s);
  for (const auto& s : rs.sets) print_set(out, s);
  for (const auto& m : rs.maps) print_map(out, m);
  for (const auto& c : rs.chains) print_chain(out, c);
  out += "}\n";
  return out;
}

}  // namespace nft

std::string emit_nft(const Program& prog, const Cluster& cluster, const NftOptions& options) {
  return nft::print_ruleset(nft::build_ruleset(prog, cluster, options));
}

std::string chain_drop_comment(const PodChain& c) {
  std::string who = c.isolated_by.size() == 1 ? c.isolated_by[0]
                                               : std::to_string(c.isolated_by.size()) + " policies";
  return std::string(direction_name(c.direction)) + " not allowed by " + who;
}

}  // namespace netpolc
