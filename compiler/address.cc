#include "compiler/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cassert>
#include <charconv>

namespace netpolc {

int family_bits(Family f) { return f == Family::V4 ? 32 : 128; }

static u128 family_max(Family f) {
  return f == Family::V4 ? u128(0xffffffffu) : ~u128(0);
}

// Mask of the host bits below a prefix.
static u128 host_mask(Family f, int prefix) {
  int host = family_bits(f) - prefix;
  if (host <= 0) return 0;
  if (host >= 128) return ~u128(0);
  return (u128(1) << host) - 1;
}

std::optional<IpAddr> parse_ip(std::string_view text) {
  // inet_pton reads up to a NUL: "10.0.0.1\0junk" (a YAML "\0" escape) must
  // not pass as 10.0.0.1.
  if (text.empty() || text.size() > 45 || text.find('\0') != std::string_view::npos)
    return std::nullopt;
  std::string s(text);
  if (s.find(':') == std::string::npos) {
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
    return IpAddr{Family::V4, u128(ntohl(a.s_addr))};
  }
  in6_addr a{};
  if (inet_pton(AF_INET6, s.c_str(), &a) != 1) return std::nullopt;
  u128 v = 0;
  for (uint8_t b : a.s6_addr) v = (v << 8) | b;
  return IpAddr{Family::V6, v};
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  std::string_view p = text.substr(slash + 1);
  if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0')) return std::nullopt;
  int prefix = -1;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
  if (ec != std::errc() || end != p.data() + p.size()) return std::nullopt;
  if (prefix < 0 || prefix > family_bits(ip->family)) return std::nullopt;
  return Cidr{*ip, prefix};
}

std::string format_ip(const IpAddr& ip) {
  char buf[INET6_ADDRSTRLEN];
  if (ip.family == Family::V4) {
    in_addr a{};
    a.s_addr = htonl(uint32_t(ip.value));
    inet_ntop(AF_INET, &a, buf, sizeof buf);
  } else {
    in6_addr a{};
    u128 v = ip.value;
    for (int i = 15; i >= 0; --i, v >>= 8) a.s6_addr[i] = uint8_t(v);
    inet_ntop(AF_INET6, &a, buf, sizeof buf);
  }
  return buf;
}

std::string format_cidr(const Cidr& c) {
  return format_ip(c.addr) + "/" + std::to_string(c.prefix);
}

IpRange cidr_range(const Cidr& c) {
  u128 m = host_mask(c.addr.family, c.prefix);
  return {c.addr.value & ~m, (c.addr.value & ~m) | m};
}

bool cidr_has_host_bits(const Cidr& c) {
  return (c.addr.value & host_mask(c.addr.family, c.prefix)) != 0;
}

bool contains(const Cidr& outer, const Cidr& inner) {
  if (outer.addr.family != inner.addr.family || inner.prefix < outer.prefix) return false;
  IpRange o = cidr_range(outer), i = cidr_range(inner);
  return o.lo <= i.lo && i.hi <= o.hi;
}

bool contains(const Cidr& c, const IpAddr& ip) {
  if (c.addr.family != ip.family) return false;
  IpRange r = cidr_range(c);
  return r.lo <= ip.value && ip.value <= r.hi;
}

bool AddrSet::contains(const IpAddr& ip) const {
  const auto& rs = of(ip.family);
  // First range whose hi >= ip.
  auto it = std::lower_bound(rs.begin(), rs.end(), ip.value,
                             [](const IpRange& r, u128 v) { return r.hi < v; });
  return it != rs.end() && it->lo <= ip.value;
}

AddrSet AddrSet::everything() {
  return AddrSet{{{0, family_max(Family::V4)}}, {{0, family_max(Family::V6)}}};
}

AddrSet AddrSet::of_cidr(const Cidr& c) {
  AddrSet s;
  s.of(c.addr.family).push_back(cidr_range(c));
  return s;
}

AddrSet AddrSet::of_ip(const IpAddr& ip) {
  AddrSet s;
  s.add(ip);
  return s;
}

void normalize(std::vector<IpRange>& rs) {
  if (rs.empty()) return;
  std::sort(rs.begin(), rs.end(),
            [](const IpRange& a, const IpRange& b) { return a.lo < b.lo; });
  size_t out = 0;
  for (size_t i = 1; i < rs.size(); ++i) {
    IpRange& last = rs[out];
    // Adjacent (last.hi + 1 == lo) merges too; guard the overflow at the top.
    if (rs[i].lo <= last.hi || (last.hi != ~u128(0) && rs[i].lo == last.hi + 1)) {
      last.hi = std::max(last.hi, rs[i].hi);
    } else {
      rs[++out] = rs[i];
    }
  }
  rs.resize(out + 1);
}

void normalize(AddrSet& s) {
  normalize(s.v4);
  normalize(s.v6);
}

void append(AddrSet& a, const AddrSet& b) {
  a.v4.insert(a.v4.end(), b.v4.begin(), b.v4.end());
  a.v6.insert(a.v6.end(), b.v6.begin(), b.v6.end());
}

AddrSet set_union(const AddrSet& a, const AddrSet& b) {
  AddrSet r = a;
  append(r, b);
  normalize(r);
  return r;
}

static std::vector<IpRange> subtract(const std::vector<IpRange>& a,
                                     const std::vector<IpRange>& b) {
  // Both inputs are normalized; walk them together.
  std::vector<IpRange> out;
  size_t j = 0;
  for (IpRange cur : a) {
    bool alive = true;
    while (j < b.size() && b[j].hi < cur.lo) ++j;
    for (size_t k = j; k < b.size() && b[k].lo <= cur.hi; ++k) {
      if (b[k].lo > cur.lo) out.push_back({cur.lo, b[k].lo - 1});
      if (b[k].hi >= cur.hi) {
        alive = false;
        break;
      }
      cur.lo = b[k].hi + 1;
    }
    if (alive) out.push_back(cur);
  }
  return out;
}

AddrSet set_subtract(const AddrSet& a, const AddrSet& b) {
  return AddrSet{subtract(a.v4, b.v4), subtract(a.v6, b.v6)};
}

std::vector<Cidr> range_to_cidrs(Family f, const IpRange& r) {
  std::vector<Cidr> out;
  const int bits = family_bits(f);
  u128 lo = r.lo;
  while (true) {
    // Largest aligned block starting at lo that stays within hi.
    int host = 0;
    while (host < bits) {
      u128 m = (host + 1 >= 128) ? ~u128(0) : (u128(1) << (host + 1)) - 1;
      if ((lo & m) != 0 || (lo | m) > r.hi) break;
      ++host;
    }
    u128 m = host == 0 ? 0 : (host >= 128 ? ~u128(0) : (u128(1) << host) - 1);
    out.push_back(Cidr{IpAddr{f, lo}, bits - host});
    u128 end = lo | m;
    if (end >= r.hi) break;
    lo = end + 1;
  }
  return out;
}

std::string format_range(Family f, const IpRange& r) {
  auto cidrs = range_to_cidrs(f, r);
  if (cidrs.size() == 1) {
    const Cidr& c = cidrs.front();
    return c.prefix == family_bits(f) ? format_ip(c.addr) : format_cidr(c);
  }
  return format_ip({f, r.lo}) + "-" + format_ip({f, r.hi});
}

}  // namespace netpolc
