// The fewest hash:net entries that hold exactly a set of addresses, using
// `nomatch` entries for holes: a lookup takes the most specific entry that
// contains the address, and an address matches when that entry is not a
// nomatch one. So 0.0.0.0/0 except 10.244.1.0/24 is three entries
// (0.0.0.0/1, 128.0.0.0/1, 10.244.1.0/24 nomatch) instead of the 30-odd CIDRs
// of the subtracted ranges. hash:net cannot hold a /0; no entry is one.
#pragma once

#include <vector>

#include "compiler/address.h"

namespace netpolc {

struct NetEntry {
  Cidr cidr;
  bool nomatch = false;

  friend bool operator==(const NetEntry&, const NetEntry&) = default;
};

// `ranges`: sorted, non-overlapping (as in AddrSet). Entries sorted by
// address, then prefix.
std::vector<NetEntry> net_cover(Family family, const std::vector<IpRange>& ranges);

}  // namespace netpolc
