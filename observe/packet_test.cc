// Packet headers as nflog copies them: every supported shape, and every way
// a truncated or garbage payload is refused (never read out of bounds).
#include "observe/packet.h"

#include <doctest/doctest.h>

#include <vector>

using namespace netpolc;
using namespace netpolc::observe;

namespace {

using Bytes = std::vector<uint8_t>;

// A 20-byte IPv4 header (plus `options` bytes) and `l4` after it.
Bytes v4(uint8_t proto, const Bytes& l4, size_t options = 0, uint16_t frag = 0) {
  Bytes p = {uint8_t(0x40 | (5 + options / 4)), 0, 0, 0, 0, 0, uint8_t(frag >> 8), uint8_t(frag), 64, proto, 0, 0,
             10, 244, 1, 12, 10, 244, 1, 10};
  p.insert(p.end(), options, 1);
  p.insert(p.end(), l4.begin(), l4.end());
  p[2] = uint8_t(p.size() >> 8);
  p[3] = uint8_t(p.size());
  return p;
}

// A 40-byte IPv6 header from fd00::1:12 to fd00::1:10, then `rest`.
Bytes v6(uint8_t next, const Bytes& rest) {
  Bytes p = {0x60, 0, 0, 0, uint8_t(rest.size() >> 8), uint8_t(rest.size()), next, 64};
  Bytes src(16, 0), dst(16, 0);
  src[0] = dst[0] = 0xfd;
  src[13] = dst[13] = 1;
  src[15] = 0x12;
  dst[15] = 0x10;
  p.insert(p.end(), src.begin(), src.end());
  p.insert(p.end(), dst.begin(), dst.end());
  p.insert(p.end(), rest.begin(), rest.end());
  return p;
}

Bytes ports(uint16_t sport, uint16_t dport) {
  return {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), 0, 0, 0, 0};
}

std::optional<PacketHeaders> parse(const Bytes& b, std::string* why = nullptr) {
  std::string ignored;
  return parse_packet(b.data(), b.size(), why ? why : &ignored);
}

}  // namespace

TEST_CASE("packet: IPv4 TCP, UDP, SCTP and ICMP") {
  auto tcp = parse(v4(6, ports(40000, 80)));
  REQUIRE(tcp);
  CHECK(format_ip(tcp->src) == "10.244.1.12");
  CHECK(format_ip(tcp->dst) == "10.244.1.10");
  CHECK(tcp->protocol == L4::TCP);
  CHECK(tcp->dport == 80);
  CHECK(protocol_text(tcp->protocol, Family::V4) == std::string("TCP"));
  auto udp = parse(v4(17, ports(5353, 53)));
  REQUIRE(udp);
  CHECK(udp->protocol == L4::UDP);
  CHECK(udp->dport == 53);
  auto sctp = parse(v4(132, ports(1, 9999)));
  REQUIRE(sctp);
  CHECK(sctp->protocol == L4::SCTP);
  CHECK(sctp->dport == 9999);
  auto icmp = parse(v4(1, {8, 0, 0, 0, 0, 1, 0, 1}));
  REQUIRE(icmp);
  CHECK(icmp->protocol == L4::ICMP);
  CHECK(!icmp->dport);
  CHECK(icmp->icmp_type == 8);
  // Options move the transport header.
  auto opts = parse(v4(6, ports(1, 443), 8));
  REQUIRE(opts);
  CHECK(opts->dport == 443);
}

