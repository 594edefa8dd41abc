// netpolc suggest: the NetworkPolicy allow rules that would let exactly the
// observed denied flows through, on top of the policies in force.
//
// Each flow names the side that denied it; that side gets the rule: the
// source's egress or the destination's ingress. Pods are grouped into
// workloads by their stable labels (selector_choice.h), one policy per
// namespace, workload and direction; peers are selectors on stable labels
// (a namespaceSelector on kubernetes.io/metadata.name AND a podSelector for
// another namespace), addresses that are not pods are ipBlocks merged into
// exact CIDRs, DNS to the cluster DNS is pinned to kube-dns on 53/UDP and
// 53/TCP. Rules with the same peers share one rule, or rules with the same
// ports, whichever gives fewer rules. Every choice is deterministic.
#pragma once

#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/ir.h"
#include "suggest/observed_flows.h"

namespace netpolc::suggest {

struct SuggestOptions {
  // A rule without ports allows every protocol: ICMP flows are skipped (with
  // a warning) unless this is set, and then allowed so, with a warning.
  bool allow_icmp_as_all_ports = false;
};

struct SuggestedPolicy {
  Policy policy;                                // as parse_policies would read it (no locations)
  std::vector<std::string> notes;               // comment lines above the policy
  std::vector<std::vector<std::string>> rule_notes;  // comment lines above each rule
};

struct Suggestion {
  std::vector<SuggestedPolicy> policies;  // sorted by (namespace, name)
  // Sets of pods (indexes into Cluster::pods, sorted) that a suggested
  // selector takes together although not every one of them was seen in every
  // flow the rule allows: NetworkPolicy cannot tell them apart by stable
  // labels. Each is reported as a warning and in a comment.
  std::vector<std::vector<size_t>> blurs;
  size_t used = 0, skipped = 0;  // flows turned into rules; flows left out (reported)
};

// Every warning (skipped flows, selectors that take unobserved pods) goes to
// `diags`, located at the flow it is about.
Suggestion suggest_policies(const Cluster& cluster, const PolicySet& policies, const ObservedFlows& flows,
                            const SuggestOptions& options, Diagnostics& diags);

// The policies in force with the suggested ones (as parse_policies read the
// suggestion's YAML back) added, sorted by (namespace, name): what is in
// force once the suggestion is applied.
PolicySet with_suggested(const PolicySet& in_force, const PolicySet& suggested);

}  // namespace netpolc::suggest
