// ICMP and ICMPv6 echo on raw sockets: the request a probe sends, and the
// two kinds of answer it can get back, an echo reply or an error message
// (destination unreachable, ...) quoting the request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/address.h"

namespace netpolc::lab {

// A raw ICMP (IPv4) or ICMPv6 socket, non-blocking, with a large receive
// buffer, that only lets echo replies and error messages through. -1 and
// *error on failure.
int open_icmp_socket(Family family, std::string* error);

// Type, code, checksum, identifier, sequence, payload. The IPv4 checksum is
// filled in here; the kernel fills in ICMPv6's (it covers a pseudo-header).
std::string echo_request(Family family, uint16_t id, uint16_t seq, const std::string& payload);

struct IcmpMessage {
  bool is_reply = false;     // an echo reply; otherwise an error quoting an echo request
  uint16_t id = 0;
  uint16_t seq = 0;
  IpAddr peer;               // reply: who sent it; error: the quoted request's destination
  std::string payload;       // reply only
  int type = 0;              // error only
  int code = 0;
  bool unreachable = false;  // error: destination unreachable
};

// Reads what a raw socket received (IPv4 raw sockets include the IP header,
// IPv6 ones do not). False for anything that is neither an echo reply nor an
// error quoting an echo request.
bool parse_icmp(Family family, const uint8_t* data, size_t len, const IpAddr& from, IcmpMessage* message);

// The RFC 1071 Internet checksum.
uint16_t internet_checksum(const uint8_t* data, size_t len);

}  // namespace netpolc::lab
