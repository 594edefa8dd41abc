#include "compiler/pod_index.h"

#include <algorithm>

#include "compiler/labels.h"

namespace netpolc {

PodIndex::PodIndex(const Cluster& cluster) : cluster_(cluster) {
  for (size_t i = 0; i < cluster.namespaces.size(); ++i) ns_index_[cluster.namespaces[i].name] = i;
  for (size_t i = 0; i < cluster.pods.size(); ++i) {
    const Pod& p = cluster.pods[i];
    auto [it, fresh] = ns_pods_.try_emplace(p.ns, i, i + 1);
    if (!fresh) it->second.second = i + 1;
    for (const auto& kv : p.labels) postings_[kv].push_back(i);
    if (p.enforced())
      for (const auto& ip : p.ips) by_ip_.emplace_back(ip, i);
  }
  std::sort(by_ip_.begin(), by_ip_.end());
}

const Labels* PodIndex::namespace_labels(const std::string& ns) const {
  auto it = ns_index_.find(ns);
  return it == ns_index_.end() ? nullptr : &cluster_.namespaces[it->second].labels;
}

std::vector<size_t> PodIndex::select_namespaces(const LabelSelector& sel) const {
  std::vector<size_t> out;
  examined_ += cluster_.namespaces.size();
  for (size_t i = 0; i < cluster_.namespaces.size(); ++i)
    if (selector_matches(sel, cluster_.namespaces[i].labels)) out.push_back(i);
  return out;
}

std::pair<size_t, size_t> PodIndex::ns_range(const std::string& ns) const {
  auto it = ns_pods_.find(ns);
  return it == ns_pods_.end() ? std::pair<size_t, size_t>{0, 0} : it->second;
}

std::vector<size_t> PodIndex::select_pods(const std::string& ns, const LabelSelector& sel) const {
  auto [begin, end] = ns_range(ns);
  std::vector<size_t> out;
  ++examined_;
  // Walk the shortest posting list of the matchLabels within the namespace,
  // or the whole namespace when the selector has no matchLabels.
  const std::vector<size_t>* best = nullptr;
  size_t best_begin = 0, best_end = 0;
  for (const auto& kv : sel.match_labels) {
    auto it = postings_.find(kv);
    if (it == postings_.end()) return out;
    const auto& list = it->second;
    size_t b = size_t(std::lower_bound(list.begin(), list.end(), begin) - list.begin());
    size_t e = size_t(std::lower_bound(list.begin(), list.end(), end) - list.begin());
    if (!best || e - b < best_end - best_begin) {
      best = &list;
      best_begin = b;
      best_end = e;
    }
  }
  auto consider = [&](size_t i) {
    if (selector_matches(sel, cluster_.pods[i].labels)) out.push_back(i);
  };
  if (best) {
    examined_ += best_end - best_begin;
    for (size_t k = best_begin; k < best_end; ++k) consider((*best)[k]);
  } else {
    examined_ += end - begin;
    for (size_t i = begin; i < end; ++i) consider(i);
  }
  return out;
}

std::vector<size_t> PodIndex::select_peer_pods(const std::string& policy_ns, const Peer& peer) const {
  static const LabelSelector kAll;
  const LabelSelector& pods = peer.pod_selector ? *peer.pod_selector : kAll;
  std::vector<size_t> out;
  auto add = [&](const std::string& ns) {
    for (size_t i : select_pods(ns, pods))
      if (cluster_.pods[i].enforced()) out.push_back(i);
  };
  if (!peer.namespace_selector) {
    add(policy_ns);
  } else {
    for (size_t n : select_namespaces(*peer.namespace_selector)) add(cluster_.namespaces[n].name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

long PodIndex::pod_by_ip(const IpAddr& ip) const {
  auto it = std::lower_bound(by_ip_.begin(), by_ip_.end(), std::pair<IpAddr, size_t>{ip, 0});
  return it != by_ip_.end() && it->first == ip ? long(it->second) : -1;
}

}  // namespace netpolc
