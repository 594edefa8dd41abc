// What apply remembers between runs for incremental updates, one file per
// network namespace and table under the state directory (/run/netpolc by
// default: it lives as long as the kernel's rulesets do):
//
//   <dir>/netns-<dev>-<inode>/<table>.state
//
// It holds hashes of the structure of the ruleset last applied and of the
// kernel's table right after (nft_update.h), the ruleset generation that
// apply's own transaction produced, and the elements of every named set and
// map it sent. When the generation has not moved since, nothing at all has
// changed in the namespace's ruleset, and the next update is computed from
// these elements without reading the kernel's sets back (a dump of a large
// interval set costs the kernel a walk of the whole tree per reply).
//
// A missing, unreadable or outdated file only costs a read of the kernel's
// table, or a full replacement.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backends/nft_ruleset.h"

namespace netpolc::nl {

struct ApplyState {
  uint64_t ruleset = 0;     // structure_hash(ruleset_structure(...))
  uint64_t kernel = 0;      // structure_hash(kernel_structure(...))
  uint32_t generation = 0;  // right after the apply
  std::vector<nft::NamedSet> sets;
  std::vector<nft::VerdictMap> maps;
};

// A hash of a structure text.
uint64_t structure_hash(const std::string& text);

// The generation the kernel moves to when it commits a batch sent at `gen`.
uint32_t generation_after(uint32_t gen);

// The state file of `table` in `netns` ("" = the caller's namespace), or ""
// with *error when the namespace cannot be identified.
std::string state_path(const std::string& dir, const std::string& netns, const std::string& table, std::string* error);

std::optional<ApplyState> load_state(const std::string& path);
bool save_state(const std::string& path, const ApplyState& state, std::string* error);
void forget_state(const std::string& path);

// The file's text, and back (nullopt when it is not a state file).
std::string format_state(const ApplyState& state);
std::optional<ApplyState> parse_state(const std::string& text);

}  // namespace netpolc::nl
