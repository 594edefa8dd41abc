#include "backends/nft_ruleset.h"
#include "backends/nft_text.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace netpolc::nft {

namespace {

const char* family_suffix(Family f) { return f == Family::V4 ? "v4" : "v6"; }

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

// The name of a set of a rule: "<kind>/<ns>/<policy>/<direction>-<index>",
// then `rest`, e.g. "peer/app/web/ingress-0-1/v4".
std::string rule_set_name(const char* kind, const RuleOrigin& o, const std::string& rest) {
  return std::string(kind) + "/" + o.ns + "/" + o.policy + "/" + direction_name(o.direction) + "-" +
         std::to_string(o.index) + rest;
}

// Up to this many distinct peers, a rule is one rule per peer in each chain
// (sets shared with other rules naming the same peers); above, one rule with
// a set of its own.
constexpr size_t kMaxPeerRules = 4;

bool full_range(const PortRange& p) { return p.lo == 0 && p.hi == 65535; }

Rule rule(std::vector<Match> matches, Verdict verdict, const std::string& comment = "") {
  Rule r;
  r.matches = std::move(matches);
  r.verdict = std::move(verdict);
  r.comment = comment.empty() ? "" : sanitize_comment(comment);
  return r;
}

Verdict verdict(VerdictKind kind, std::string target = "") { return {kind, std::move(target), {}}; }

class Builder {
 public:
  Builder(const Program& prog, const Cluster& cluster, const NftOptions& opt)
      : prog_(prog), cluster_(cluster), opt_(opt) {}

  Ruleset run();

 private:
  std::vector<size_t> used_chains() const;
  std::string peer_set(size_t set, Family f);
  std::string named_set(size_t rule, Family f);
  std::string rule_set(size_t rule, Family f);
  const std::vector<size_t>& distinct_peers(size_t rule);
  const std::optional<std::vector<PortRange>>& uniform_named_ports(size_t rule);
  std::string address_set(const std::string& name, Family f, const std::vector<IpRange>& ranges);
  PortMatch port_match(std::vector<PortRange> ports);
  Chain pod_chain(size_t index);
  void add_rules(const PodChain& c, const ChainRule& cr, Chain& out);
  void add_denial(const PodChain& c, Chain& out);
  void add_dns_rules(bool to_dns, bool from_pods, Chain& out);
  void add_gateway_base(Ruleset& rs);
  void add_endpoint_base(Ruleset& rs);
  std::vector<VerdictMap> maps() const;

