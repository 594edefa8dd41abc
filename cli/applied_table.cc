#include "cli/applied_table.h"

#include <iostream>

namespace netpolc {

std::string netns_where(const std::string& netns) {
  return netns.empty() ? "" : " in network namespace " + netns;
}

std::optional<nl::KernelTable> read_applied_table(const std::string& netns, const std::string& table,
                                                  const nl::ReadOptions& read, const std::string& hint) {
  std::string error;
  auto sock = nl::NftSocket::open(netns, &error);
  nl::KernelTable t;
  if (!sock || !nl::read_table(*sock, table, &t, &error, read)) {
    std::cerr << "error: " << error << "\n";
    return std::nullopt;
  }
  if (!t.exists) {
    std::cerr << "error: no table inet " << table << netns_where(netns) << hint << "\n";
    return std::nullopt;
  }
  return t;
}

}  // namespace netpolc
