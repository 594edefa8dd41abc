// Choosing a podSelector for a set of pods from their stable labels: the
// labels a controller stamps on each pod or each rollout (pod-template-hash,
// statefulset.kubernetes.io/pod-name, ...) are never used, and the smallest
// set of the others that selects exactly the wanted pods of their namespace
// is chosen, preferring the keys that name an application
// (app.kubernetes.io/name, app, k8s-app, ...). docs/suggest.md lists both.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir.h"

namespace netpolc::suggest {

// How much a key is preferred in a selector: 0 for app.kubernetes.io/name,
// then app, k8s-app, ...; every other key after them.
size_t key_rank(const std::string& key);

// Whether a label key is one a controller sets per pod or per rollout.
bool is_unstable_label(std::string_view key);
// The labels without the unstable ones.
Labels stable_labels(const Labels& labels);

struct SelectorChoice {
  Labels match_labels;
  std::vector<size_t> selected;  // the enforced pods of the namespace it selects, sorted
  bool exact = false;            // selects the wanted pods and no other
};

// The smallest subset of the stable labels that all of `wanted` (enforced pods
// of namespace `ns`, indexes into cluster.pods, sorted) share which selects exactly
// them among the enforced pods of `ns`; never the empty selector (which also
// takes the pods to come) unless they share no stable label. When no subset
// does, the closest: the
// fewest pods of `avoid` selected (pods the selector should rather not take,
// such as pods a policy would newly isolate), then the fewest other pods,
// then the fewest labels. Ties go to the preferred keys.
SelectorChoice choose_selector(const Cluster& cluster, const std::string& ns, const std::vector<size_t>& wanted,
                               const std::vector<bool>& avoid = {});

}  // namespace netpolc::suggest
