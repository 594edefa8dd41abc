// The lint checks, one function each, and what they share. Internal to
// review/lint*.cc.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "compiler/evaluator.h"
#include "compiler/pod_index.h"
#include "review/flows.h"
#include "review/lint.h"

namespace netpolc::review {

class LintContext {
 public:
  LintContext(const Cluster& cluster, const PolicySet& policies, const Program& program);

  const Cluster& cluster;
  const PolicySet& policies;
  const Program& program;
  const PodIndex index;
  const Evaluator ev;

  // Per policy: the pods its podSelector selects (every pod; and enforced only).
  std::vector<std::vector<size_t>> selected, targets;

  bool has_namespace(const std::string& ns) const { return index.namespace_labels(ns) != nullptr; }
  // "x/{a,b}" for pod indexes.
  std::string pods_label(const std::vector<size_t>& pods) const;
  // The compiled rule of a policy rule, or nullptr (its policy does not
  // isolate that direction).
  const CompiledRule* compiled(size_t policy, Direction d, size_t rule) const;

  void add(const char* id, const SourceLoc& loc, std::string field, std::string message, std::string fix = {});
  void add(const char* id, LintLevel level, const SourceLoc& loc, std::string field, std::string message,
           std::string fix = {});
  std::vector<Finding> findings;

 private:
  std::vector<Endpoint> pods_;
  std::vector<long> endpoint_of_;  // pod index -> index into pods_
  std::map<std::tuple<size_t, Direction, size_t>, size_t> compiled_;  // (policy, direction, rule) -> Program::rules
};

// "spec.egress[2]", "spec.egress[2].to[0]", "spec.egress[2].ports[1]".
std::string rule_field(Direction d, size_t rule);
std::string peer_field(Direction d, size_t rule, size_t peer);
std::string port_field(Direction d, size_t rule, size_t port);
// "{app=web, tier in (a,b)}", "{} (everything)".
std::string selector_text(const LabelSelector& s);

// lint_dns.cc
void check_dns_blocked(LintContext& cx);           // NP001
void check_dns_to_any_address(LintContext& cx);    // NP002
// lint_selectors.cc
void check_namespace_labels(LintContext& cx);      // NP003
void check_policy_selects_nothing(LintContext& cx);  // NP004, NP015
void check_peer_matches_nothing(LintContext& cx);  // NP005
void check_uncovered(LintContext& cx);             // NP006
void check_or_instead_of_and(LintContext& cx);     // NP007
// lint_rules.cc
void check_policy_types(LintContext& cx);          // NP008, NP009
void check_port_protocol(LintContext& cx);         // NP010
void check_allow_all(LintContext& cx);             // NP011
void check_nothing_allowed(LintContext& cx);       // NP012
void check_named_ports(LintContext& cx);           // NP013
void check_redundant_rules(LintContext& cx);       // NP016
// lint_addresses.cc
void check_ipblocks(LintContext& cx);              // NP014, NP017

}  // namespace netpolc::review
