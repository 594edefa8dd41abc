#include "observe/packet.h"

#include <netinet/in.h>

#include <algorithm>

namespace netpolc::observe {

namespace {

// More than this many extension headers is not a packet worth reading.
constexpr int kMaxExtensionHeaders = 8;

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

std::optional<PacketHeaders> fail(std::string* why, const std::string& text) {
  *why = text;
  return std::nullopt;
}

// The transport header at `l4`, `len` bytes of it available.
std::optional<PacketHeaders> transport(PacketHeaders h, uint8_t proto, const uint8_t* l4, size_t len,
                                       std::string* why) {
  switch (proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_SCTP:
      // Source and destination port are the first 4 bytes of all three.
      if (len < 4) return fail(why, "transport header truncated before the ports");
      h.protocol = proto == IPPROTO_TCP ? L4::TCP : proto == IPPROTO_UDP ? L4::UDP : L4::SCTP;
      h.dport = be16(l4 + 2);
      return h;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      if ((proto == IPPROTO_ICMP) != (h.src.family == Family::V4))
        return fail(why, proto == IPPROTO_ICMP ? "ICMP in IPv6" : "ICMPv6 in IPv4");
      if (len < 1) return fail(why, "ICMP header truncated");
      h.protocol = L4::ICMP;
      h.icmp_type = l4[0];
      return h;
  }
  return fail(why, "unsupported transport protocol " + std::to_string(proto));
}

std::optional<PacketHeaders> ipv4(const uint8_t* p, size_t len, std::string* why) {
  if (len < 20) return fail(why, "IPv4 header truncated");
  size_t ihl = size_t(p[0] & 0x0f) * 4;
  if (ihl < 20) return fail(why, "IPv4 header length below 20");
  if (ihl > len) return fail(why, "IPv4 header truncated (options)");
  size_t total = be16(p + 2);
  if (total < ihl) return fail(why, "IPv4 total length shorter than its header");
  if ((be16(p + 6) & 0x1fff) != 0) return fail(why, "IPv4 fragment other than the first");
  PacketHeaders h;
  h.src = address_at(Family::V4, p + 12);
  h.dst = address_at(Family::V4, p + 16);
  // nflog copies a prefix of the packet: the transport header may be cut,
  // and is never longer than the packet says.
  size_t available = std::min(len, total) - ihl;
  return transport(h, p[9], p + ihl, available, why);
}

std::optional<PacketHeaders> ipv6(const uint8_t* p, size_t len, std::string* why) {
  if (len < 40) return fail(why, "IPv6 header truncated");
  PacketHeaders h;
  h.src = address_at(Family::V6, p + 8);
  h.dst = address_at(Family::V6, p + 24);
  size_t end = std::min(len, size_t(40) + be16(p + 4));
  uint8_t next = p[6];
  size_t off = 40;
  for (int n = 0; n <= kMaxExtensionHeaders; ++n) {
    if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS && next != IPPROTO_FRAGMENT)
      return transport(h, next, p + off, end - off, why);
    if (end - off < 8) return fail(why, "IPv6 extension header truncated");
    if (next == IPPROTO_FRAGMENT) {
      if ((be16(p + off + 2) & 0xfff8) != 0) return fail(why, "IPv6 fragment other than the first");
      next = p[off];
      off += 8;
      continue;
    }
    size_t ext = (size_t(p[off + 1]) + 1) * 8;
    if (ext > end - off) return fail(why, "IPv6 extension header truncated");
    next = p[off];
    off += ext;
  }
  return fail(why, "too many IPv6 extension headers");
}

}  // namespace

IpAddr address_at(Family f, const uint8_t* p) {
  IpAddr a;
  a.family = f;
  for (int i = 0; i < (f == Family::V4 ? 4 : 16); ++i) a.value = a.value << 8 | p[i];
  return a;
}

const char* protocol_text(L4 p, Family f) { return p == L4::ICMP && f == Family::V6 ? "ICMPv6" : l4_name(p); }

std::optional<PacketHeaders> parse_packet(const uint8_t* data, size_t len, std::string* why) {
  if (len < 1) return fail(why, "empty packet");
  switch (data[0] >> 4) {
    case 4: return ipv4(data, len, why);
    case 6: return ipv6(data, len, why);
  }
  return fail(why, "not an IPv4 or IPv6 packet (version " + std::to_string(data[0] >> 4) + ")");
}

}  // namespace netpolc::observe
