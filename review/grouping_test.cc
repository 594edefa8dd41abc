#include "review/grouping.h"

#include <doctest/doctest.h>

using namespace netpolc;
using namespace netpolc::review;

namespace {

// One probe; rows of '.' (allowed) and 'X' (denied), the diagonal as written.
ReachTable table(const std::vector<std::string>& rows) {
  ReachTable t;
  t.size = rows.size();
  t.probes = {Probe{}};
  for (const auto& r : rows)
    for (char c : r) t.cells.push_back(c == '.' ? Reach::Allow : Reach::Deny);
  return t;
}

using Classes = std::vector<std::vector<size_t>>;

}  // namespace

TEST_CASE("pods denied everything but themselves fold into one group") {
  auto t = table({".XXX", "X.XX", "XX.X", "XXX."});
  CHECK(twin_classes(t, {0, 0, 0, 0}) == Classes{{0, 1, 2, 3}});
  CHECK(block_value(t, 0, {0, 1, 2, 3}, {0, 1, 2, 3}) == Reach::Deny);  // between two members
}

TEST_CASE("a pod that reaches the others differently stays apart") {
  // 0 reaches everyone; 1, 2, 3 reach only themselves.
  auto t = table({"....", "X.XX", "XX.X", "XXX."});
  CHECK(twin_classes(t, {0, 0, 0, 0}) == Classes{{0}, {1, 2, 3}});
}

TEST_CASE("twins must reach each other alike in both directions") {
  // 0 -> 1 allowed, 1 -> 0 denied: not twins although their rows to 2 agree.
  auto t = table({"..X", "X.X", "XX."});
  CHECK(twin_classes(t, {0, 0, 0}) == Classes{{0}, {1}, {2}});
}

TEST_CASE("endpoints of different kinds are never folded") {
  auto t = table({".XX", "X.X", "XX."});
  CHECK(twin_classes(t, {0, 0, 1}) == Classes{{0, 1}, {2}});
}

TEST_CASE("every probe must agree") {
  ReachTable t = table({"..", ".."});
  t.probes.push_back(Probe{L4::UDP, 53, false});
  t.cells.insert(t.cells.end(), {Reach::Allow, Reach::Allow, Reach::Deny, Reach::Allow});
  CHECK(twin_classes(t, {0, 0}) == Classes{{0}, {1}});
}
