// One rule of the ruleset as a libnftnl rule: its expressions, encoded as nft
// 1.0.6 linearizes the same statement (payload and meta loads, the `meta
// nfproto` and `meta l4proto` dependencies of an inet table, comparisons,
// lookups, concatenations in 4-byte register slots), its comment as user
// data, and the anonymous sets its `{ ... }` lists become.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backends/nft_ruleset.h"
#include "backends/nftnl_ptr.h"

namespace netpolc::nl {

struct AnonymousSet {
  SetPtr set;       // named "__set%d": the kernel picks the number
  uint32_t id = 0;  // how the rule refers to it within the batch
  std::vector<ElemPtr> elements;
};

struct BuiltRule {
  RulePtr rule;
  std::vector<AnonymousSet> sets;  // to create, in order, before the rule
};

struct RuleContext {
  std::string table;
  std::string chain;
  uint32_t* next_set_id;  // ids for anonymous sets, shared by the whole batch
  // Test hook: the rule starts with `ip saddr @netpolc-test-missing-set`, a
  // set that does not exist, so that the kernel refuses it.
  bool break_rule = false;
};

BuiltRule build_rule(const nft::Rule& rule, const RuleContext& ctx);

// The set a broken rule looks up (see RuleContext::break_rule).
inline constexpr const char kMissingSet[] = "netpolc-test-missing-set";

}  // namespace netpolc::nl
