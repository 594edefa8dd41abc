#include "backends/net_cover.h"

#include <doctest/doctest.h>

#include <random>

using namespace netpolc;

namespace {

AddrSet set_of(std::initializer_list<const char*> cidrs) {
  AddrSet s;
  for (const char* c : cidrs) s = set_union(s, AddrSet::of_cidr(*parse_cidr(c)));
  return s;
}

std::vector<std::string> printed(const std::vector<NetEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(format_cidr(e.cidr) + (e.nomatch ? " nomatch" : ""));
  return out;
}

// hash:net's lookup: the most specific entry containing the address decides.
bool lookup(const std::vector<NetEntry>& entries, const IpAddr& ip) {
  int best = -1;
  bool match = false;
  for (const auto& e : entries)
    if (contains(e.cidr, ip) && e.cidr.prefix > best) {
      best = e.cidr.prefix;
      match = !e.nomatch;
    }
  return match;
}

}  // namespace

TEST_CASE("hash:net entries: except becomes nomatch holes, never a /0") {
  AddrSet s = set_subtract(set_of({"0.0.0.0/0"}), set_of({"10.244.1.0/24", "169.254.169.254/32"}));
  CHECK(printed(net_cover(Family::V4, s.v4)) ==
        std::vector<std::string>{"0.0.0.0/1", "10.244.1.0/24 nomatch", "128.0.0.0/1", "169.254.169.254/32 nomatch"});
  s = set_of({"10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"});
  CHECK(printed(net_cover(Family::V4, s.v4)) == std::vector<std::string>{"10.0.0.1/32", "10.0.0.2/31"});
  s = set_subtract(set_of({"f000::/4"}), set_of({"fd00::1:2/128"}));
  CHECK(printed(net_cover(Family::V6, s.v6)) ==
        std::vector<std::string>{"f000::/4", "fd00::1:2/128 nomatch"});
  CHECK(net_cover(Family::V4, {}).empty());
  CHECK(printed(net_cover(Family::V4, AddrSet::everything().v4)) ==
        std::vector<std::string>{"0.0.0.0/1", "128.0.0.0/1"});
}

TEST_CASE("hash:net entries hold exactly the set, and never more entries than plain CIDRs") {
  std::mt19937 rng(42);
  for (int round = 0; round < 300; ++round) {
    // Random CIDRs minus random excepts, in 10.0.0.0/8.
    AddrSet in, out;
    for (int i = 0; i < 4; ++i)
      in = set_union(in, AddrSet::of_cidr({{Family::V4, 0x0a000000u + (rng() & 0xff) * 256}, int(16 + rng() % 17)}));
    for (int i = 0; i < 4; ++i)
      out = set_union(out, AddrSet::of_cidr({{Family::V4, 0x0a000000u + (rng() & 0xffff)}, int(20 + rng() % 13)}));
    AddrSet s = set_subtract(in, out);
    auto entries = net_cover(Family::V4, s.v4);
    size_t plain = 0;
    for (const auto& r : s.v4) plain += range_to_cidrs(Family::V4, r).size();
    CHECK(entries.size() <= plain);
    // Every range boundary and its neighbours decide alike.
    for (const auto& r : s.v4)
      for (u128 v : {r.lo - 1, r.lo, r.lo + 1, r.hi - 1, r.hi, r.hi + 1}) {
        IpAddr ip{Family::V4, v & 0xffffffffu};
        CHECK(lookup(entries, ip) == s.contains(ip));
      }
    for (int i = 0; i < 200; ++i) {
      IpAddr ip{Family::V4, 0x0a000000u + (rng() & 0xffffff)};
      CHECK(lookup(entries, ip) == s.contains(ip));
    }
  }
}
