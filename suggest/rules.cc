#include "suggest/rules.h"

#include <algorithm>
#include <map>
#include <set>

#include "compiler/labels.h"
#include "suggest/selector_choice.h"

namespace netpolc::suggest {

namespace {

constexpr const char* kNameLabel = "kubernetes.io/metadata.name";

// A peer of a suggested rule.
struct Spec {
  enum class Kind : uint8_t { Dns, Pods, Address };
  Kind kind = Kind::Pods;
  std::string ns;  // Pods
  Labels labels;   // Pods: the podSelector's matchLabels
  IpAddr ip;       // Address
  friend auto operator<=>(const Spec& a, const Spec& b) {
    return std::tie(a.kind, a.ns, a.labels, a.ip) <=> std::tie(b.kind, b.ns, b.labels, b.ip);
  }
  friend bool operator==(const Spec&, const Spec&) = default;
};

LabelSelector selector_of(Labels labels) {
  LabelSelector s;
  s.match_labels = std::move(labels);
  return s;
}

const PortKey kDnsUdp{false, L4::UDP, 53}, kDnsTcp{false, L4::TCP, 53};

// The pods a peer spec takes (enforced pods only), sorted.
std::vector<size_t> spec_pods(const Cluster& c, const Spec& s) {
  std::vector<size_t> out;
  if (s.kind == Spec::Kind::Address) return out;
  for (size_t i = 0; i < c.pods.size(); ++i) {
    const Pod& p = c.pods[i];
    if (!p.enforced()) continue;
    if (s.kind == Spec::Kind::Dns) {
      if (is_kube_dns(p)) out.push_back(i);
    } else if (p.ns == s.ns && selector_matches(selector_of(s.labels), p.labels)) {
      out.push_back(i);
    }
  }
  return out;
}

// The name every one of `pods` gives the port, or "" when they differ or one
// does not declare it.
std::string common_port_name(const Cluster& c, const std::vector<size_t>& pods, const PortKey& k) {
  std::string name;
  for (size_t i = 0; i < pods.size(); ++i) {
    std::string found;
    for (const auto& cp : c.pods[pods[i]].ports)
      if (cp.port == k.port && l4_name(k.protocol) == std::string(protocol_name(cp.protocol))) found = cp.name;
    if (found.empty() || (i > 0 && found != name)) return "";
    name = found;
  }
  return name;
}

Protocol protocol_of(L4 p) {
  return p == L4::UDP ? Protocol::UDP : p == L4::SCTP ? Protocol::SCTP : Protocol::TCP;
}

Peer peer_of(const Spec& s, const std::string& policy_ns) {
  Peer peer;
  if (s.kind == Spec::Kind::Dns) {
    peer.namespace_selector = selector_of({{kNameLabel, "kube-system"}});
    peer.pod_selector = selector_of({{"k8s-app", "kube-dns"}});
  } else {
    if (s.ns != policy_ns) peer.namespace_selector = selector_of({{kNameLabel, s.ns}});
    peer.pod_selector = selector_of(s.labels);
  }
  return peer;
}

// Rectangles of a relation: groups of specs that share one set of ports.
using Groups = std::vector<std::pair<std::vector<size_t>, std::vector<PortKey>>>;

Groups by_port_sets(const std::vector<std::set<PortKey>>& ports_of) {
  std::map<std::set<PortKey>, std::vector<size_t>> m;
  for (size_t s = 0; s < ports_of.size(); ++s) m[ports_of[s]].push_back(s);
  Groups g;
  for (auto& [ports, specs] : m) g.push_back({specs, {ports.begin(), ports.end()}});
  return g;
}

Groups by_peer_sets(const std::vector<std::set<PortKey>>& ports_of) {
  std::map<PortKey, std::vector<size_t>> specs_of;
  for (size_t s = 0; s < ports_of.size(); ++s)
    for (const PortKey& k : ports_of[s]) specs_of[k].push_back(s);
  std::map<std::vector<size_t>, std::vector<PortKey>> m;
  for (auto& [port, specs] : specs_of) m[specs].push_back(port);
  Groups g;
  for (auto& [specs, ports] : m) g.push_back({specs, ports});
  return g;
}

}  // namespace

bool is_kube_dns(const Pod& p) {
  auto it = p.labels.find("k8s-app");
  return p.ns == "kube-system" && it != p.labels.end() && it->second == "kube-dns";
}

std::vector<BuiltRule> build_rules(const Cluster& c, const std::string& ns, Direction d,
                                   const std::vector<size_t>& selected, const std::vector<Entry>& entries) {
  // Peer pods by workload (namespace and stable labels), each workload to the
  // selector that takes the pods of it seen here.
  std::map<std::pair<std::string, Labels>, std::vector<size_t>> classes;
  auto to_kube_dns = [&](const Entry& e) { return e.target.dns && e.target.pod >= 0 && is_kube_dns(c.pods[size_t(e.target.pod)]); };
  for (const Entry& e : entries)
    if (e.target.pod >= 0 && !to_kube_dns(e)) {
      const Pod& p = c.pods[size_t(e.target.pod)];
      classes[{p.ns, stable_labels(p.labels)}].push_back(size_t(e.target.pod));
    }
  std::map<std::pair<std::string, Labels>, Labels> class_selector;
  for (auto& [key, pods] : classes) {
    std::sort(pods.begin(), pods.end());
    pods.erase(std::unique(pods.begin(), pods.end()), pods.end());
    class_selector[key] = choose_selector(c, key.first, pods).match_labels;
  }
  auto spec_of = [&](const Entry& e) {
    Spec s;
    if (e.target.pod < 0) {
      s.kind = Spec::Kind::Address;
      s.ip = e.target.ip;
      return s;
    }
    if (to_kube_dns(e)) {
      s.kind = Spec::Kind::Dns;
      return s;
    }
    const Pod& p = c.pods[size_t(e.target.pod)];
    auto it = classes.find({p.ns, stable_labels(p.labels)});
    s.ns = p.ns;
    s.labels = class_selector.at(it->first);
    return s;
  };

  // The peers, sorted, so that everything built from them is in order.
  std::vector<Spec> entry_specs;
  for (const Entry& e : entries) entry_specs.push_back(spec_of(e));
  std::vector<Spec> specs = entry_specs;
  std::sort(specs.begin(), specs.end());
  specs.erase(std::unique(specs.begin(), specs.end()), specs.end());
  std::vector<size_t> spec_of_entry;
  for (const Spec& s : entry_specs)
    spec_of_entry.push_back(size_t(std::lower_bound(specs.begin(), specs.end(), s) - specs.begin()));

  std::vector<std::set<PortKey>> ports_of(specs.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    auto& ports = ports_of[spec_of_entry[i]];
    if (entries[i].target.dns) ports.insert({kDnsUdp, kDnsTcp});
    else ports.insert(entries[i].port);
  }
  for (auto& ports : ports_of)  // every port takes in the others
    if (std::any_of(ports.begin(), ports.end(), [](const PortKey& k) { return k.all; })) ports = {PortKey{true}};

  Groups a = by_port_sets(ports_of), b = by_peer_sets(ports_of);
  Groups& groups = b.size() < a.size() ? b : a;
  std::sort(groups.begin(), groups.end());

  std::vector<BuiltRule> out;
  for (const auto& [members, ports] : groups) {
    BuiltRule br;
    std::vector<std::vector<size_t>> pods_of;  // per member spec
    AddrSet addresses;
    bool any_address = false;
    for (size_t s : members) {
      const Spec& spec = specs[s];
      pods_of.push_back(spec_pods(c, spec));
      if (spec.kind == Spec::Kind::Address) {
        addresses = set_union(addresses, AddrSet::of_ip(spec.ip));
        any_address = true;
        continue;
      }
      br.rule.peers.push_back(peer_of(spec, ns));
    }
    for (Family f : {Family::V4, Family::V6})
      for (const IpRange& r : addresses.of(f))
        for (const Cidr& cidr : range_to_cidrs(f, r)) {
          Peer p;
          p.ip_block = IpBlock{cidr, {}, {}};
          br.rule.peers.push_back(p);
        }
    for (size_t i = 0; i < entries.size(); ++i)
      if (entries[i].target.dns && std::find(members.begin(), members.end(), spec_of_entry[i]) != members.end())
        br.dns = true;
    // The pods a named port is looked up on: the destination of the flow.
    std::vector<size_t> dst_pods = selected;
    if (d == Direction::Egress) {
      dst_pods.clear();
      for (const auto& ps : pods_of) dst_pods.insert(dst_pods.end(), ps.begin(), ps.end());
    }
    for (const PortKey& k : ports) {
      if (k.all) break;  // no ports: every port and protocol
      PortSpec ps;
      ps.protocol = protocol_of(k.protocol);
      ps.protocol_given = true;
      std::string name = br.dns || any_address || dst_pods.empty() ? "" : common_port_name(c, dst_pods, k);
      if (name.empty()) ps.port = k.port;
      else ps.name = name;
      br.rule.ports.push_back(ps);
    }

    // Exactness: every (isolated pod, peer, port) the rule allows, the DNS
    // peer and its second protocol aside, was observed.
    std::set<std::tuple<size_t, long, IpAddr, PortKey>> seen;
    std::set<PortKey> seen_ports;
    std::set<std::pair<long, IpAddr>> peers;
    for (size_t m = 0; m < members.size(); ++m) {
      if (specs[members[m]].kind == Spec::Kind::Dns) continue;
      if (specs[members[m]].kind == Spec::Kind::Address) peers.insert({-1, specs[members[m]].ip});
      for (size_t p : pods_of[m]) peers.insert({long(p), IpAddr{}});
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      size_t s = spec_of_entry[i];
      if (std::find(members.begin(), members.end(), s) == members.end()) continue;
      br.entries.push_back(i);
      if (specs[s].kind == Spec::Kind::Dns) continue;
      const Target& t = entries[i].target;
      seen.insert({entries[i].iso, t.pod, t.pod >= 0 ? IpAddr{} : t.ip, entries[i].port});
      seen_ports.insert(entries[i].port);
    }
    size_t allowed = selected.size() * peers.size() * seen_ports.size();
    if (seen.size() < allowed) {
      br.exact = false;
      br.unobserved = std::to_string(allowed - seen.size()) + " of " + std::to_string(allowed) +
                      " combinations of pod, peer and port";
      if (selected.size() > 1) br.blurs.push_back(selected);
      for (size_t m = 0; m < members.size(); ++m)
        if (specs[members[m]].kind == Spec::Kind::Pods && pods_of[m].size() > 1) br.blurs.push_back(pods_of[m]);
    }
    out.push_back(std::move(br));
  }
  return out;
}

}  // namespace netpolc::suggest
