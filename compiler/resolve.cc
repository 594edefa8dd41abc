#include "compiler/resolve.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <map>
#include <set>

#include "compiler/pod_index.h"

namespace netpolc {

std::string RuleOrigin::label() const {
  return ns + "/" + policy + " " + direction_name(direction) + "[" + std::to_string(index) + "]";
}

AddrSet cluster_dns_servers(const Cluster& cluster) {
  AddrSet s;
  auto add = [&](const IpAddr& ip) { s.of(ip.family).push_back({ip.value, ip.value}); };
  if (!cluster.dns_servers.empty()) {
    for (const auto& ip : cluster.dns_servers) add(ip);
  } else {
    for (const auto& p : cluster.pods) {
      auto it = p.labels.find("k8s-app");
      if (p.ns == "kube-system" && it != p.labels.end() && it->second == "kube-dns" && p.enforced())
        for (const auto& ip : p.ips) add(ip);
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

// Appends the ranges of `b` to `a`, to be normalized once after the last:
// a union per set would cost the number of sets squared.
void append(AddrSet& a, const AddrSet& b) {
  a.v4.insert(a.v4.end(), b.v4.begin(), b.v4.end());
  a.v6.insert(a.v6.end(), b.v6.begin(), b.v6.end());
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

AddrSet peer_addresses(const PodIndex& index, const Policy& policy, const Peer& peer) {
  if (peer.ip_block) {
    AddrSet except;
    for (const auto& c : peer.ip_block->except) append(except, AddrSet::of_cidr(c));
    normalize(except);
    return set_subtract(AddrSet::of_cidr(peer.ip_block->cidr), except);
  }
  AddrSet s;
  for (size_t i : index.select_peer_pods(policy.ns, peer))
    for (const auto& ip : index.cluster().pods[i].ips) s.of(ip.family).push_back({ip.value, ip.value});
  normalize(s);
  return s;
}

// A rule, resolved; stops early (the caller reports it) when it runs out of
// steps.
CompiledRule compile_rule(const PodIndex& index, const NamedPortIndex& named, const Policy& policy,
                          Direction d, size_t r, Steps& steps) {
  const Rule& rule = policy.rules(d)[r];
  CompiledRule out;
  out.origin = RuleOrigin{policy.ns, policy.name, d, r, rule.loc};
  out.any_peer = rule.peers.empty();
  for (const auto& peer : rule.peers) {
    append(out.peers, peer_addresses(index, policy, peer));
    if (steps.over()) return out;
  }
  normalize(out.peers);
  out.any_port = rule.ports.empty();
  std::set<std::pair<std::string, Protocol>> resolved;  // a named port listed twice adds nothing
  for (const auto& spec : rule.ports) {
    if (!spec.name.empty()) {
      out.has_named_ports = true;
      if (d != Direction::Egress) continue;  // resolved per destination pod, in its chain
      auto it = named.find({spec.name, spec.protocol});
      if (it == named.end() || !resolved.insert(it->first).second) continue;
      steps.taken += it->second.size();
      if (steps.over()) return out;
      for (auto [pod, port] : it->second)
        for (const auto& ip : index.cluster().pods[pod].ips)
          if (out.any_peer || out.peers.contains(ip)) out.named_targets.push_back({ip, spec.protocol, port});
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
        prog.rules.push_back(compile_rule(index, named, pol, d, r, steps));
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
    for (auto& ip : p.ips) prog.pod_addresses.of(ip.family).push_back({ip.value, ip.value});
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
