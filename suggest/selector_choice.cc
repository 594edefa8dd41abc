#include "suggest/selector_choice.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "compiler/labels.h"

namespace netpolc::suggest {

namespace {

// Set by controllers per pod, per rollout or per run (docs/suggest.md).
constexpr std::string_view kUnstable[] = {
    "pod-template-hash",                    // Deployment -> ReplicaSet, changes every rollout
    "rollouts-pod-template-hash",           // Argo Rollouts, the same
    "controller-revision-hash",             // StatefulSet, DaemonSet revisions
    "pod-template-generation",              // DaemonSet (older)
    "statefulset.kubernetes.io/pod-name",   // one pod of a StatefulSet
    "apps.kubernetes.io/pod-index",         // StatefulSet ordinal
    "batch.kubernetes.io/controller-uid",   // one Job run
    "controller-uid",                       // one Job run (before 1.27)
    "batch.kubernetes.io/job-name",         // one Job (CronJobs name a Job per run)
    "job-name",                             // the same (before 1.27)
    "batch.kubernetes.io/job-completion-index",  // one pod of an indexed Job
};

// The keys that name an application, most preferred first.
constexpr std::string_view kPreferred[] = {
    "app.kubernetes.io/name", "app", "k8s-app", "app.kubernetes.io/instance", "app.kubernetes.io/component",
    "component", "name", "tier", "role", "run",
};

struct Candidate {
  size_t avoided = 0, extra = 0;
  std::vector<std::pair<size_t, std::string>> keys;  // (rank, key), sorted
  std::vector<size_t> selected;
  Labels labels;

  auto cost() const { return std::tie(avoided, extra, keys); }
};

}  // namespace

size_t key_rank(const std::string& key) {
  for (size_t i = 0; i < std::size(kPreferred); ++i)
    if (kPreferred[i] == key) return i;
  return std::size(kPreferred);
}

bool is_unstable_label(std::string_view key) {
  return std::find(std::begin(kUnstable), std::end(kUnstable), key) != std::end(kUnstable);
}

Labels stable_labels(const Labels& labels) {
  Labels out;
  for (const auto& [k, v] : labels)
    if (!is_unstable_label(k)) out.emplace(k, v);
  return out;
}

SelectorChoice choose_selector(const Cluster& cluster, const std::string& ns, const std::vector<size_t>& wanted,
                               const std::vector<bool>& avoid) {
  // The stable labels every wanted pod has, with the same value.
  Labels common = wanted.empty() ? Labels{} : stable_labels(cluster.pods[wanted[0]].labels);
  for (size_t w : wanted)
    for (auto it = common.begin(); it != common.end();) {
      auto found = cluster.pods[w].labels.find(it->first);
      it = found == cluster.pods[w].labels.end() || found->second != it->second ? common.erase(it) : std::next(it);
    }
  std::vector<std::pair<size_t, std::string>> keys;
  for (const auto& [k, v] : common) keys.push_back({key_rank(k), k});
  std::sort(keys.begin(), keys.end());
  std::vector<size_t> universe;
  for (size_t i = 0; i < cluster.pods.size(); ++i)
    if (cluster.pods[i].ns == ns && cluster.pods[i].enforced()) universe.push_back(i);

  auto evaluate = [&](const std::vector<size_t>& subset) {
    Candidate c;
    for (size_t k : subset) {
      c.keys.push_back(keys[k]);
      c.labels.emplace(keys[k].second, common.at(keys[k].second));
    }
    std::sort(c.keys.begin(), c.keys.end());
    LabelSelector sel;
    sel.match_labels = c.labels;
    for (size_t p : universe) {
      if (!selector_matches(sel, cluster.pods[p].labels)) continue;
      c.selected.push_back(p);
      if (std::binary_search(wanted.begin(), wanted.end(), p)) continue;
      ++c.extra;
      if (p < avoid.size() && avoid[p]) ++c.avoided;
    }
    return c;
  };

  // Subsets by size; every subset while there are few keys, else those of
  // at most two keys and all of them (which selects the fewest pods).
  std::optional<Candidate> best;
  auto consider = [&](const std::vector<size_t>& subset) {
    Candidate c = evaluate(subset);
    if (!best || c.cost() < best->cost()) best = std::move(c);
  };
  const size_t n = keys.size(), kMaxExhaustive = 12;
  // The empty selector (every pod of the namespace, those to come too) only
  // when the pods have no stable label in common.
  for (size_t size = n == 0 ? 0 : 1; size <= n; ++size) {
    if (n > kMaxExhaustive && size > 2 && size < n) continue;
    std::vector<bool> pick(n, false);
    std::fill(pick.begin(), pick.begin() + long(size), true);
    do {
      std::vector<size_t> subset;
      for (size_t i = 0; i < n; ++i)
        if (pick[i]) subset.push_back(i);
      consider(subset);
    } while (std::prev_permutation(pick.begin(), pick.end()));
    if (best && best->extra == 0) break;  // exact, and no smaller subset was
  }
  SelectorChoice out;
  out.match_labels = best->labels;
  out.selected = best->selected;
  out.exact = best->extra == 0 && best->selected.size() == wanted.size();
  return out;
}

}  // namespace netpolc::suggest
