// The table an apply left in the kernel, read back by the commands that
// report on it (observe, stats).
#pragma once

#include <optional>
#include <string>

#include "backends/netlink_dump.h"

namespace netpolc {

// " in network namespace NAME", or "" for this process's own.
std::string netns_where(const std::string& netns);

// Table `table` of `netns` over netlink. On a failure, or when there is no
// such table, prints an error to stderr (ending in `hint` for a missing
// table) and returns nullopt.
std::optional<nl::KernelTable> read_applied_table(const std::string& netns, const std::string& table,
                                                  const nl::ReadOptions& read, const std::string& hint);

}  // namespace netpolc
