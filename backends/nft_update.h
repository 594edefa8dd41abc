// Incremental updates: when only the cluster changed (pods added, removed,
// relabelled), the chains and rules of the new ruleset are the old ones and
// only the elements of its named sets and verdict maps differ. Then a batch
// of element deletions and additions turns the kernel's table into the new
// one, instead of a whole new table: a few messages instead of the whole set
// contents.
//
// Whether the structure is unchanged is decided by comparing texts: the new
// ruleset's structure (everything but named set elements and map entries)
// with the one the last full apply installed, and the kernel's table now
// (read back without handles, reference counts and named set elements) with
// what it was right after that apply. See netlink_apply.cc for the state
// that remembers both.
#pragma once

#include <string>

#include "backends/netlink_batch.h"
#include "backends/netlink_dump.h"
#include "backends/nft_ruleset.h"

namespace netpolc::nl {

// The ruleset without its named set elements, map entries and script header.
std::string ruleset_structure(const nft::Ruleset& rs);

// The kernel's table without handles, reference counts and named set elements.
std::string kernel_structure(const KernelTable& t);

struct ElementChanges {
  size_t removed = 0;  // elements deleted
  size_t added = 0;    // elements added
};

// The element messages (deletions first) that turn the named sets and maps
// of `current` (read with their elements) into those of `rs`, in a batch
// carrying `current.generation`. False with *why when a set of `rs` is not in
// the kernel's table (then the table must be replaced).
bool build_update_batch(const nft::Ruleset& rs, const KernelTable& current, Batch* batch, ElementChanges* changes,
                        std::string* why);

}  // namespace netpolc::nl
