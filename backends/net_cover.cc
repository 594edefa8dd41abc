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

// One prefix block of the address space that the set covers partly (or a
// uniform block below one), with the fewest entries it needs for each thing
// its addresses match before it ([0]: nothing, [1]: a covering entry).
struct Node {
  u128 base = 0;
  int prefix = 0;
  bool uniform = false;  // all in or all out: no children
  bool in = false;       // uniform: in the set
  int left = -1, right = -1;
  size_t cost[2] = {0, 0};
  bool flip[2] = {false, false};  // an entry here that flips the inherited answer
};

class Solver {
 public:
  Solver(Family f, const std::vector<IpRange>& ranges) : f_(f), bits_(family_bits(f)), ranges_(ranges) {}

  // Builds the tree of blocks below the block of `prefix` bits at `base`.
  int build(u128 base, int prefix) {
    const int host = bits_ - prefix;
    const u128 span = host >= 128 ? ~u128(0) : (u128(1) << host) - 1;
    const Cover c = cover(ranges_, base, base | span);
    const int index = int(nodes_.size());
    nodes_.push_back({base, prefix});
    if (c != Cover::Some && prefix > 0) {  // hash:net cannot hold a /0: split it
      Node& n = nodes_[size_t(index)];
      n.uniform = true;
      n.in = c == Cover::All;
      n.cost[0] = n.in ? 1 : 0;
      n.cost[1] = n.in ? 0 : 1;
      return index;
    }
    const u128 half = u128(1) << (host - 1);
    const int left = build(base, prefix + 1), right = build(base | half, prefix + 1);
    Node& n = nodes_[size_t(index)];
    n.left = left;
    n.right = right;
    for (int inherited : {0, 1}) {
      // Either no entry here, or one that flips what the block inherits.
      const size_t keep = nodes_[size_t(left)].cost[inherited] + nodes_[size_t(right)].cost[inherited];
      const size_t flip = 1 + nodes_[size_t(left)].cost[!inherited] + nodes_[size_t(right)].cost[!inherited];
      n.flip[inherited] = prefix > 0 && flip < keep;
      n.cost[inherited] = n.flip[inherited] ? flip : keep;
    }
    return index;
  }

  void emit(int index, int inherited, std::vector<NetEntry>& out) const {
    const Node& n = nodes_[size_t(index)];
    const Cidr cidr{{f_, n.base}, n.prefix};
    if (n.uniform) {
      if (n.in != bool(inherited)) out.push_back({cidr, !n.in});
      return;
    }
    if (n.flip[inherited]) {
      out.push_back({cidr, inherited == 1});
      inherited = !inherited;
    }
    emit(n.left, inherited, out);
    emit(n.right, inherited, out);
  }

 private:
  Family f_;
  int bits_;
  const std::vector<IpRange>& ranges_;
  std::vector<Node> nodes_;
};

}  // namespace

std::vector<NetEntry> net_cover(Family family, const std::vector<IpRange>& ranges) {
  if (ranges.empty()) return {};
  Solver solver(family, ranges);
  std::vector<NetEntry> out;
  solver.emit(solver.build(0, 0), 0, out);
  std::sort(out.begin(), out.end(), [](const NetEntry& a, const NetEntry& b) {
    return a.cidr.addr.value != b.cidr.addr.value ? a.cidr.addr.value < b.cidr.addr.value
                                                  : a.cidr.prefix < b.cidr.prefix;
  });
  return out;
}

}  // namespace netpolc
