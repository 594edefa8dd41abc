// netpolc explain: why one flow is allowed or denied. Both sides (the
// source's egress, the destination's ingress) as the reference evaluator sees
// them, rule by rule, and the compiled chain and rule of the resolved program
// that carries the decision (the nft rule's comment).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/ir.h"
#include "compiler/program.h"
#include "review/flows.h"
#include "review/json.h"

namespace netpolc::review {

struct ExplainRule {
  std::string label;  // "x/allow-dns egress[0]", as on the nft rule
  SourceLoc loc;
  RuleMatch match;
};

struct ExplainPolicy {
  std::string name;  // "ns/policy"
  SourceLoc loc;     // of its podSelector, which selects the pod
  std::vector<ExplainRule> rules;
};

struct ExplainSide {
  Direction direction = Direction::Egress;
  std::string subject;  // the pod whose policies decide, or the address
  bool pod = false;
  std::vector<ExplainPolicy> isolating;
  std::optional<std::string> allowed_by;  // the first rule that allows it
  SourceLoc allowed_by_loc;
  bool allowed = true;
  // The resolved program: the chain the address dispatches to (empty: none,
  // the packet passes this side untouched), and the comment of the rule that
  // lets it through or of the chain's final drop.
  std::string chain;
  std::string compiled_rule;
  bool compiled_allows = true;
};

struct Explanation {
  std::string from, to;  // "ns/pod" or an address
  Flow flow;
  std::string port;  // "53/UDP", "ICMP"
  bool loopback = false;
  bool allowed = false;
  bool compiled_allows = false;
  ExplainSide egress, ingress;
};

Explanation explain(const Cluster& cluster, const PolicySet& policies, const Program& program,
                    const Endpoint& from, const Endpoint& to, const Probe& probe, Family family);

std::string explain_text(const Explanation& e);
Json explain_json(const Explanation& e);

// "file:line:col", or the file alone when there is no line.
std::string loc_text(const SourceLoc& loc);

}  // namespace netpolc::review
