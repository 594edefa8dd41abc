// Addresses, CIDRs and address-set arithmetic. The input is a text, which
// must parse as an address or CIDR only when it is one and print back to
// itself (up to the canonical form), then ranges read from the remaining
// bytes, on which merging, subtracting and splitting into CIDRs must keep
// their promises.
#include <fuzzer/FuzzedDataProvider.h>

#include <arpa/inet.h>

#include "fuzz/fuzz_check.h"

using namespace netpolc;

namespace {

// What inet_pton makes of a text, for comparison with parse_ip.
bool pton_accepts(const std::string& s) {
  unsigned char buf[16];
  if (s.find('\0') != std::string::npos) return false;
  return inet_pton(s.find(':') == std::string::npos ? AF_INET : AF_INET6, s.c_str(), buf) == 1;
}

void check_text(const std::string& text) {
  auto ip = parse_ip(text);
  FUZZ_CHECK(ip.has_value() == (text.size() <= 45 && pton_accepts(text)));
  if (ip) {
    if (ip->family == Family::V4) FUZZ_CHECK(ip->value <= 0xffffffffu);
    FUZZ_CHECK(parse_ip(format_ip(*ip)) == ip);
  }
  auto cidr = parse_cidr(text);
  if (!cidr) return;
  FUZZ_CHECK(cidr->prefix >= 0 && cidr->prefix <= family_bits(cidr->addr.family));
  FUZZ_CHECK(parse_cidr(format_cidr(*cidr)) == cidr);
  IpRange r = cidr_range(*cidr);
  FUZZ_CHECK(r.lo <= cidr->addr.value && cidr->addr.value <= r.hi);
  FUZZ_CHECK(contains(*cidr, IpAddr{cidr->addr.family, r.lo}));
  FUZZ_CHECK(contains(*cidr, IpAddr{cidr->addr.family, r.hi}));
  FUZZ_CHECK(contains(*cidr, *cidr));
  FUZZ_CHECK(range_to_cidrs(cidr->addr.family, r).size() == 1);
}

u128 consume_u128(FuzzedDataProvider& in, Family f) {
  u128 v = (u128(in.ConsumeIntegral<uint64_t>()) << 64) | in.ConsumeIntegral<uint64_t>();
  return f == Family::V4 ? v & 0xffffffffu : v;
}

std::vector<IpRange> consume_ranges(FuzzedDataProvider& in, Family f) {
  std::vector<IpRange> out(in.ConsumeIntegralInRange<size_t>(0, 8));
  for (auto& r : out) {
    r.lo = consume_u128(in, f);
    r.hi = consume_u128(in, f);
    if (r.hi < r.lo) std::swap(r.lo, r.hi);
  }
  return out;
}

// The CIDRs of a range are aligned blocks that follow each other from lo to
// hi exactly, and they print as nft reads them.
void check_split(Family f, const IpRange& r) {
  auto cidrs = range_to_cidrs(f, r);
  FUZZ_CHECK(!cidrs.empty() && cidrs.size() <= 2 * size_t(family_bits(f)));
  u128 next = r.lo;
  for (size_t i = 0; i < cidrs.size(); ++i) {
    FUZZ_CHECK(!cidr_has_host_bits(cidrs[i]));
    IpRange c = cidr_range(cidrs[i]);
    FUZZ_CHECK(c.lo == next);
    if (i + 1 == cidrs.size()) FUZZ_CHECK(c.hi == r.hi);
    else next = c.hi + 1;
  }
  std::string text = format_range(f, r);
  if (text.find('-') == std::string::npos)
    FUZZ_CHECK(text.find('/') != std::string::npos ? parse_cidr(text).has_value() : parse_ip(text).has_value());
}

// Membership of the edges of every range of `a`, `b` and the result.
void check_set_ops(Family f, std::vector<IpRange> a, std::vector<IpRange> b) {
  normalize(a);
  normalize(b);
  fuzz::check_normalized(f, a);
  fuzz::check_normalized(f, b);
  AddrSet sa, sb;
  sa.of(f) = a;
  sb.of(f) = b;
  AddrSet u = set_union(sa, sb);
  AddrSet d = set_subtract(sa, sb);
  fuzz::check_normalized(u);
  fuzz::check_normalized(d);
  std::vector<u128> probes;
  for (const auto* rs : {&a, &b, &d.of(f)})
    for (const IpRange& r : *rs) {
      probes.push_back(r.lo);
      probes.push_back(r.hi);
      if (r.lo > 0) probes.push_back(r.lo - 1);
      if (r.hi < (f == Family::V4 ? u128(0xffffffffu) : ~u128(0))) probes.push_back(r.hi + 1);
    }
  for (u128 v : probes) {
    IpAddr ip{f, v};
    bool in_a = sa.contains(ip), in_b = sb.contains(ip);
    FUZZ_CHECK(u.contains(ip) == (in_a || in_b));
    FUZZ_CHECK(d.contains(ip) == (in_a && !in_b));
  }
  for (const IpRange& r : u.of(f)) check_split(f, r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  check_text(in.ConsumeRandomLengthString(64));
  Family f = in.ConsumeBool() ? Family::V6 : Family::V4;
  auto a = consume_ranges(in, f);
  auto b = consume_ranges(in, f);
  check_set_ops(f, std::move(a), std::move(b));
  return 0;
}
