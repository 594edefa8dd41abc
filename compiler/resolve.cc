#include "compiler/resolve.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "compiler/pod_index.h"

namespace netpolc {

std::string RuleOrigin::label() const {
  return ns + "/" + policy + " " + direction_name(direction) + "[" + std::to_string(index) + "]";
}

std::string RuleOrigin::peer_label(size_t peer) const {
  return label() + (direction == Direction::Ingress ? " from[" : " to[") + std::to_string(peer) + "]";
}

AddrSet cluster_dns_servers(const Cluster& cluster) {
  AddrSet s;
  if (!cluster.dns_servers.empty()) {
    for (const auto& ip : cluster.dns_servers) s.add(ip);
  } else {
    for (const auto& p : cluster.pods) {
      auto it = p.labels.find("k8s-app");
      if (p.ns == "kube-system" && it != p.labels.end() && it->second == "kube-dns" && p.enforced())
        for (const auto& ip : p.ips) s.add(ip);
    }
  }
  normalize(s);  // once: a union per address would cost their number squared
  return s;
}

namespace {

// The work of one resolve, against ResolveOptions::max_steps: the pods and
// namespaces the index's selections examined, and the steps counted here.
struct Steps {
  const PodIndex& index;
  size_t max;
  size_t taken = 0;

  bool over() const { return index.examined() + taken > max; }
};

void report_too_large(const SourceLoc& loc, size_t max_steps, Diagnostics& diags) {
  diags.error(loc, "",
              "too large to resolve: more than " + std::to_string(max_steps) +
                  " steps (a step per pod a selector examines, per pod a policy isolates, "
                  "per rule of each pod's chain); narrow the selectors or split the cluster");
}

// Container ports by (name, protocol): where egress named ports can go.
using NamedPortIndex = std::map<std::pair<std::string, Protocol>, std::vector<std::pair<size_t, uint16_t>>>;

NamedPortIndex index_named_ports(const Cluster& cluster) {
  NamedPortIndex idx;
  for (size_t i = 0; i < cluster.pods.size(); ++i) {
    const Pod& p = cluster.pods[i];
    if (!p.enforced()) continue;
    for (const auto& cp : p.ports)
      if (!cp.name.empty()) idx[{cp.name, cp.protocol}].emplace_back(i, uint16_t(cp.port));
  }
  return idx;
}

std::string selector_key(const LabelSelector& sel) {
  std::string out;
  for (const auto& [k, v] : sel.match_labels) out += k + "=" + v + ",";
  std::vector<std::string> exprs;
  for (const auto& r : sel.match_expressions) {
    std::vector<std::string> values = r.values;
    std::sort(values.begin(), values.end());
    std::string e = r.key + " " + std::to_string(int(r.op));
    for (const auto& v : values) e += " " + v;
    exprs.push_back(e);
  }
  std::sort(exprs.begin(), exprs.end());
  for (const auto& e : exprs) out += "(" + e + ")";
  return out;
}

// Resolves each distinct peer once and shares peers that stand for the same
// addresses, so that a selector used by many policies costs its answer once.
class PeerResolver {
 public:
  PeerResolver(const PodIndex& index, Program& prog) : index_(index), prog_(prog) {}

  // The peer set of one peer of a rule.
  size_t resolve(const Policy& policy, const Peer& peer, const RuleOrigin& origin, size_t peer_index) {
    std::string key = peer_key(policy, peer);
    auto it = by_key_.find(key);
    if (it != by_key_.end()) return it->second;
    AddrSet addrs;
    std::vector<size_t> pods;
    if (peer.ip_block) {
      AddrSet except;
      for (const auto& c : peer.ip_block->except) append(except, AddrSet::of_cidr(c));
      normalize(except);
      addrs = set_subtract(AddrSet::of_cidr(peer.ip_block->cidr), except);
    } else {
      pods = index_.select_peer_pods(policy.ns, peer);
      for (size_t i : pods)
        for (const auto& ip : index_.cluster().pods[i].ips) addrs.add(ip);
      normalize(addrs);
    }
    auto [c, fresh] = by_content_.try_emplace({addrs.v4, addrs.v6}, prog_.peer_sets.size());
    if (fresh) {
      prog_.peer_sets.push_back({std::move(addrs), origin, peer_index});
      pods_.push_back(peer.ip_block ? std::nullopt : std::optional(std::move(pods)));
    } else if (!pods_[c->second] && !peer.ip_block) {
      pods_[c->second] = std::move(pods);
    }
    by_key_.emplace(std::move(key), c->second);
    return c->second;
  }

