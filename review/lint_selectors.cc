// Selectors that select nothing or not what was meant: NP003
// namespace-label-missing, NP004 policy-selects-nothing, NP005
// peer-matches-nothing, NP006 uncovered, NP007 or-instead-of-and, NP015
// selects-host-network.
#include <algorithm>
#include <set>

#include "review/lint_checks.h"

namespace netpolc::review {

namespace {

const char* kMetadataName = "kubernetes.io/metadata.name";

// Why a namespaceSelector selects no namespace: the first label (or
// expression key) no namespace carries, with a suggestion; empty when every
// label exists somewhere and only their combination matches nothing.
std::pair<std::string, std::string> missing_label(const LintContext& cx, const LabelSelector& sel) {
  auto values_of = [&](const std::string& key) {
    std::set<std::string> vals;
    for (const auto& ns : cx.cluster.namespaces)
      if (auto it = ns.labels.find(key); it != ns.labels.end()) vals.insert(it->second);
    return vals;
  };
  auto is_namespace = [&](const std::string& v) { return cx.has_namespace(v); };
  for (const auto& [k, v] : sel.match_labels) {
    auto vals = values_of(k);
    if (vals.count(v)) continue;
    std::string why = vals.empty() ? "no namespace has a label " + k
                                   : "no namespace has " + k + "=" + v + " (values in use: ";
    if (!vals.empty()) {
      std::string list;
      for (const auto& x : vals) list += (list.empty() ? "" : ", ") + x;
      why += list + ")";
    }
    std::string fix = is_namespace(v) && k != kMetadataName
                          ? "select the namespace by name, a label every namespace carries: " + std::string(kMetadataName) + ": " + v
                          : "label the namespace (kubectl label namespace NAME " + k + "=" + v +
                                ") or select it by name with " + kMetadataName;
    return {why, fix};
  }
  for (const auto& r : sel.match_expressions) {
    if (r.op != LabelRequirement::Op::In && r.op != LabelRequirement::Op::Exists) continue;
    if (!values_of(r.key).empty()) continue;
    return {"no namespace has a label " + r.key,
            "label the namespaces or select them by name with " + std::string(kMetadataName)};
  }
  return {};
}

bool ns_only(const Peer& p) { return p.namespace_selector && !p.pod_selector && !p.ip_block; }
bool pod_only(const Peer& p) { return p.pod_selector && !p.namespace_selector && !p.ip_block; }

}  // namespace

void check_namespace_labels(LintContext& cx) {
  for (const auto& p : cx.policies.policies)
    for (Direction d : {Direction::Ingress, Direction::Egress})
      for (size_t r = 0; r < p.rules(d).size(); ++r)
        for (size_t j = 0; j < p.rules(d)[r].peers.size(); ++j) {
          const Peer& peer = p.rules(d)[r].peers[j];
          if (!peer.namespace_selector || !cx.index.select_namespaces(*peer.namespace_selector).empty()) continue;
          auto [why, fix] = missing_label(cx, *peer.namespace_selector);
          if (why.empty()) continue;  // every label exists; NP005 tells the peer matches nothing
          cx.add("NP003", peer.namespace_selector->loc, peer_field(d, r, j) + ".namespaceSelector",
                 "namespaceSelector " + selector_text(*peer.namespace_selector) + " selects no namespace: " + why, fix);
        }
}

void check_policy_selects_nothing(LintContext& cx) {
  for (size_t i = 0; i < cx.policies.policies.size(); ++i) {
    const Policy& p = cx.policies.policies[i];
    const SourceLoc& loc = p.pod_selector.loc;
    std::vector<size_t> host, idle;
    for (size_t pod : cx.selected[i]) {
      if (cx.cluster.pods[pod].host_network) host.push_back(pod);
      else if (!cx.cluster.pods[pod].enforced()) idle.push_back(pod);
    }
    if (!host.empty())
      cx.add("NP015", loc, "spec.podSelector",
             "selects hostNetwork " + std::string(host.size() == 1 ? "pod " : "pods ") + cx.pods_label(host) +
                 ": NetworkPolicy does not apply to pods that share the node's address; nothing is enforced for them",
             "protect host-network workloads with node firewall rules, or narrow the podSelector");
    if (!cx.targets[i].empty() || !host.empty()) continue;
    if (!cx.has_namespace(p.ns))
      cx.add("NP004", loc, "spec.podSelector",
             "namespace " + p.ns + " is not in the snapshot: this policy selects no pod",
             "check metadata.namespace (a missing namespace means default)");
    else if (!idle.empty())
      cx.add("NP004", loc, "spec.podSelector",
             "selects only pods that have no address or have finished (" + cx.pods_label(idle) + "): nothing is enforced");
    else
      cx.add("NP004", loc, "spec.podSelector",
             "podSelector " + selector_text(p.pod_selector) + " selects no pod in namespace " + p.ns,
             "check the labels against the pods (kubectl get pods -n " + p.ns + " --show-labels)");
  }
}

void check_peer_matches_nothing(LintContext& cx) {
  for (const auto& p : cx.policies.policies) {
    if (!cx.has_namespace(p.ns)) continue;  // NP004 says it already
    for (Direction d : {Direction::Ingress, Direction::Egress})
      for (size_t r = 0; r < p.rules(d).size(); ++r)
        for (size_t j = 0; j < p.rules(d)[r].peers.size(); ++j) {
          const Peer& peer = p.rules(d)[r].peers[j];
          if (peer.ip_block || !cx.index.select_peer_pods(p.ns, peer).empty()) continue;
          if (peer.namespace_selector && cx.index.select_namespaces(*peer.namespace_selector).empty() &&
              !missing_label(cx, *peer.namespace_selector).first.empty())
            continue;  // NP003
          std::string where = peer.namespace_selector
                                  ? "in the namespaces namespaceSelector " + selector_text(*peer.namespace_selector) + " selects"
                                  : "in namespace " + p.ns + " (a podSelector alone looks in the policy's own namespace)";
          std::string pods = peer.pod_selector ? "podSelector " + selector_text(*peer.pod_selector) : "any pod";
          cx.add("NP005", peer.loc, peer_field(d, r, j),
                 "this peer matches no pod: " + pods + " " + where, "check the labels, and the namespace the peer looks in");
        }
  }
}

void check_uncovered(LintContext& cx) {
  std::set<std::string> ns_with_policy;
  for (size_t i = 0; i < cx.policies.policies.size(); ++i)
    if (!cx.targets[i].empty()) ns_with_policy.insert(cx.policies.policies[i].ns);
  std::set<size_t> isolated;
  for (const auto& d : cx.program.egress) isolated.insert(d.pod);
  for (const auto& d : cx.program.ingress) isolated.insert(d.pod);
  for (const auto& ns : cx.cluster.namespaces) {
    std::vector<size_t> pods, open;
    for (size_t i = 0; i < cx.cluster.pods.size(); ++i) {
      const Pod& p = cx.cluster.pods[i];
      if (p.ns != ns.name || !p.enforced()) continue;
      pods.push_back(i);
      if (!isolated.count(i)) open.push_back(i);
    }
    if (pods.empty() || open.empty()) continue;
    if (!ns_with_policy.count(ns.name)) {
      cx.add("NP006", ns.loc, "",
             "namespace " + ns.name + " has no NetworkPolicy that selects a pod: its " +
                 plural(pods.size(), "pod sends and receives", "pods send and receive") + " anything",
             "start with a default deny for the namespace (podSelector: {}, policyTypes: [Ingress, Egress]) and allow what it needs");
      continue;
    }
    cx.add("NP006", cx.cluster.pods[open[0]].loc, "",
           cx.pods_label(open) + (open.size() == 1 ? " is" : " are") +
               " selected by no policy of namespace " + ns.name + ": " + (open.size() == 1 ? "it sends" : "they send") +
               " and receive" + (open.size() == 1 ? "s" : "") + " anything",
           "add a default deny for the namespace (podSelector: {}) so that new pods start isolated");
  }
}

void check_or_instead_of_and(LintContext& cx) {
  for (const auto& p : cx.policies.policies)
    for (Direction d : {Direction::Ingress, Direction::Egress})
      for (size_t r = 0; r < p.rules(d).size(); ++r) {
        const auto& peers = p.rules(d)[r].peers;
        for (size_t j = 0; j + 1 < peers.size(); ++j) {
          const Peer& a = peers[j];
          const Peer& b = peers[j + 1];
          const Peer* ns = ns_only(a) && pod_only(b) ? &a : ns_only(b) && pod_only(a) ? &b : nullptr;
          if (!ns) continue;
          const Peer* pod = ns == &a ? &b : &a;
          cx.add("NP007", b.loc, peer_field(d, r, j + 1),
                 "namespaceSelector " + selector_text(*ns->namespace_selector) + " and podSelector " +
                     selector_text(*pod->pod_selector) + " are two peers, so they are ORed: every pod of the matching "
                     "namespaces, or the matching pods of namespace " + p.ns + "; one peer with both selectors would "
                     "AND them: the matching pods of the matching namespaces",
                 "if AND was meant, drop the '-' before the second selector so both are in one list element");
        }
      }
}

}  // namespace netpolc::review
