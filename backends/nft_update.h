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
// what it was right after that apply; apply_state.h keeps both.
#pragma once

#include <map>
#include <string>
#include <vector>

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

// The elements of every named set and map, by name.
using SetContents = std::map<std::string, std::vector<nftnl_set_elem*>>;

// As the kernel holds them (the elements stay owned by `t`, read with them).
SetContents contents_of(const KernelTable& t);

// The element messages (deletions first) that turn `current` into the named
// sets and maps of `rs`, in a batch carrying `generation`. False with *why
// when a set of `rs` is not in `current` (then the table must be replaced).
bool build_update_batch(const nft::Ruleset& rs, const SetContents& current, uint32_t generation, Batch* batch,
                        ElementChanges* changes, std::string* why);

// The same, from the named sets and maps an earlier apply sent (the kernel
// holds them when the generation has not moved since): no element of an
// unchanged range is even built.
bool build_update_batch(const nft::Ruleset& rs, const std::vector<nft::NamedSet>& old_sets,
                        const std::vector<nft::VerdictMap>& old_maps, uint32_t generation, Batch* batch,
                        ElementChanges* changes, std::string* why);

}  // namespace netpolc::nl
