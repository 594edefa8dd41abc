// What apply remembers between runs for incremental updates, one small file
// per network namespace and table under the state directory (/run/netpolc by
// default: it lives as long as the kernel's rulesets do):
//
//   <dir>/netns-<dev>-<inode>/<table>.state
//     ruleset <hash of the ruleset's structure (nft_update.h)>
//     kernel <hash of the kernel table's structure right after the apply>
//
// A missing, unreadable or outdated file only costs a full replacement.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace netpolc::nl {

struct ApplyState {
  uint64_t ruleset = 0;
  uint64_t kernel = 0;
};

// A hash of a structure text.
uint64_t structure_hash(const std::string& text);

// The state file of `table` in `netns` ("" = the caller's namespace), or ""
// with *error when the namespace cannot be identified.
std::string state_path(const std::string& dir, const std::string& netns, const std::string& table,
                       std::string* error);

std::optional<ApplyState> load_state(const std::string& path);
bool save_state(const std::string& path, const ApplyState& state, std::string* error);
void forget_state(const std::string& path);

}  // namespace netpolc::nl
