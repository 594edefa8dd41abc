// The headers of a packet nflog copied to us: IPv4 or IPv6, then TCP, UDP,
// SCTP, ICMP or ICMPv6. The bytes come from the kernel but are parsed as
// untrusted input: every length is checked, and anything that is not a
// well-formed first fragment of a supported protocol is refused with a reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "compiler/address.h"
#include "compiler/evaluator.h"

namespace netpolc::observe {

// "TCP", "UDP", "SCTP", "ICMP", and "ICMPv6" for ICMP over IPv6 (the flow
// JSON's spelling).
const char* protocol_text(L4 p, Family f);

// The address in network byte order at `p`: 4 bytes (IPv4) or 16 (IPv6).
IpAddr address_at(Family f, const uint8_t* p);

struct PacketHeaders {
  IpAddr src;
  IpAddr dst;
  L4 protocol = L4::TCP;             // ICMP: ICMP or ICMPv6, by the family
  std::optional<uint16_t> dport;     // TCP, UDP, SCTP
  std::optional<uint8_t> icmp_type;  // ICMP
};

// `data` is the packet from its network header on. nullopt and *why when it
// cannot be read as above.
std::optional<PacketHeaders> parse_packet(const uint8_t* data, size_t len, std::string* why);

}  // namespace netpolc::observe
