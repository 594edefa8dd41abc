// NP001 dns-blocked, NP002 dns-to-any-address: the seeds' most common
// mistakes. A default deny of egress blocks name resolution unless DNS is
// allowed again, on UDP and TCP; and allowing port 53 to any address opens a
// channel around the cluster DNS.
#include <algorithm>
#include <map>
#include <tuple>

#include "review/lint_checks.h"

namespace netpolc::review {

namespace {

const char* kDnsRule =
    "allow DNS to the cluster DNS pods: an egress rule with to: [{namespaceSelector: {matchLabels: "
    "{kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}] and ports: "
    "[{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]";

// The addresses DNS queries reach once a Service is translated: the DNS pods
// (k8s-app=kube-dns in kube-system), or, when the snapshot has none, the DNS
// servers it names.
std::vector<IpAddr> dns_servers(const Cluster& cluster) {
  std::vector<IpAddr> out;
  for (const auto& p : cluster.pods) {
    auto it = p.labels.find("k8s-app");
    if (p.ns == "kube-system" && it != p.labels.end() && it->second == "kube-dns" && p.enforced())
      out.insert(out.end(), p.ips.begin(), p.ips.end());
  }
  return out.empty() ? cluster.dns_servers : out;
}

// Whether the pod reaches one of the servers on 53 of `proto`; when not, the
// side that denies it (of the first server of a family the pod has).
bool reaches_dns(const LintContext& cx, const Pod& pod, const std::vector<IpAddr>& servers, L4 proto,
                 std::optional<Verdict>* denied) {
  for (const auto& server : servers)
    for (const auto& ip : pod.ips) {
      if (ip.family != server.family) continue;
      Verdict v = cx.ev.evaluate({ip, server, proto, 53});
      if (v.allowed) return true;
      if (!*denied) *denied = v;
    }
  return false;
}

bool allows_port_53(const Rule& r, Protocol proto) {
  if (r.ports.empty()) return false;  // every port: not "by port alone"
  return std::any_of(r.ports.begin(), r.ports.end(), [&](const PortSpec& p) {
    return p.protocol == proto && p.port && *p.port <= 53 && 53 <= (p.end_port ? *p.end_port : *p.port);
  });
}

}  // namespace

void check_dns_blocked(LintContext& cx) {
  std::vector<IpAddr> servers = dns_servers(cx.cluster);
  if (servers.empty()) return;  // no cluster DNS in the snapshot to check against
  std::string dns_names;
  for (const auto& s : servers) {
    long pod = cx.ev.pod_by_ip(s);
    std::string name = pod >= 0 ? cx.cluster.pods[size_t(pod)].ns + "/" + cx.cluster.pods[size_t(pod)].name : format_ip(s);
    if (dns_names.find(name) == std::string::npos) dns_names += (dns_names.empty() ? "" : ", ") + name;
  }
  // Pods that miss DNS, by the side and policies that deny it and by protocol.
  using Key = std::tuple<Direction, std::vector<size_t>, bool, bool>;  // side, policies, udp ok, tcp ok
  std::map<Key, std::vector<size_t>> missing;
  for (size_t i = 0; i < cx.cluster.pods.size(); ++i) {
    const Pod& pod = cx.cluster.pods[i];
    if (!pod.enforced()) continue;
    std::optional<Verdict> denied;
    bool udp = reaches_dns(cx, pod, servers, L4::UDP, &denied);
    bool tcp = reaches_dns(cx, pod, servers, L4::TCP, &denied);
    if ((udp && tcp) || !denied) continue;
    bool egress = !denied->egress.allowed();
    const auto& isolating = egress ? denied->egress.isolating : denied->ingress.isolating;
    missing[{egress ? Direction::Egress : Direction::Ingress, isolating, udp, tcp}].push_back(i);
  }
  for (const auto& [key, pods] : missing) {
    const auto& [dir, isolating, udp, tcp] = key;
    const Policy& first = cx.policies.policies[isolating[0]];
    std::string by;
    for (size_t p : isolating) by += (by.empty() ? "" : ", ") + cx.policies.policies[p].ns + "/" + cx.policies.policies[p].name;
    std::string what = !udp && !tcp ? "on neither 53/UDP nor 53/TCP: name resolution fails"
                       : udp        ? "on 53/UDP but not on 53/TCP: answers too long for UDP cannot be retried over TCP"
                                    : "on 53/TCP but not on 53/UDP, which resolvers try first";
    std::string who = cx.pods_label(pods);
    if (dir == Direction::Egress) {
      SourceLoc loc = first.policy_types_loc.line > 0 ? first.policy_types_loc : first.pod_selector.loc;
      cx.add("NP001", loc, first.policy_types_loc.line > 0 ? "spec.policyTypes" : "spec.podSelector",
             who + " (egress isolated by " + by + ") " + (pods.size() == 1 ? "reaches" : "reach") + " the cluster DNS (" + dns_names + ") " + what,
             !udp && !tcp ? kDnsRule : "list both 53/UDP and 53/TCP in the DNS rule");
    } else {
      cx.add("NP001", first.pod_selector.loc, "spec.podSelector",
             "the cluster DNS (" + dns_names + ", ingress isolated by " + by + ") admits " + who + " " + what,
             "allow ingress on 53/UDP and 53/TCP from every pod that resolves names");
    }
  }
}

void check_dns_to_any_address(LintContext& cx) {
  for (const auto& p : cx.policies.policies) {
    if (!p.egress) continue;  // its egress rules are ignored (NP008)
    for (size_t r = 0; r < p.egress_rules.size(); ++r) {
      const Rule& rule = p.egress_rules[r];
      bool udp = allows_port_53(rule, Protocol::UDP), tcp = allows_port_53(rule, Protocol::TCP);
      if (!udp && !tcp) continue;
      std::string ports = udp && tcp ? "53/UDP and 53/TCP" : udp ? "53/UDP" : "53/TCP";
      std::string why = "allows DNS (" + ports + ") to any address: pods can query any resolver, around the "
                        "cluster DNS, and DNS queries can carry data out (DNS tunnelling)";
      std::string fix = "restrict `to` to the cluster DNS pods: namespaceSelector {kubernetes.io/metadata.name: "
                        "kube-system} with podSelector {k8s-app: kube-dns} in one peer";
      if (rule.peers.empty()) {
        cx.add("NP002", rule.loc, rule_field(Direction::Egress, r), why, fix);
        continue;
      }
      for (size_t j = 0; j < rule.peers.size(); ++j) {
        const auto& b = rule.peers[j].ip_block;
        if (b && b->cidr.prefix == 0)
          cx.add("NP002", b->loc, peer_field(Direction::Egress, r, j) + ".ipBlock",
                 "with ipBlock " + format_cidr(b->cidr) + ", " + why, fix);
      }
    }
  }
}

}  // namespace netpolc::review
