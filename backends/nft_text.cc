#include "backends/nft_text.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <map>
#include <set>

namespace netpolc {

namespace {

const char* nft_proto(Protocol p) {
  switch (p) {
    case Protocol::TCP: return "tcp";
    case Protocol::UDP: return "udp";
    case Protocol::SCTP: return "sctp";
  }
  return "tcp";
}

const char* addr_family_kw(Family f) { return f == Family::V4 ? "ip" : "ip6"; }
const char* addr_type(Family f) { return f == Family::V4 ? "ipv4_addr" : "ipv6_addr"; }
const char* family_suffix(Family f) { return f == Family::V4 ? "v4" : "v6"; }

std::string quote(std::string s) {
  // nft comments are limited to 128 bytes and cannot hold a double quote;
  // control characters, which no valid name has, become '?'.
  for (char& c : s) {
    if (c == '"') c = '\'';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (s.size() > 127) s = s.substr(0, 124) + "...";
  return "\"" + s + "\"";
}

std::string comment(const std::string& s) { return " comment " + quote(s); }

std::string count(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// nft set and chain names may be up to 255 bytes; keep long ones unique.
std::string bounded_name(const std::string& name) {
  if (name.size() <= 200) return name;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(content_hash(name)));
  return name.substr(0, 183) + "~" + hex;
}

std::string port_text(const PortRange& p) {
  if (p.lo == p.hi) return std::to_string(p.lo);
  return std::to_string(p.lo) + "-" + std::to_string(p.hi);
}

bool full_range(const PortRange& p) { return p.lo == 0 && p.hi == 65535; }

// The port condition of a rule: "tcp dport 80 ", "meta l4proto { tcp, udp } ",
// "meta l4proto . th dport { tcp . 53, udp . 53 } ".
std::string port_match(const std::vector<PortRange>& ports) {
  std::set<Protocol> protos;
  bool all_full = true;
  for (const auto& p : ports) {
    protos.insert(p.protocol);
    all_full = all_full && full_range(p);
  }
  auto join = [](const std::vector<std::string>& items) {
    if (items.size() == 1) return items[0];
    std::string s = "{ ";
    for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i];
    return s + " }";
  };
  std::vector<std::string> items;
  if (all_full) {
    for (Protocol p : protos) items.push_back(nft_proto(p));
    return "meta l4proto " + join(items) + " ";
  }
  if (protos.size() == 1) {
    for (const auto& p : ports) items.push_back(port_text(p));
    return std::string(nft_proto(*protos.begin())) + " dport " + join(items) + " ";
  }
  // Several protocols: one concatenated set (more than one item, so braces).
  for (const auto& p : ports) items.push_back(std::string(nft_proto(p.protocol)) + " . " + port_text(p));
  return "meta l4proto . th dport " + join(items) + " ";
}

struct SetDef {
  std::string name;
  std::string type;
  bool interval = false;
  std::vector<std::string> elements;
};

class Emitter {
 public:
  Emitter(const Program& prog, const Cluster& cluster, const NftOptions& opt)
      : prog_(prog), cluster_(cluster), opt_(opt) {}

  std::string run();

 private:
  std::vector<size_t> used_chains() const;
  std::string peer_set(size_t rule, Family f);
  std::string named_set(size_t rule, Family f);
  std::string address_set(const std::string& name, Family f, const std::vector<IpRange>& ranges);
  void emit_chain(const PodChain& c);
  void emit_rule(const PodChain& c, const ChainRule& cr);
  std::string dns_rule(const char* addr_dir, bool from_pods, const char* verdict);
  void emit_gateway_base();
  void emit_endpoint_base();
  // A statement inside a chain (two tabs deep), or a structural line (indent 1).
  void line(int indent, const std::string& s) { body_ += std::string(size_t(indent), '\t') + s + "\n"; }