  const Program& prog_;
  const Cluster& cluster_;
  const NftOptions& opt_;
  std::map<std::string, NamedSet> sets_;  // by name
  std::map<std::string, CounterObject> counters_;  // by name
  std::map<std::string, PortSet> port_sets_;       // by name
  std::map<std::pair<Family, std::vector<IpRange>>, std::string> set_by_content_;
  // Names by peer set and by rule: chains share rules, and building a set
  // again for each of thousands of chains would cost their number times its size.
  std::map<std::pair<size_t, Family>, std::string> peer_set_names_, named_set_names_, rule_set_names_;
  std::map<size_t, std::vector<size_t>> distinct_peers_;  // by rule
  std::map<size_t, std::optional<std::vector<PortRange>>> uniform_named_ports_;  // by rule
};

// True when every address of `ranges` is a pod's: `pods` sorted and disjoint.
bool only_pods(const std::vector<IpRange>& ranges, const std::vector<IpRange>& pods) {
  return std::all_of(ranges.begin(), ranges.end(), [&](const IpRange& r) {
    auto after = std::upper_bound(pods.begin(), pods.end(), r.lo, [](u128 lo, const IpRange& p) { return lo < p.lo; });
    return after != pods.begin() && std::prev(after)->hi >= r.hi;
  });
}

std::string Builder::address_set(const std::string& name, Family f, const std::vector<IpRange>& ranges) {
  // Identical peer sets of different rules share one set.
  auto [it, fresh] = set_by_content_.try_emplace({f, ranges}, bounded_name(name));
  if (!fresh) return it->second;
  NamedSet& s = sets_[it->second];
  s.name = it->second;
  s.family = f;
  // Pods' addresses (never more of them than pods) go in a hash set, one
  // element each; anything else (ipBlocks) stays ranges.
  if (only_pods(ranges, prog_.pod_addresses.of(f))) {
    s.kind = SetKind::Addresses;
    for (const IpRange& r : ranges)
      for (u128 a = r.lo;; ++a) {
        s.ranges.push_back({a, a});
        if (a == r.hi) break;
      }
  } else {
    s.kind = SetKind::Ranges;
    s.ranges = ranges;
  }
  return s.name;
}

// "ports/tcp-80/tcp-8000-8080", "ports/tcp-53/udp-53", "ports/tcp/udp".
std::string port_set_name(const std::vector<PortRange>& ports) {
  bool whole = port_shape(ports) == PortShape::Protocols;
  std::string name = "ports";
  for (const auto& p : ports) {
    name += std::string("/") + protocol_keyword(p.protocol);
    if (whole) continue;
    name += "-" + std::to_string(p.lo);
    if (p.hi != p.lo) name += "-" + std::to_string(p.hi);
  }
  return bounded_name(name);
}

PortMatch Builder::port_match(std::vector<PortRange> ports) {
  merge_port_ranges(ports);
  PortMatch m{std::move(ports), {}};
  bool inline_match = port_shape(m.ports) == PortShape::Protocols ? distinct_protocols(m.ports).size() == 1
                                                                  : m.ports.size() == 1;
  if (inline_match) return m;
  m.set = port_set_name(m.ports);
  port_sets_.try_emplace(m.set, PortSet{m.set, m.ports});
  return m;
}

std::string Builder::peer_set(size_t set, Family f) {
  auto [cached, fresh] = peer_set_names_.try_emplace({set, f});
  if (!fresh) return cached->second;
  const PeerSet& p = prog_.peer_sets[set];
  const auto& ranges = p.addresses.of(f);
  if (ranges.empty()) return {};
  const RuleOrigin& o = p.first_use;
  return cached->second =
             address_set(rule_set_name("peer", o, "-" + std::to_string(p.peer_index) + "/" + family_suffix(f)), f,
                         ranges);
}

// The first peer of each distinct peer set of a rule, in order; once per rule,
// not per chain.
const std::vector<size_t>& Builder::distinct_peers(size_t rule) {
  auto [it, fresh] = distinct_peers_.try_emplace(rule);
  if (!fresh) return it->second;
  const CompiledRule& r = prog_.rules[rule];
  std::set<size_t> seen;
  for (size_t i = 0; i < r.peer_sets.size(); ++i)
    if (seen.insert(r.peer_sets[i]).second) it->second.push_back(i);
  return it->second;
}

// The ports an egress rule's named ports resolve to, when every address of
// its peers declares them alike (the usual case: the peers are the pods of one
// workload): then the rule is its peers on those ports, with no
// `address . protocol . port` set of its own. Otherwise none.
const std::optional<std::vector<PortRange>>& Builder::uniform_named_ports(size_t rule) {
  auto [it, fresh] = uniform_named_ports_.try_emplace(rule);
  if (!fresh) return it->second;
  const CompiledRule& r = prog_.rules[rule];
  const std::vector<AddrPort>& t = r.named_targets;  // sorted: by address, then port
  if (t.empty() || r.any_peer) return it->second;
  std::vector<PortRange> ports;
  AddrSet addresses;
  for (size_t i = 0, j = 0; i < t.size(); i = j) {
    std::vector<PortRange> mine;
    for (j = i; j < t.size() && t[j].addr == t[i].addr; ++j) mine.push_back({t[j].protocol, t[j].port, t[j].port});
    if (i == 0) ports = std::move(mine);
    else if (mine != ports) return it->second;
    addresses.add(t[i].addr);
  }
  normalize(addresses);
  if (addresses == rule_peers(prog_, r)) it->second = std::move(ports);
  return it->second;
}

// The union of a rule's peers, named after the rule: for rules of more than
// kMaxPeerRules peers.
std::string Builder::rule_set(size_t rule, Family f) {
  // Both families' sets at the first call: the union covers both.
  if (auto cached = rule_set_names_.find({rule, f}); cached != rule_set_names_.end()) return cached->second;
  const CompiledRule& r = prog_.rules[rule];
  const AddrSet peers = rule_peers(prog_, r);
  for (Family g : {Family::V4, Family::V6}) {
    const auto& ranges = peers.of(g);
    rule_set_names_[{rule, g}] =
        ranges.empty() ? std::string()
                       : address_set(rule_set_name("rule", r.origin, std::string("/") + family_suffix(g)), g, ranges);
  }
  return rule_set_names_[{rule, f}];
}

std::string Builder::named_set(size_t rule, Family f) {
  auto [cached, fresh] = named_set_names_.try_emplace({rule, f});
  if (!fresh) return cached->second;
  const CompiledRule& r = prog_.rules[rule];
  std::vector<AddrPort> elements;
  for (const auto& t : r.named_targets)
    if (t.addr.family == f) elements.push_back(t);
  if (elements.empty()) return {};
  const RuleOrigin& o = r.origin;
  std::string name = bounded_name(rule_set_name("port", o, std::string("/") + family_suffix(f)));
  NamedSet& s = sets_[name];
  s.name = name;
  s.family = f;
  s.kind = SetKind::AddrPorts;
  s.addr_ports = std::move(elements);
  return cached->second = name;
}

void Builder::add_rules(const PodChain& c, const ChainRule& cr, Chain& out) {
  const CompiledRule& r = prog_.rules[cr.rule];
  const std::string label = r.origin.label();
  const bool source = c.direction == Direction::Ingress;
  std::vector<PortRange> ports = r.ports;
  ports.insert(ports.end(), cr.named_ports.begin(), cr.named_ports.end());
  const auto& uniform = uniform_named_ports(cr.rule);
  if (uniform) ports.insert(ports.end(), uniform->begin(), uniform->end());
  auto allow = [&](std::vector<Match> matches, const std::string& comment) {
    Rule x = rule(std::move(matches), verdict(VerdictKind::Return), comment);
    x.origin = r.origin;
    out.items.push_back(std::move(x));
  };
  bool emitted = false;
  if (r.any_port || !ports.empty()) {
    std::vector<Match> pm;
    if (!r.any_port) pm.push_back(port_match(std::move(ports)));
    if (r.any_peer) {
      allow(pm, label);
      emitted = true;
    } else {
      // A few peers: one rule per peer (OR), each naming its peer, with the
      // peer's set, which every rule naming the same addresses shares. More:
      // one rule with the union of the peers (see rule_set), so that a chain
      // never costs O(peers) rules: 20000 chains sharing a rule of 50000
      // peers would be 10^9 rules.
      const std::vector<size_t>& firsts = distinct_peers(cr.rule);
      bool each = firsts.size() <= kMaxPeerRules;
      for (size_t k = 0; k < (each ? firsts.size() : 1); ++k)
        for (Family f : {Family::V4, Family::V6}) {
          std::string set = each ? peer_set(r.peer_sets[firsts[k]], f) : rule_set(cr.rule, f);
          if (set.empty()) continue;
          std::vector<Match> m{AddrInSet{{f, source}, set}};
          m.insert(m.end(), pm.begin(), pm.end());
          allow(std::move(m), each ? r.origin.peer_label(firsts[k]) : label);
          emitted = true;
        }
    }
  }
  for (Family f : {Family::V4, Family::V6}) {
    std::string set = uniform ? std::string() : named_set(cr.rule, f);
    if (set.empty()) continue;
    allow({DestPortInSet{f, set}}, label);
    emitted = true;
  }
  if (!emitted) out.items.push_back(Note{label + ": allows nothing here (no peer address or no matching port)"});
}

Chain Builder::pod_chain(size_t index) {
  const PodChain& c = prog_.chains[index];
  Chain out;
  out.name = c.name;
  out.pod_chain = index;
  std::string who = c.isolated_by.size() == 1 ? c.isolated_by[0]
                                               : std::to_string(c.isolated_by.size()) + " policies";
  out.comment = sanitize_comment(std::string(direction_name(c.direction)) + " of pods in " + c.ns + " isolated by " + who);
  if (c.isolated_by.size() > 1)
    for (const auto& p : c.isolated_by) out.items.push_back(Note{"isolated by " + p});
  for (const auto& cr : c.rules) add_rules(c, cr, out);
  add_denial(c, out);
  return out;
}

// What a chain does with a packet no rule allowed: `drop`; with reports on,
//   ct state new limit rate 10/second log prefix "np E eg/default/5e19d2c9" group 100
//   counter name "deny/default/x/egress" [counter name ...] drop
// and with --audit the same, ending in `return`: the packet goes on (in the
// gateway's forward chain, to the destination's ingress check).
void Builder::add_denial(const PodChain& c, Chain& out) {
  const DenyReport& report = opt_.report;
  if (!report.on()) {
    out.items.push_back(rule({}, verdict(VerdictKind::Drop), chain_drop_comment(c)));
    return;
  }
  Rate rate = report.log.value_or(Rate{});
  Rule log = rule({CtNew{}}, verdict(VerdictKind::Continue));
  log.statements = {Limit{rate}, Log{log_prefix(report.audit, c.name), report.nflog_group}};
  out.items.push_back(std::move(log));
  Rule last = rule({}, verdict(report.audit ? VerdictKind::Return : VerdictKind::Drop),
                   (report.audit ? "audit: " : "") + chain_drop_comment(c));
  for (const auto& policy : c.isolated_by) {
    std::string name = deny_counter_name(policy, c.direction);
    last.statements.push_back(CounterRef{name});
    counters_[name] = {name, sanitize_comment(std::string(report.audit ? "would-be-denied " : "denied ") +
                                              direction_name(c.direction) + " packets of pods isolated by " + policy)};
  }
  out.items.push_back(std::move(last));
}

std::vector<size_t> Builder::used_chains() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < prog_.chains.size(); ++i) {
    const PodChain& c = prog_.chains[i];
    if (opt_.target == Target::Gateway ||
        std::binary_search(c.pods.begin(), c.pods.end(), opt_.endpoint_pod))
      out.push_back(i);
  }
  return out;
}

