#include "compiler/address.h"

#include <doctest/doctest.h>

using namespace netpolc;

static AddrSet set_of(std::initializer_list<const char*> cidrs) {
  AddrSet s;
  for (const char* c : cidrs) s = set_union(s, AddrSet::of_cidr(*parse_cidr(c)));
  return s;
}

static std::vector<std::string> printed(const AddrSet& s) {
  std::vector<std::string> out;
  for (auto& r : s.v4) out.push_back(format_range(Family::V4, r));
  for (auto& r : s.v6) out.push_back(format_range(Family::V6, r));
  return out;
}

TEST_CASE("addresses parse strictly and print canonically") {
  CHECK(format_ip(*parse_ip("10.244.0.1")) == "10.244.0.1");
  CHECK(format_ip(*parse_ip("FD00:0::1")) == "fd00::1");
  CHECK_FALSE(parse_ip("10.244.0"));
  CHECK_FALSE(parse_ip("10.244.0.256"));
  CHECK_FALSE(parse_ip("010.1.1.1"));
  CHECK_FALSE(parse_cidr("10.0.0.1"));
  CHECK_FALSE(parse_cidr("10.0.0.0/33"));
  CHECK_FALSE(parse_cidr("10.0.0.0/08"));
  CHECK(parse_cidr("fd00::/8")->prefix == 8);
  CHECK(cidr_has_host_bits(*parse_cidr("10.0.0.1/8")));
  CHECK_FALSE(cidr_has_host_bits(*parse_cidr("0.0.0.0/0")));
}

TEST_CASE("ipBlock except is subtracted into non-overlapping ranges") {
  AddrSet s = set_subtract(set_of({"0.0.0.0/0"}), set_of({"169.254.169.254/32"}));
  CHECK(printed(s) == std::vector<std::string>{"0.0.0.0-169.254.169.253", "169.254.169.255-255.255.255.255"});
  CHECK(range_to_cidrs(Family::V4, s.v4[0]).size() == 22);
  s = set_subtract(set_of({"10.0.0.0/8"}), set_of({"10.1.0.0/16", "10.2.0.0/16"}));
  CHECK(printed(s) == std::vector<std::string>{"10.0.0.0/16", "10.3.0.0-10.255.255.255"});
  CHECK(set_subtract(set_of({"10.0.0.0/24"}), set_of({"10.0.0.0/8"})).empty());
}

TEST_CASE("adjacent and overlapping CIDRs merge; families stay apart") {
  AddrSet s = set_of({"10.0.0.0/25", "10.0.0.128/25", "10.0.0.5/32", "fd00::/64", "fd00:0:0:1::/64"});
  CHECK(printed(s) == std::vector<std::string>{"10.0.0.0/24", "fd00::/63"});
  CHECK(s.contains(*parse_ip("10.0.0.200")));
  CHECK_FALSE(s.contains(*parse_ip("10.0.1.0")));
  CHECK(s.contains(*parse_ip("fd00::1:0:0:1")));
  CHECK(printed(AddrSet::everything()) == std::vector<std::string>{"0.0.0.0/0", "::/0"});
}

// Found by fuzz_address: inet_pton stops at a NUL, which a YAML "\0" escape
// puts inside a scalar.
TEST_CASE("an address with a NUL inside is not an address") {
  using namespace std::string_view_literals;
  CHECK_FALSE(parse_ip("::1\0\0068"sv));
  CHECK_FALSE(parse_ip("10.0.0.1\0junk"sv));
  CHECK_FALSE(parse_cidr("10.0.0.0\0x/8"sv));
}