  const Program& prog_;
  const Cluster& cluster_;
  const NftOptions& opt_;
  std::map<std::string, SetDef> sets_;                           // by name
  std::map<std::pair<Family, std::vector<IpRange>>, std::string> set_by_content_;
  std::map<std::pair<size_t, Family>, std::string> rule_sets_;        // peer_set, by rule
  std::map<std::pair<size_t, Family>, std::string> rule_named_sets_;  // named_set, by rule
  std::string body_;  // chains, written after sets and maps
};

std::string Emitter::address_set(const std::string& name, Family f, const std::vector<IpRange>& ranges) {
  // Identical peer sets of different rules share one set.
  auto [it, fresh] = set_by_content_.try_emplace({f, ranges}, bounded_name(name));
  if (!fresh) return it->second;
  SetDef& s = sets_[it->second];
  s.name = it->second;
  s.type = addr_type(f);
  s.interval = true;
  for (const auto& r : ranges) s.elements.push_back(format_range(f, r));
  return s.name;
}

std::string Emitter::peer_set(size_t rule, Family f) {
  // Once per rule: chains that share a rule share its set, and comparing the
  // set's content again for each of thousands of chains would cost their
  // number times its size.
  auto [cached, fresh] = rule_sets_.try_emplace({rule, f});
  if (!fresh) return cached->second;
  const CompiledRule& r = prog_.rules[rule];
  const auto& ranges = r.peers.of(f);
  if (ranges.empty()) return {};
  const RuleOrigin& o = r.origin;
  return cached->second = address_set("peer/" + o.ns + "/" + o.policy + "/" +
                                          direction_name(o.direction) + "-" +
                                          std::to_string(o.index) + "/" + family_suffix(f),
                                      f, ranges);
}

std::string Emitter::named_set(size_t rule, Family f) {
  auto [cached, fresh] = rule_named_sets_.try_emplace({rule, f});
  if (!fresh) return cached->second;
  const CompiledRule& r = prog_.rules[rule];
  std::vector<std::string> elements;
  for (const auto& t : r.named_targets)
    if (t.addr.family == f)
      elements.push_back(format_ip(t.addr) + " . " + nft_proto(t.protocol) + " . " + std::to_string(t.port));
  if (elements.empty()) return {};
  const RuleOrigin& o = r.origin;
  std::string name = bounded_name("port/" + o.ns + "/" + o.policy + "/" + direction_name(o.direction) + "-" +
                                  std::to_string(o.index) + "/" + family_suffix(f));
  SetDef& s = sets_[name];
  s.name = name;
  s.type = std::string(addr_type(f)) + " . inet_proto . inet_service";
  s.elements = std::move(elements);
  return cached->second = name;
}

void Emitter::emit_rule(const PodChain& c, const ChainRule& cr) {
  const CompiledRule& r = prog_.rules[cr.rule];
  const std::string note = comment(r.origin.label());
  const std::string dir = c.direction == Direction::Ingress ? "saddr" : "daddr";
  std::vector<PortRange> ports = r.ports;
  ports.insert(ports.end(), cr.named_ports.begin(), cr.named_ports.end());
  merge_port_ranges(ports);
  bool emitted = false;
  if (r.any_port || !ports.empty()) {
    std::string pm = r.any_port ? "" : port_match(ports);
    if (r.any_peer) {
      line(2, pm + "return" + note);
      emitted = true;
    } else {
      for (Family f : {Family::V4, Family::V6}) {
        std::string set = peer_set(cr.rule, f);
        if (set.empty()) continue;
        line(2, std::string(addr_family_kw(f)) + " " + dir + " @" + set + " " + pm + "return" + note);
        emitted = true;
      }
    }
  }
  for (Family f : {Family::V4, Family::V6}) {
    std::string set = named_set(cr.rule, f);
    if (set.empty()) continue;
    line(2, std::string(addr_family_kw(f)) + " daddr . meta l4proto . th dport @" + set + " return" + note);
    emitted = true;
  }
  if (!emitted) line(2, "# " + r.origin.label() + ": allows nothing here (no peer address or no matching port)");
}

void Emitter::emit_chain(const PodChain& c) {
  body_ += "\n";
  line(1, "chain " + c.name + " {");
  std::string who = c.isolated_by.size() == 1 ? c.isolated_by[0]
                                               : std::to_string(c.isolated_by.size()) + " policies";
  line(2, "comment " + quote(std::string(direction_name(c.direction)) + " of pods in " + c.ns + " isolated by " + who));
  if (c.isolated_by.size() > 1)
    for (const auto& p : c.isolated_by) line(2, "# isolated by " + p);
  for (const auto& cr : c.rules) emit_rule(c, cr);
  line(2, "drop" + comment(std::string(direction_name(c.direction)) + " not allowed by " + who));
  line(1, "}");
}

std::vector<size_t> Emitter::used_chains() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < prog_.chains.size(); ++i) {
    const PodChain& c = prog_.chains[i];
    if (opt_.target == Target::Gateway ||
        std::binary_search(c.pods.begin(), c.pods.end(), opt_.endpoint_pod))
      out.push_back(i);
  }
  return out;
}

// The DNS carve-out rule: to (or, on a DNS server, from) the cluster DNS servers on 53.
std::string Emitter::dns_rule(const char* addr_dir, bool from_pods, const char* verdict) {
  std::string s;
  for (Family f : {Family::V4, Family::V6}) {
    if (prog_.dns_servers.of(f).empty()) continue;
    std::string dns = address_set(std::string("dns-") + family_suffix(f), f, prog_.dns_servers.of(f));
    std::string pods = address_set(std::string("pods-") + family_suffix(f), f, prog_.pod_addresses.of(f));
    std::string kw = addr_family_kw(f);
    std::string match = from_pods ? kw + " saddr @" + pods + " " : "";
    if (std::string(addr_dir) == "daddr") match += kw + " daddr @" + dns + " ";
    s += "\t\t" + match + "meta l4proto . th dport { udp . 53, tcp . 53 } " + verdict +
         comment("--dns-carve-out cluster") + "\n";
  }
  return s;
}

