#include "review/flows.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "compiler/program.h"

namespace netpolc::review {

namespace {

L4 l4_of(Protocol p) {
  switch (p) {
    case Protocol::TCP: return L4::TCP;
    case Protocol::UDP: return L4::UDP;
    case Protocol::SCTP: return L4::SCTP;
  }
  return L4::TCP;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

u128 family_max(Family f) { return f == Family::V4 ? u128(0xffffffffu) : ~u128(0); }

// Every ipBlock of the policy sets, once each.
std::vector<const IpBlock*> all_ip_blocks(const std::vector<const PolicySet*>& sets) {
  std::vector<const IpBlock*> out;
  for (const PolicySet* ps : sets)
    for (const auto& p : ps->policies)
      for (Direction d : {Direction::Ingress, Direction::Egress})
        for (const auto& r : p.rules(d))
          for (const auto& peer : r.peers) {
            if (!peer.ip_block) continue;
            const IpBlock& b = *peer.ip_block;
            bool seen = std::any_of(out.begin(), out.end(), [&](const IpBlock* o) {
              return o->cidr == b.cidr && o->except == b.except;
            });
            if (!seen) out.push_back(&b);
          }
  return out;
}

bool block_contains(const IpBlock& b, const IpAddr& ip) {
  if (!contains(b.cidr, ip)) return false;
  return std::none_of(b.except.begin(), b.except.end(), [&](const Cidr& e) { return contains(e, ip); });
}

// One class of outside addresses while they are being collected.
struct AddressClass {
  std::vector<size_t> blocks;  // the ipBlocks containing it
  Endpoint endpoint;
  std::vector<std::pair<Family, IpRange>> ranges;
};

std::string ranges_label(const std::vector<std::pair<Family, IpRange>>& ranges) {
  std::vector<std::string> cidrs;
  for (const auto& [f, r] : ranges)
    for (const auto& c : range_to_cidrs(f, r)) cidrs.push_back(format_cidr(c));
  std::string s;
  for (size_t i = 0; i < cidrs.size() && i < 4; ++i) s += (i ? ", " : "") + cidrs[i];
  if (cidrs.size() > 4) s += ", +" + std::to_string(cidrs.size() - 4) + " more";
  return s;
}

}  // namespace

std::string rule_label(const Policy& p, Direction d, size_t rule) {
  return RuleOrigin{p.ns, p.name, d, rule, {}}.label();
}

std::string ip_block_text(const IpBlock& b) {
  std::string s = format_cidr(b.cidr);
  for (size_t i = 0; i < b.except.size(); ++i) s += (i ? ", " : " except ") + format_cidr(b.except[i]);
  return s;
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string Probe::label() const {
  if (protocol == L4::ICMP) return "ICMP";
  if (other) return std::string(l4_name(protocol)) + " (other ports)";
  return std::to_string(port) + "/" + l4_name(protocol);
}

std::optional<Probe> parse_probe(std::string_view text) {
  std::string t = upper(text);
  if (t == "ICMP") return Probe{L4::ICMP, 0, false};
  size_t slash = t.find('/');
  std::string num = t.substr(0, slash);
  Probe p;
  if (slash != std::string::npos) {
    std::string proto = t.substr(slash + 1);
    if (proto == "TCP") p.protocol = L4::TCP;
    else if (proto == "UDP") p.protocol = L4::UDP;
    else if (proto == "SCTP") p.protocol = L4::SCTP;
    else return std::nullopt;
  }
  if (num.empty() || num.size() > 5 || !std::all_of(num.begin(), num.end(), ::isdigit)) return std::nullopt;
  int n = std::stoi(num);
  if (n < 1 || n > 65535) return std::nullopt;
  p.port = uint16_t(n);
  return p;
}

void sort_probes(std::vector<Probe>& probes) {
  std::sort(probes.begin(), probes.end());
  probes.erase(std::unique(probes.begin(), probes.end()), probes.end());
}

char reach_char(Reach r) {
  switch (r) {
    case Reach::Deny: return 'X';
    case Reach::Allow: return '.';
    case Reach::V4Only: return '4';
    case Reach::V6Only: return '6';
    case Reach::NoPath: return '-';
  }
  return '?';
}

const char* reach_name(Reach r) {
  switch (r) {
    case Reach::Deny: return "deny";
    case Reach::Allow: return "allow";
    case Reach::V4Only: return "ipv4-only";
    case Reach::V6Only: return "ipv6-only";
    case Reach::NoPath: return "no-common-family";
  }
  return "?";
}

bool reach_allows_any(Reach r) { return r == Reach::Allow || r == Reach::V4Only || r == Reach::V6Only; }

std::optional<Flow> flow_of(const Endpoint& from, const Endpoint& to, const Probe& probe, Family f) {
  if (!from.addr(f) || !to.addr(f)) return std::nullopt;
  return Flow{*from.addr(f), *to.addr(f), probe.protocol, probe.protocol == L4::ICMP ? uint16_t(0) : probe.port};
}

Reach reach(const Evaluator& ev, const Endpoint& from, const Endpoint& to, const Probe& probe, Families families) {
  bool same = from.pod >= 0 ? from.pod == to.pod : (to.pod < 0 && from.v4 == to.v4 && from.v6 == to.v6);
  if (same) return Reach::Allow;
  int have = 0;
  bool ok[2] = {false, false};
  for (Family f : {Family::V4, Family::V6}) {
    if ((f == Family::V4 && families == Families::V6) || (f == Family::V6 && families == Families::V4)) continue;
    auto flow = flow_of(from, to, probe, f);
    if (!flow) continue;
    have |= 1 << int(f);
    ok[int(f)] = ev.evaluate(*flow).allowed;
  }
  if (have == 0) return Reach::NoPath;
  if (have != 3) return ok[0] || ok[1] ? Reach::Allow : Reach::Deny;
  if (ok[0] == ok[1]) return ok[0] ? Reach::Allow : Reach::Deny;
  return ok[0] ? Reach::V4Only : Reach::V6Only;
}

std::vector<Endpoint> pod_endpoints(const Cluster& cluster) {
  std::vector<Endpoint> out;
  for (size_t i = 0; i < cluster.pods.size(); ++i) {
    const Pod& p = cluster.pods[i];
    if (!p.enforced()) continue;
    Endpoint e;
    e.pod = long(i);
    e.name = p.ns + "/" + p.name;
    for (const auto& ip : p.ips) {
      auto& slot = ip.family == Family::V4 ? e.v4 : e.v6;
      if (!slot) slot = ip;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Endpoint address_endpoint(const IpAddr& ip) {
  Endpoint e;
  e.kind = Endpoint::Kind::External;
  e.name = format_ip(ip);
  (ip.family == Family::V4 ? e.v4 : e.v6) = ip;
  return e;
}

std::vector<Endpoint> ipblock_endpoints(const Cluster& cluster, const std::vector<const PolicySet*>& policy_sets) {
  std::vector<const IpBlock*> blocks = all_ip_blocks(policy_sets);
  std::vector<AddressClass> classes;
  std::map<std::vector<size_t>, size_t> by_blocks;
  for (Family f : {Family::V4, Family::V6}) {
    std::set<u128> cuts = {0};
    auto cut_after = [&](u128 hi) {
      if (hi != family_max(f)) cuts.insert(hi + 1);
    };
    for (const IpBlock* b : blocks) {
      if (b->cidr.addr.family != f) continue;
      IpRange r = cidr_range(b->cidr);
      cuts.insert(r.lo);
      cut_after(r.hi);
      for (const auto& e : b->except) {
        IpRange x = cidr_range(e);
        cuts.insert(x.lo);
        cut_after(x.hi);
      }
    }
    std::set<u128> pods;
    for (const auto& p : cluster.pods)
      if (p.enforced())
        for (const auto& ip : p.ips)
          if (ip.family == f) pods.insert(ip.value);
    for (auto it = cuts.begin(); it != cuts.end(); ++it) {
      auto next = std::next(it);
      IpRange r{*it, next == cuts.end() ? family_max(f) : *next - 1};
      u128 rep = r.lo;
      while (pods.count(rep) && rep < r.hi) ++rep;
      if (pods.count(rep)) continue;  // pod addresses only
      IpAddr addr{f, rep};
      std::vector<size_t> in;
      for (size_t b = 0; b < blocks.size(); ++b)
        if (block_contains(*blocks[b], addr)) in.push_back(b);
      auto [slot, fresh] = by_blocks.try_emplace(in, classes.size());
      if (fresh) {
        classes.push_back({in, {}, {}});
        classes.back().endpoint.kind = Endpoint::Kind::External;
      }
      AddressClass& c = classes[slot->second];
      auto& slot_f = f == Family::V4 ? c.endpoint.v4 : c.endpoint.v6;
      if (!slot_f) slot_f = addr;
      c.ranges.push_back({f, r});
    }
  }
  // Names: the most specific ipBlock containing the class.
  std::map<std::string, int> uses;
  for (auto& c : classes) {
    const IpBlock* best = nullptr;
    for (size_t b : c.blocks)
      if (!best || blocks[b]->cidr.prefix > best->cidr.prefix) best = blocks[b];
    c.endpoint.name = best ? ip_block_text(*best) : "other addresses";
    ++uses[c.endpoint.name];
  }
  std::vector<Endpoint> out;
  for (auto& c : classes) {
    if (uses[c.endpoint.name] > 1) c.endpoint.name = ranges_label(c.ranges);
    out.push_back(std::move(c.endpoint));
  }
  return out;
}

std::vector<Probe> declared_probes(const Pod& pod) {
  std::vector<Probe> out;
  for (const auto& cp : pod.ports) out.push_back({l4_of(cp.protocol), uint16_t(cp.port), false});
  sort_probes(out);
  return out;
}

std::vector<Probe> declared_probes(const Cluster& cluster) {
  std::vector<Probe> out;
  for (const auto& p : cluster.pods)
    if (p.enforced())
      for (const auto& probe : declared_probes(p)) out.push_back(probe);
  sort_probes(out);
  return out;
}

std::vector<Probe> policy_probes(const PolicySet& policies) {
  std::vector<Probe> out;
  for (const auto& p : policies.policies)
    for (Direction d : {Direction::Ingress, Direction::Egress})
      for (const auto& r : p.rules(d))
        for (const auto& spec : r.ports)
          if (spec.port) out.push_back({l4_of(spec.protocol), uint16_t(*spec.port), false});
  sort_probes(out);
  return out;
}

std::vector<Probe> other_probes(const std::vector<Probe>& named, const std::vector<const PolicySet*>& policy_sets) {
  std::vector<Probe> out;
  for (Protocol proto : {Protocol::TCP, Protocol::UDP, Protocol::SCTP}) {
    L4 l4 = l4_of(proto);
    auto taken = [&](int port) {
      for (const auto& p : named)
        if (p.protocol == l4 && p.port == port) return true;
      for (const PolicySet* ps : policy_sets)
        for (const auto& pol : ps->policies)
          for (Direction d : {Direction::Ingress, Direction::Egress})
            for (const auto& r : pol.rules(d))
              for (const auto& spec : r.ports)
                if (spec.protocol == proto && spec.port && port >= *spec.port &&
                    port <= (spec.end_port ? *spec.end_port : *spec.port))
                  return true;
      return false;
    };
    for (int port = 65535; port >= 1; --port)
      if (!taken(port)) {
        out.push_back({l4, uint16_t(port), true});
        break;
      }
  }
  out.push_back({L4::ICMP, 0, true});
  return out;
}

std::vector<std::string> fold_names(std::vector<std::string> names) {
  // A name is a stem and a number ("api-12" = "api-" 12), or a stem alone.
  auto split = [](const std::string& n) {
    size_t i = n.size();
    while (i > 0 && std::isdigit(static_cast<unsigned char>(n[i - 1]))) --i;
    bool numbered = i < n.size() && n.size() - i <= 9 && (n[i] != '0' || i + 1 == n.size());
    return numbered ? std::pair<std::string, long>{n.substr(0, i), std::stol(n.substr(i))}
                    : std::pair<std::string, long>{n, -1};
  };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    return split(a) < split(b);
  });
  std::vector<std::string> out;
  for (size_t i = 0; i < names.size();) {
    auto [stem, n] = split(names[i]);
    size_t j = i + 1;
    while (n >= 0 && j < names.size() && split(names[j]).first == stem && split(names[j]).second >= 0) ++j;
    if (j - i < 2) {
      out.push_back(names[i++]);
      continue;
    }
    std::string list;
    for (size_t k = i; k < j;) {  // runs of consecutive numbers as a..b
      long lo = split(names[k]).second, hi = lo;
      size_t e = k + 1;
      while (e < j && split(names[e]).second == hi + 1) hi = split(names[e++]).second;
      list += (list.empty() ? "" : ",") + std::to_string(lo) + (hi > lo ? ".." + std::to_string(hi) : "");
      k = e;
    }
    out.push_back(stem + "{" + list + "}");
    i = j;
  }
  return out;
}

std::string group_label(const Cluster& cluster, const std::vector<Endpoint>& endpoints,
                        const std::vector<size_t>& members, size_t max_names) {
  // Pods by namespace, in the order the members come; other endpoints by name.
  std::vector<std::pair<std::string, std::vector<std::string>>> by_ns;
  std::vector<std::string> parts;
  for (size_t m : members) {
    const Endpoint& e = endpoints[m];
    if (e.pod < 0) {
      parts.push_back(e.name);
      continue;
    }
    const Pod& p = cluster.pods[size_t(e.pod)];
    auto it = std::find_if(by_ns.begin(), by_ns.end(), [&](const auto& g) { return g.first == p.ns; });
    if (it == by_ns.end()) {
      by_ns.push_back({p.ns, {}});
      it = std::prev(by_ns.end());
    }
    it->second.push_back(p.name);
  }
  auto join = [&](const std::vector<std::string>& items, const char* sep) {
    size_t shown = max_names && items.size() > max_names ? max_names : items.size();
    std::string s;
    for (size_t i = 0; i < shown; ++i) s += (i ? sep : "") + items[i];
    if (shown < items.size()) s += sep + std::string("+") + std::to_string(items.size() - shown) + " more";
    return s;
  };
  std::vector<std::string> out;
  for (const auto& [ns, names] : by_ns) {
    size_t in_ns = size_t(std::count_if(cluster.pods.begin(), cluster.pods.end(),
                                        [&](const Pod& p) { return p.ns == ns && p.enforced(); }));
    std::vector<std::string> folded = fold_names(names);
    if (names.size() > 1 && names.size() == in_ns) out.push_back(ns + "/*");
    else if (folded.size() == 1) out.push_back(ns + "/" + folded[0]);
    else out.push_back(ns + "/{" + join(folded, ",") + "}");
  }
  for (auto& p : parts) out.push_back(p);
  return join(out, ", ");
}

}  // namespace netpolc::review
