// The netlink backend: the ruleset of nft_ruleset.h as one nf_tables
// transaction of libnftnl objects in a libmnl batch. Loading it leaves the
// kernel holding exactly what `nft -f` of emit_nft()'s script leaves: the
// same table, sets (names, types, flags, elements, user data), maps, chains,
// rules and comments.
//
//   BATCH_BEGIN [generation]
//   NEWTABLE inet NAME            table inet NAME            (creates it when absent)
//   DELTABLE inet NAME            delete table inet NAME     (so the next one starts empty)
//   NEWTABLE inet NAME            table inet NAME { comment "..." }
//   NEWCHAIN ...                  every chain, in the script's order
//   NEWOBJ ...                    every named counter (--log-denied, --audit)
//   NEWSET, NEWSETELEM ...        every named set and verdict map
//   [NEWSET, NEWSETELEM] NEWRULE  every rule (after the anonymous sets it uses)
//   BATCH_END                     (left out for a check: the kernel validates and aborts)
#pragma once

#include <cstdint>
#include <optional>

#include "backends/netlink_batch.h"
#include "backends/nft_ruleset.h"

namespace netpolc::nl {

struct BuildOptions {
  // Sent in BATCH_BEGIN: the batch fails as a whole if the ruleset changed since.
  std::optional<uint32_t> generation;
  // Leave BATCH_END out: the kernel validates everything, then aborts.
  bool check = false;
  // Test hook: the rule with this number (counting every rule of every chain
  // from 0, in batch order) looks up a set that does not exist.
  std::optional<size_t> break_rule;
};

// The whole table, replaced atomically.
Batch build_replace_batch(const nft::Ruleset& rs, const BuildOptions& options);

}  // namespace netpolc::nl