// The DNS carve-out rule: to (or, on a DNS server, from) the cluster DNS
// servers on 53.
void Builder::add_dns_rules(bool to_dns, bool from_pods, Chain& out) {
  for (Family f : {Family::V4, Family::V6}) {
    if (prog_.dns_servers.of(f).empty()) continue;
    std::string dns = address_set(std::string("dns-") + family_suffix(f), f, prog_.dns_servers.of(f));
    std::string pods = address_set(std::string("pods-") + family_suffix(f), f, prog_.pod_addresses.of(f));
    std::vector<Match> m;
    if (from_pods) m.push_back(AddrInSet{{f, true}, pods});
    if (to_dns) m.push_back(AddrInSet{{f, false}, dns});
    m.push_back(port_match({{Protocol::UDP, 53, 53}, {Protocol::TCP, 53, 53}}));
    out.items.push_back(rule(std::move(m), verdict(VerdictKind::Accept), "--dns-carve-out cluster"));
  }
}

void Builder::add_gateway_base(Ruleset& rs) {
  if (opt_.dns_carve_out) {
    Chain dns;
    dns.name = "dns-carve-out";
    dns.comment = sanitize_comment("every pod reaches the cluster DNS servers on 53, whatever the policies say");
    add_dns_rules(true, true, dns);
    rs.chains.push_back(std::move(dns));
  }
  Chain fw;
  fw.name = "forward";
  fw.hook = BaseHook{Hook::Forward};
  fw.items.push_back(rule({CtEstablished{}}, verdict(VerdictKind::Accept), "replies of allowed connections"));
  if (opt_.dns_carve_out) fw.items.push_back(rule({}, verdict(VerdictKind::Jump, "dns-carve-out")));
  for (Direction d : {Direction::Egress, Direction::Ingress}) {
    bool egress = d == Direction::Egress;
    for (Family f : {Family::V4, Family::V6}) {
      Verdict v = verdict(VerdictKind::Vmap, std::string(direction_name(d)) + "-" + family_suffix(f));
      v.key = {f, egress};
      fw.items.push_back(rule({}, v, egress ? "egress of the source pod" : "ingress of the destination pod"));
    }
  }
  rs.chains.push_back(std::move(fw));
}

