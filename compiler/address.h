// IPv4 and IPv6 addresses, CIDRs and normalized address sets.
//
// Addresses are plain 128-bit integers tagged with their family, so that set
// arithmetic (merge, subtract `except`, split into CIDRs) is integer interval
// arithmetic. IPv4 and IPv6 never mix: every set keeps them apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netpolc {

using u128 = unsigned __int128;

enum class Family : uint8_t { V4, V6 };

struct IpAddr {
  Family family = Family::V4;
  u128 value = 0;  // IPv4 in the low 32 bits

  friend bool operator==(const IpAddr&, const IpAddr&) = default;
  friend auto operator<=>(const IpAddr& a, const IpAddr& b) {
    if (a.family != b.family) return a.family <=> b.family;
    return a.value <=> b.value;
  }
};

struct Cidr {
  IpAddr addr;     // network address (host bits may be set in the input; see parse_cidr)
  int prefix = 0;  // 0..32 or 0..128

  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// An inclusive range of addresses of one family.
struct IpRange {
  u128 lo = 0;
  u128 hi = 0;
  friend bool operator==(const IpRange&, const IpRange&) = default;
  friend auto operator<=>(const IpRange&, const IpRange&) = default;
};

int family_bits(Family f);

// Parses "10.0.0.1" or "fd00::1". Returns nullopt when the text is not an address.
std::optional<IpAddr> parse_ip(std::string_view text);
// Parses "10.0.0.0/8" or "fd00::/8". A bare address is not a CIDR. Host bits
// after the prefix are kept in `addr`; callers decide whether they are an error.
std::optional<Cidr> parse_cidr(std::string_view text);

std::string format_ip(const IpAddr& ip);
std::string format_cidr(const Cidr& c);

IpRange cidr_range(const Cidr& c);
bool cidr_has_host_bits(const Cidr& c);
bool contains(const Cidr& outer, const Cidr& inner);
bool contains(const Cidr& c, const IpAddr& ip);

// A set of addresses: per family, sorted, non-overlapping, non-adjacent ranges.
struct AddrSet {
  std::vector<IpRange> v4;
  std::vector<IpRange> v6;

  bool empty() const { return v4.empty() && v6.empty(); }
  const std::vector<IpRange>& of(Family f) const { return f == Family::V4 ? v4 : v6; }
  std::vector<IpRange>& of(Family f) { return f == Family::V4 ? v4 : v6; }
  bool contains(const IpAddr& ip) const;
  // Appends one address; normalize() once after the last.
  void add(const IpAddr& ip) { of(ip.family).push_back({ip.value, ip.value}); }

  static AddrSet everything();
  static AddrSet of_cidr(const Cidr& c);
  static AddrSet of_ip(const IpAddr& ip);

  friend bool operator==(const AddrSet&, const AddrSet&) = default;
};

// Sorts and merges overlapping or adjacent ranges in place.
void normalize(std::vector<IpRange>& ranges);
void normalize(AddrSet& s);
// Appends the ranges of `b` to `a`, to be normalized once after the last
// append: a union per set would cost the number of sets squared.
void append(AddrSet& a, const AddrSet& b);
AddrSet set_union(const AddrSet& a, const AddrSet& b);
AddrSet set_subtract(const AddrSet& a, const AddrSet& b);

// The smallest list of CIDRs covering exactly the range, in address order.
std::vector<Cidr> range_to_cidrs(Family f, const IpRange& r);
// The range as nft prints it: a CIDR when it is one ("10.0.0.0/8", a single
// address without prefix), otherwise "first-last".
std::string format_range(Family f, const IpRange& r);

}  // namespace netpolc
