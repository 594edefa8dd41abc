// Selecting pods and namespaces by label selector through label indexes, so
// that resolving a selector costs about the size of its answer, not the size
// of the cluster.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ir.h"

namespace netpolc {

class PodIndex {
 public:
  // `cluster` must outlive the index; its pods are sorted by (ns, name).
  explicit PodIndex(const Cluster& cluster);

  const Cluster& cluster() const { return cluster_; }
  // The labels of a namespace; nullptr when the snapshot has no such namespace.
  const Labels* namespace_labels(const std::string& ns) const;
  // Indexes of the namespaces (into Cluster::namespaces) a selector matches.
  std::vector<size_t> select_namespaces(const LabelSelector& sel) const;
  // Indexes of the pods (into Cluster::pods) of namespace `ns` that `sel`
  // matches, sorted; every pod, enforced or not.
  std::vector<size_t> select_pods(const std::string& ns, const LabelSelector& sel) const;
  // The pods a NetworkPolicyPeer with selectors selects from a policy in
  // `policy_ns`, enforced pods only, sorted.
  std::vector<size_t> select_peer_pods(const std::string& policy_ns, const Peer& peer) const;
  // The enforced pod that owns an address, or -1.
  long pod_by_ip(const IpAddr& ip) const;
  // How many pods and namespaces the selections so far have examined: what
  // resolving costs, which the resolver bounds.
  size_t examined() const { return examined_; }

 private:
  std::pair<size_t, size_t> ns_range(const std::string& ns) const;

  const Cluster& cluster_;
  std::map<std::string, std::pair<size_t, size_t>> ns_pods_;  // ns -> [begin, end) of pods
  std::map<std::string, size_t> ns_index_;
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> postings_;  // label -> pods
  std::vector<std::pair<IpAddr, size_t>> by_ip_;                                 // sorted
  mutable size_t examined_ = 0;
};

}  // namespace netpolc