void Emitter::emit_gateway_base() {
  if (opt_.dns_carve_out) {
    body_ += "\n";
    line(1, "chain dns-carve-out {");
    line(2, "comment " + quote("every pod reaches the cluster DNS servers on 53, whatever the policies say"));
    body_ += dns_rule("daddr", true, "accept");
    line(1, "}");
  }
  body_ += "\n";
  line(1, "chain forward {");
  line(2, "type filter hook forward priority filter; policy accept;");
  line(2, "ct state established,related accept" + comment("replies of allowed connections"));
  if (opt_.dns_carve_out) line(2, "jump dns-carve-out");
  line(2, "ip saddr vmap @egress-v4" + comment("egress of the source pod"));
  line(2, "ip6 saddr vmap @egress-v6" + comment("egress of the source pod"));
  line(2, "ip daddr vmap @ingress-v4" + comment("ingress of the destination pod"));
  line(2, "ip6 daddr vmap @ingress-v6" + comment("ingress of the destination pod"));
  line(1, "}");
}

void Emitter::emit_endpoint_base() {
  const Pod& pod = cluster_.pods[opt_.endpoint_pod];
  for (Direction d : {Direction::Ingress, Direction::Egress}) {
    bool in = d == Direction::Ingress;
    body_ += "\n";
    line(1, std::string("chain ") + (in ? "input" : "output") + " {");
    line(2, std::string("type filter hook ") + (in ? "input" : "output") + " priority filter; policy accept;");
    line(2, std::string(in ? "iif" : "oif") + " \"lo\" accept" + comment("loopback"));
    line(2, "ct state established,related accept" + comment("replies of allowed connections"));
    line(2, "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept" +
                comment("IPv6 neighbour discovery"));
    if (opt_.dns_carve_out) {
      bool serves_dns = false;
      for (const auto& ip : pod.ips) serves_dns = serves_dns || prog_.dns_servers.contains(ip);
      if (!in) body_ += dns_rule("daddr", false, "accept");
      else if (serves_dns) body_ += dns_rule("", true, "accept");
    }
    for (size_t i : used_chains())
      if (prog_.chains[i].direction == d)
        line(2, "jump " + prog_.chains[i].name + comment(std::string(direction_name(d)) + " of " + pod.ns + "/" + pod.name));
    line(1, "}");
  }
}

std::string Emitter::run() {
  const auto chains = used_chains();
  for (size_t i : chains) emit_chain(prog_.chains[i]);
  if (opt_.target == Target::Gateway) emit_gateway_base();
  else emit_endpoint_base();

  const std::string t = "inet " + opt_.table;
  std::string out = "#!/usr/sbin/nft -f\n";
  if (opt_.target == Target::Gateway) {
    out += "# netpolc gateway ruleset: " + count(prog_.pod_count, "pod", "pods") + ", " +
           count(prog_.policy_count, "policy", "policies") + ", " + count(chains.size(), "chain", "chains") + "\n";
  } else {
    const Pod& pod = cluster_.pods[opt_.endpoint_pod];
    out += "# netpolc endpoint ruleset for " + pod.ns + "/" + pod.name + ": " +
           count(prog_.policy_count, "policy", "policies") + ", " + count(chains.size(), "chain", "chains") + "\n";
  }
  out += "# `nft -f` replaces table " + t + " atomically and touches no other table.\n";
  out += "table " + t + "\ndelete table " + t + "\n\ntable " + t + " {\n";
  out += "\tcomment \"managed by netpolc; do not edit\"\n";
  auto element_block = [&](const std::vector<std::string>& elements) {
    if (elements.empty()) return;
    out += "\t\telements = {\n";
    for (const auto& e : elements) out += "\t\t\t" + e + ",\n";
    out += "\t\t}\n";
  };
  for (const auto& [name, s] : sets_) {
    out += "\n\tset " + name + " {\n\t\ttype " + s.type + "\n";
    if (s.interval) out += "\t\tflags interval\n";
    element_block(s.elements);
    out += "\t}\n";
  }
  if (opt_.target == Target::Gateway) {
    for (Direction d : {Direction::Egress, Direction::Ingress}) {
      for (Family f : {Family::V4, Family::V6}) {
        const auto& table = d == Direction::Ingress ? prog_.ingress : prog_.egress;
        std::vector<std::string> elements;
        for (const auto& e : table) {
          if (e.addr.family != f) continue;
          const Pod& p = cluster_.pods[e.pod];
          elements.push_back(format_ip(e.addr) + comment(p.ns + "/" + p.name) + " : jump " +
                             prog_.chains[e.chain].name);
        }
        out += "\n\tmap " + std::string(direction_name(d)) + "-" + family_suffix(f) + " {\n\t\ttype " +
               addr_type(f) + " : verdict\n";
        element_block(elements);
        out += "\t}\n";
      }
    }
  }
  out += body_;
  out += "}\n";
  return out;
}

}  // namespace

std::string emit_nft(const Program& prog, const Cluster& cluster, const NftOptions& options) {
  return Emitter(prog, cluster, options).run();
}

}  // namespace netpolc