void Builder::add_endpoint_base(Ruleset& rs) {
  const Pod& pod = cluster_.pods[opt_.endpoint_pod];
  for (Direction d : {Direction::Ingress, Direction::Egress}) {
    bool in = d == Direction::Ingress;
    Chain c;
    c.name = in ? "input" : "output";
    c.hook = BaseHook{in ? Hook::Input : Hook::Output};
    c.items.push_back(rule({Loopback{in}}, verdict(VerdictKind::Accept), "loopback"));
    c.items.push_back(rule({CtEstablished{}}, verdict(VerdictKind::Accept), "replies of allowed connections"));
    c.items.push_back(rule({NeighbourDiscovery{}}, verdict(VerdictKind::Accept), "IPv6 neighbour discovery"));
    if (opt_.dns_carve_out) {
      bool serves_dns = false;
      for (const auto& ip : pod.ips) serves_dns = serves_dns || prog_.dns_servers.contains(ip);
      if (!in) add_dns_rules(true, false, c);
      else if (serves_dns) add_dns_rules(false, true, c);
    }
    for (size_t i : used_chains())
      if (prog_.chains[i].direction == d)
        c.items.push_back(rule({}, verdict(VerdictKind::Jump, prog_.chains[i].name),
                               std::string(direction_name(d)) + " of " + pod.ns + "/" + pod.name));
    rs.chains.push_back(std::move(c));
  }
}