  // The pods a peer set stands for, when it came from selectors.
  const std::optional<std::vector<size_t>>& pods(size_t set) const { return pods_[set]; }

 private:
  static std::string peer_key(const Policy& policy, const Peer& peer) {
    if (peer.ip_block) {
      std::string k = "ip " + format_cidr(peer.ip_block->cidr);
      std::vector<std::string> ex;
      for (const auto& c : peer.ip_block->except) ex.push_back(format_cidr(c));
      std::sort(ex.begin(), ex.end());
      for (const auto& e : ex) k += " -" + e;
      return k;
    }
    std::string k = peer.namespace_selector ? "ns " + selector_key(*peer.namespace_selector) : "in " + policy.ns;
    return k + " | " + (peer.pod_selector ? selector_key(*peer.pod_selector) : "*");
  }

  const PodIndex& index_;
  Program& prog_;
  std::map<std::string, size_t> by_key_;
  std::map<std::pair<std::vector<IpRange>, std::vector<IpRange>>, size_t> by_content_;
  std::vector<std::optional<std::vector<size_t>>> pods_;  // per peer set
};

// Egress named ports, resolved on the destination pods the peers stand for.
// `declared` lists the pods that declare the port, with its number there.
// Adds the pods it looks at to `work`.
std::vector<AddrPort> egress_named_targets(const CompiledRule& rule, const PortSpec& spec, const PeerResolver& peers,
                                           const std::vector<std::pair<size_t, uint16_t>>& declared,
                                           const Program& prog, const Cluster& cluster, size_t& work) {
  std::vector<AddrPort> out;
  auto add = [&](size_t pod, uint16_t port) {
    for (const auto& ip : cluster.pods[pod].ips) out.push_back({ip, spec.protocol, port});
  };
  auto declared_port = [&](size_t pod) -> std::optional<uint16_t> {
    for (const auto& cp : cluster.pods[pod].ports)
      if (cp.name == spec.name && cp.protocol == spec.protocol) return uint16_t(cp.port);
    return std::nullopt;
  };
  if (rule.any_peer) {
    work += declared.size();
    for (auto [pod, port] : declared) add(pod, port);
    return out;
  }
  for (size_t set : rule.peer_sets) {
    if (const auto& pods = peers.pods(set)) {
      work += pods->size();
      for (size_t pod : *pods)
        if (auto port = declared_port(pod)) add(pod, *port);
      continue;
    }
    const AddrSet& addrs = prog.peer_sets[set].addresses;
    work += declared.size();
    for (auto [pod, port] : declared)
      for (const auto& ip : cluster.pods[pod].ips)
        if (addrs.contains(ip)) out.push_back({ip, spec.protocol, port});
  }
  return out;
}

// A rule, resolved; stops early (the caller reports it) when it runs out of
// steps.
CompiledRule compile_rule(PeerResolver& peers, const NamedPortIndex& named, const Program& prog,
                          const Cluster& cluster, const Policy& policy, Direction d, size_t r, Steps& steps) {
  const Rule& rule = policy.rules(d)[r];
  CompiledRule out;
  out.origin = RuleOrigin{policy.ns, policy.name, d, r, rule.loc};
  out.any_peer = rule.peers.empty();
  for (size_t i = 0; i < rule.peers.size(); ++i) {
    out.peer_sets.push_back(peers.resolve(policy, rule.peers[i], out.origin, i));
    if (steps.over()) return out;
  }
  out.any_port = rule.ports.empty();
  std::set<std::pair<std::string, Protocol>> resolved;  // a named port listed twice adds nothing
  for (const auto& spec : rule.ports) {
    if (!spec.name.empty()) {
      out.has_named_ports = true;
      if (d != Direction::Egress) continue;  // resolved per destination pod, in its chain
      auto it = named.find({spec.name, spec.protocol});
      if (it == named.end() || !resolved.insert(it->first).second) continue;
      auto t = egress_named_targets(out, spec, peers, it->second, prog, cluster, steps.taken);
      if (steps.over()) return out;
      out.named_targets.insert(out.named_targets.end(), t.begin(), t.end());
      continue;
    }
    uint16_t lo = spec.port ? uint16_t(*spec.port) : 0;
    uint16_t hi = spec.port ? uint16_t(spec.end_port ? *spec.end_port : *spec.port) : 65535;
    out.ports.push_back({spec.protocol, lo, hi});
  }
  merge_port_ranges(out.ports);
  std::sort(out.named_targets.begin(), out.named_targets.end());
  out.named_targets.erase(std::unique(out.named_targets.begin(), out.named_targets.end()),
                          out.named_targets.end());
  return out;
}

// Ingress named ports of a rule, as declared by the pod the rule protects.
std::vector<PortRange> named_ports_on(const Pod& pod, const Rule& rule) {
  std::vector<PortRange> out;
  for (const auto& spec : rule.ports) {
    if (spec.name.empty()) continue;
    for (const auto& cp : pod.ports)
      if (cp.name == spec.name && cp.protocol == spec.protocol)
        out.push_back({cp.protocol, uint16_t(cp.port), uint16_t(cp.port)});
  }
  merge_port_ranges(out);
  return out;
}

// What makes two pods' chains the same.
struct ChainKey {
  Direction direction;
  std::string ns;
  std::vector<std::string> isolated_by;
  std::vector<ChainRule> rules;
  auto operator<=>(const ChainKey&) const = default;
};

std::string chain_name(const ChainKey& key, const Program& prog) {
  std::string content = key.ns;
  for (const auto& p : key.isolated_by) content += "|" + p;
  for (const auto& cr : key.rules) {
    content += "|" + prog.rules[cr.rule].origin.label();
    for (const auto& pr : cr.named_ports)
      content += ":" + std::string(protocol_name(pr.protocol)) + std::to_string(pr.lo);
  }
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", unsigned(content_hash(content) & 0xffffffffu));
  return std::string(key.direction == Direction::Ingress ? "in/" : "eg/") + key.ns + "/" + hex;
}

}  // namespace

Program resolve(const Cluster& cluster, const PolicySet& policies, const ResolveOptions& options,
                Diagnostics& diags) {
  Program prog;
  PodIndex index(cluster);
  NamedPortIndex named = index_named_ports(cluster);
  PeerResolver peers(index, prog);
  prog.policy_count = policies.policies.size();

  // Per pod and direction, the policies isolating it, in policy order.
  std::vector<std::vector<size_t>> isolating[2];
  isolating[0].resize(cluster.pods.size());
  isolating[1].resize(cluster.pods.size());
  // Per policy and direction, the index of its first compiled rule.
  std::vector<size_t> first_rule[2];
  Steps steps{index, options.max_steps};
  auto out_of_steps = [&](const SourceLoc& loc) {
    if (!steps.over()) return false;
    report_too_large(loc, options.max_steps, diags);
    return true;
  };
  for (size_t i = 0; i < policies.policies.size(); ++i) {
    const Policy& pol = policies.policies[i];
    bool host_network_warned = false;
    std::vector<size_t> targets;
    for (size_t pod : index.select_pods(pol.ns, pol.pod_selector)) {
      const Pod& p = cluster.pods[pod];
      if (p.host_network && !host_network_warned) {
        diags.warning(pol.pod_selector.loc, "spec.podSelector",
                      "selects hostNetwork pod " + p.ns + "/" + p.name +
                          ", which NetworkPolicy does not apply to; it is not enforced");
        host_network_warned = true;
      }
      if (p.enforced()) targets.push_back(pod);
    }
    for (Direction d : {Direction::Ingress, Direction::Egress}) {
      int di = int(d);
      first_rule[di].push_back(prog.rules.size());
      if (!pol.isolates(d)) continue;
      for (size_t r = 0; r < pol.rules(d).size(); ++r) {
        prog.rules.push_back(compile_rule(peers, named, prog, cluster, pol, d, r, steps));
        if (out_of_steps(pol.rules(d)[r].loc)) return Program{};
      }
      for (size_t pod : targets) isolating[di][pod].push_back(i);
      steps.taken += targets.size();
      if (out_of_steps(pol.loc)) return Program{};
    }
  }

  std::map<ChainKey, std::vector<size_t>> groups;
  for (size_t pod = 0; pod < cluster.pods.size(); ++pod) {
    const Pod& p = cluster.pods[pod];
    if (!p.enforced()) continue;
    ++prog.pod_count;
    for (auto& ip : p.ips) prog.pod_addresses.add(ip);
    for (Direction d : {Direction::Ingress, Direction::Egress}) {
      int di = int(d);
      if (isolating[di][pod].empty()) continue;
      ChainKey key{d, p.ns, {}, {}};
      for (size_t i : isolating[di][pod]) {
        const Policy& pol = policies.policies[i];
        key.isolated_by.push_back(pol.ns + "/" + pol.name);
        for (size_t r = 0; r < pol.rules(d).size(); ++r) {
          ChainRule cr{first_rule[di][i] + r, {}};
          if (d == Direction::Ingress && prog.rules[cr.rule].has_named_ports) {
            steps.taken += pol.rules(d)[r].ports.size() * p.ports.size();  // named_ports_on
            if (out_of_steps(p.loc)) return Program{};
            cr.named_ports = named_ports_on(p, pol.rules(d)[r]);
          }
          key.rules.push_back(std::move(cr));
        }
      }
      steps.taken += key.isolated_by.size() + key.rules.size();
      if (out_of_steps(p.loc)) return Program{};
      groups[std::move(key)].push_back(pod);
    }
  }
  normalize(prog.pod_addresses);

  std::set<std::string> used_names;
  for (auto& [key, pods] : groups) {
    PodChain c;
    c.direction = key.direction;
    c.ns = key.ns;
    c.isolated_by = key.isolated_by;
    std::sort(c.isolated_by.begin(), c.isolated_by.end());
    c.rules = key.rules;
    c.pods = pods;
    c.name = chain_name(key, prog);
    // A hash collision inside one run: keep names unique, deterministically.
    for (int n = 2; !used_names.insert(c.name).second; ++n) c.name = chain_name(key, prog) + "-" + std::to_string(n);
    prog.chains.push_back(std::move(c));
  }
  std::sort(prog.chains.begin(), prog.chains.end(),
            [](const PodChain& a, const PodChain& b) { return a.name < b.name; });
  for (size_t ci = 0; ci < prog.chains.size(); ++ci) {
    const PodChain& c = prog.chains[ci];
    auto& table = c.direction == Direction::Ingress ? prog.ingress : prog.egress;
    for (size_t pod : c.pods)
      for (const auto& ip : cluster.pods[pod].ips) table.push_back({ip, ci, pod});
  }
  auto by_addr = [](const Dispatch& a, const Dispatch& b) { return a.addr < b.addr; };
  std::sort(prog.ingress.begin(), prog.ingress.end(), by_addr);
  std::sort(prog.egress.begin(), prog.egress.end(), by_addr);
  prog.dns_servers = cluster_dns_servers(cluster);
  return prog;
}

}  // namespace netpolc
