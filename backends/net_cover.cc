#include "backends/net_cover.h"

#include <algorithm>

namespace netpolc {

namespace {

enum class Cover { None, All, Some };

// How much of [lo, hi] the ranges cover.
Cover cover(const std::vector<IpRange>& ranges, u128 lo, u128 hi) {
  auto it = std::lower_bound(ranges.begin(), ranges.end(), lo,
                             [](const IpRange& r, u128 v) { return r.hi < v; });
  if (it == ranges.end() || it->lo > hi) return Cover::None;
  return it->lo <= lo && it->hi >= hi ? Cover::All : Cover::Some;
}

// The best entries for one prefix block, for each thing the block's
// addresses match before it ([0]: nothing, [1]: a covering entry).
struct Plans {
  std::vector<NetEntry> plan[2];
};

class Solver {
 public:
  Solver(Family f, const std::vector<IpRange>& ranges) : f_(f), bits_(family_bits(f)), ranges_(ranges) {}

  // The block of `prefix` bits at `base`.
  Plans solve(u128 base, int prefix) const {
    const int host = bits_ - prefix;
    const u128 span = host >= 128 ? ~u128(0) : (u128(1) << host) - 1;
    const Cover c = cover(ranges_, base, base | span);
    Plans out;
    if (c != Cover::Some && prefix > 0) {
      // Uniform: an entry only where the inherited answer is wrong.
      const bool want = c == Cover::All;
      out.plan[!want].push_back({{{f_, base}, prefix}, !want});
      return out;
    }
    const u128 half = u128(1) << (host - 1);
    Plans left = solve(base, prefix + 1), right = solve(base | half, prefix + 1);
    for (int inherited : {0, 1}) {
      // Either no entry here, or one that flips what the block inherits
      // (not at /0, which hash:net cannot hold).
      auto& keep = out.plan[inherited];
      keep = left.plan[inherited];
      keep.insert(keep.end(), right.plan[inherited].begin(), right.plan[inherited].end());
      if (prefix == 0) continue;
      size_t flip_cost = 1 + left.plan[!inherited].size() + right.plan[!inherited].size();
      if (flip_cost < keep.size()) {
        std::vector<NetEntry> flip = {{{{f_, base}, prefix}, inherited == 1}};
        flip.insert(flip.end(), left.plan[!inherited].begin(), left.plan[!inherited].end());
        flip.insert(flip.end(), right.plan[!inherited].begin(), right.plan[!inherited].end());
        keep = std::move(flip);
      }
    }
    return out;
  }

 private:
  Family f_;
  int bits_;
  const std::vector<IpRange>& ranges_;
};

}  // namespace

std::vector<NetEntry> net_cover(Family family, const std::vector<IpRange>& ranges) {
  if (ranges.empty()) return {};
  std::vector<NetEntry> out = Solver(family, ranges).solve(0, 0).plan[0];
  std::sort(out.begin(), out.end(), [](const NetEntry& a, const NetEntry& b) {
    return a.cidr.addr.value != b.cidr.addr.value ? a.cidr.addr.value < b.cidr.addr.value
                                                  : a.cidr.prefix < b.cidr.prefix;
  });
  return out;
}

}  // namespace netpolc