std::vector<VerdictMap> Builder::maps() const {
  std::vector<VerdictMap> out;
  for (Direction d : {Direction::Egress, Direction::Ingress}) {
    for (Family f : {Family::V4, Family::V6}) {
      VerdictMap m;
      m.name = std::string(direction_name(d)) + "-" + family_suffix(f);
      m.family = f;
      for (const auto& e : d == Direction::Ingress ? prog_.ingress : prog_.egress) {
        if (e.addr.family != f) continue;
        const Pod& p = cluster_.pods[e.pod];
        m.entries.push_back({e.addr, sanitize_comment(p.ns + "/" + p.name), prog_.chains[e.chain].name});
      }
      out.push_back(std::move(m));
    }
  }
  return out;
}

Ruleset Builder::run() {
  Ruleset rs;
  rs.table = opt_.table;
  rs.comment = "managed by netpolc; do not edit";
  const auto chains = used_chains();
  for (size_t i : chains) rs.chains.push_back(pod_chain(i));
  if (opt_.target == Target::Gateway) add_gateway_base(rs);
  else add_endpoint_base(rs);

  if (opt_.target == Target::Gateway) {
    rs.header.push_back("netpolc gateway ruleset: " + count(prog_.pod_count, "pod", "pods") + ", " +
                        count(prog_.policy_count, "policy", "policies") + ", " +
                        count(chains.size(), "chain", "chains"));
    rs.maps = maps();
  } else {
    const Pod& pod = cluster_.pods[opt_.endpoint_pod];
    rs.header.push_back("netpolc endpoint ruleset for " + pod.ns + "/" + pod.name + ": " +
                        count(prog_.policy_count, "policy", "policies") + ", " +
                        count(chains.size(), "chain", "chains"));
  }
  rs.header.push_back("`nft -f` replaces table inet " + opt_.table + " atomically and touches no other table.");
  for (auto& [name, p] : port_sets_) rs.port_sets.push_back(std::move(p));
  for (auto& [name, s] : sets_) rs.sets.push_back(std::move(s));
  for (auto& [name, c] : counters_) rs.counters.push_back(std::move(c));
  return rs;
}

}  // namespace

PortShape port_shape(const std::vector<PortRange>& ports) {
  if (std::all_of(ports.begin(), ports.end(), full_range)) return PortShape::Protocols;
  return distinct_protocols(ports).size() == 1 ? PortShape::OneProtocol : PortShape::Concat;
}

std::vector<Protocol> distinct_protocols(const std::vector<PortRange>& ports) {
  std::set<Protocol> protos;
  for (const auto& p : ports) protos.insert(p.protocol);
  return {protos.begin(), protos.end()};
}

bool port_intervals(const std::vector<PortRange>& ports) {
  return port_shape(ports) != PortShape::Protocols &&
         std::any_of(ports.begin(), ports.end(), [](const PortRange& p) { return p.lo != p.hi; });
}

std::string sanitize_comment(std::string text) {
  // nft comments are limited to 128 bytes with the final NUL and cannot hold
  // a double quote; control characters, which no valid name has, become '?'.
  for (char& c : text) {
    if (c == '"') c = '\'';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (text.size() > 127) text = text.substr(0, 124) + "...";
  return text;
}

Ruleset build_ruleset(const Program& prog, const Cluster& cluster, const NftOptions& options) {
  return Builder(prog, cluster, options).run();
}

}  // namespace netpolc::nft