TEST_CASE("packet: IPv6 TCP, UDP and ICMPv6, through extension headers") {
  auto tcp = parse(v6(6, ports(40000, 8080)));
  REQUIRE(tcp);
  CHECK(format_ip(tcp->src) == "fd00::1:12");
  CHECK(format_ip(tcp->dst) == "fd00::1:10");
  CHECK(tcp->dport == 8080);
  auto icmp = parse(v6(58, {128, 0, 0, 0}));
  REQUIRE(icmp);
  CHECK(icmp->protocol == L4::ICMP);
  CHECK(protocol_text(icmp->protocol, Family::V6) == std::string("ICMPv6"));
  // Hop-by-hop (8 bytes) then a first fragment, then UDP.
  Bytes ext = {44, 0, 0, 0, 0, 0, 0, 0, /* fragment: */ 17, 0, 0, 1, 0, 0, 0, 1};
  Bytes udp = ports(1, 53);
  ext.insert(ext.end(), udp.begin(), udp.end());
  auto through = parse(v6(0, ext));
  REQUIRE(through);
  CHECK(through->protocol == L4::UDP);
  CHECK(through->dport == 53);
}

TEST_CASE("packet: truncated and garbage payloads are refused with a reason") {
  struct Case {
    const char* name;
    Bytes bytes;
    const char* why;
  };
  Bytes tcp4 = v4(6, ports(1, 80));
  Bytes short_ihl = tcp4;
  short_ihl[0] = 0x44;
  Bytes long_ihl = tcp4;
  long_ihl[0] = 0x4f;
  Bytes short_total = tcp4;
  short_total[2] = 0;
  short_total[3] = 10;
  Bytes total_cuts_ports = tcp4;
  total_cuts_ports[3] = 22;
  Bytes tcp6 = v6(6, ports(1, 80));
  Bytes ext_loop(8 * 9, 0);  // nine hop-by-hop headers
  Bytes big_ext = {6, 200, 0, 0, 0, 0, 0, 0};
  const Case cases[] = {
      {"empty", {}, "empty packet"},
      {"version 5", {0x50, 0, 0, 0}, "not an IPv4 or IPv6 packet (version 5)"},
      {"short IPv4", Bytes(tcp4.begin(), tcp4.begin() + 19), "IPv4 header truncated"},
      {"IHL 4", short_ihl, "IPv4 header length below 20"},
      {"IHL past the end", long_ihl, "IPv4 header truncated (options)"},
      {"total < header", short_total, "IPv4 total length shorter than its header"},
      {"ports cut by the copy", Bytes(tcp4.begin(), tcp4.begin() + 23), "transport header truncated before the ports"},
      {"ports cut by the total length", total_cuts_ports, "transport header truncated before the ports"},
      {"later fragment", v4(6, ports(1, 80), 0, 0x0010), "IPv4 fragment other than the first"},
      {"ICMP cut", v4(1, {}), "ICMP header truncated"},
      {"ICMPv6 in IPv4", v4(58, {128}), "ICMPv6 in IPv4"},
      {"ICMP in IPv6", v6(1, {8}), "ICMP in IPv6"},
      {"GRE", v4(47, {0, 0, 0, 0}), "unsupported transport protocol 47"},
      {"short IPv6", Bytes(tcp6.begin(), tcp6.begin() + 39), "IPv6 header truncated"},
      {"IPv6 ports cut", Bytes(tcp6.begin(), tcp6.begin() + 43), "transport header truncated before the ports"},
      {"extension cut", v6(0, {6, 0, 0}), "IPv6 extension header truncated"},
      {"extension longer than the packet", v6(0, big_ext), "IPv6 extension header truncated"},
      {"later IPv6 fragment", v6(44, {6, 0, 0, 8, 0, 0, 0, 1, 0, 1, 0, 80}), "IPv6 fragment other than the first"},
      {"too many extensions", v6(0, ext_loop), "too many IPv6 extension headers"},
  };
  for (const auto& c : cases) {
    std::string why;
    CHECK_MESSAGE(!parse(c.bytes, &why), c.name);
    CHECK_MESSAGE(why == c.why, c.name << ": " << why);
  }
  // Every prefix of a valid packet is either refused or read the same.
  for (const Bytes& whole : {tcp4, tcp6, v4(1, {8, 0}), v6(0, {17, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 53})})
    for (size_t n = 0; n < whole.size(); ++n) {
      auto h = parse(Bytes(whole.begin(), whole.begin() + long(n)));
      if (h) CHECK(h->dst == parse(whole)->dst);
    }
}
