#include "lab/icmp.h"

#include <doctest/doctest.h>

using namespace netpolc;
using namespace netpolc::lab;

namespace {

const uint8_t* bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// A minimal IPv4 header: version 4, IHL 5, protocol, source, destination.
std::string ipv4_header(uint8_t protocol, const char* src, const char* dst) {
  std::string h(20, '\0');
  h[0] = 0x45;
  h[9] = char(protocol);
  for (int i = 0; i < 4; ++i) {
    h[12 + i] = char(parse_ip(src)->value >> (24 - 8 * i));
    h[16 + i] = char(parse_ip(dst)->value >> (24 - 8 * i));
  }
  return h;
}

}  // namespace

TEST_CASE("the internet checksum is RFC 1071's") {
  // Type 8, code 0, checksum 0, id 0x1234, seq 1, payload "ab".
  const uint8_t echo[] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'a', 'b'};
  CHECK(internet_checksum(echo, sizeof echo) == 0x8468);
  const uint8_t odd[] = {0x01};
  CHECK(internet_checksum(odd, 1) == 0xfeff);
}

TEST_CASE("an IPv4 echo request carries its id, sequence, payload and a valid checksum") {
  std::string req = echo_request(Family::V4, 0x1234, 7, "token");
  CHECK(req.size() == 8 + 5);
  CHECK(uint8_t(req[0]) == 8);
  CHECK(internet_checksum(bytes(req), req.size()) == 0);  // a correct checksum sums to zero
  std::string v6 = echo_request(Family::V6, 0x1234, 7, "token");
  CHECK(uint8_t(v6[0]) == 128);
  CHECK(v6[2] == 0);  // left to the kernel
}

TEST_CASE("an IPv4 echo reply is read after the IP header") {
  IpAddr peer = *parse_ip("10.244.1.2");
  std::string reply = echo_request(Family::V4, 0xbeef, 3, "hello");
  reply[0] = 0;  // echo reply
  std::string packet = ipv4_header(1, "10.244.1.2", "10.244.1.3") + reply;
  IcmpMessage m;
  REQUIRE(parse_icmp(Family::V4, bytes(packet), packet.size(), peer, &m));
  CHECK(m.is_reply);
  CHECK(m.id == 0xbeef);
  CHECK(m.seq == 3);
  CHECK(m.payload == "hello");
  CHECK(m.peer == peer);
}

TEST_CASE("an ICMP error is matched to the echo request it quotes") {
  std::string request = ipv4_header(1, "10.244.1.3", "203.0.113.10") + echo_request(Family::V4, 42, 9, "x");
  std::string error = std::string("\x03\x0d\x00\x00\x00\x00\x00\x00", 8) + request;  // admin prohibited
  std::string packet = ipv4_header(1, "169.254.1.1", "10.244.1.3") + error;
  IcmpMessage m;
  REQUIRE(parse_icmp(Family::V4, bytes(packet), packet.size(), *parse_ip("169.254.1.1"), &m));
  CHECK_FALSE(m.is_reply);
  CHECK(m.unreachable);
  CHECK(m.type == 3);
  CHECK(m.code == 13);
  CHECK(m.id == 42);
  CHECK(m.seq == 9);
  CHECK(format_ip(m.peer) == "203.0.113.10");

  // An error about something else (a UDP datagram) is not ours.
  std::string udp = ipv4_header(17, "10.244.1.3", "203.0.113.10") + std::string(8, '\0');
  std::string other = ipv4_header(1, "169.254.1.1", "10.244.1.3") +
                      std::string("\x03\x03\x00\x00\x00\x00\x00\x00", 8) + udp;
  CHECK_FALSE(parse_icmp(Family::V4, bytes(other), other.size(), *parse_ip("169.254.1.1"), &m));
  // Truncated input is rejected, not read past.
  CHECK_FALSE(parse_icmp(Family::V4, bytes(packet), 30, *parse_ip("169.254.1.1"), &m));
}

TEST_CASE("an ICMPv6 error quotes the IPv6 header of the request") {
  std::string ip6(40, '\0');
  ip6[0] = 0x60;
  ip6[6] = 58;  // next header: ICMPv6
  ip6[24] = '\x20';  // destination 2001:db8::10
  ip6[25] = '\x01';
  ip6[26] = '\x0d';
  ip6[27] = '\xb8';
  ip6[39] = '\x10';
  std::string packet = std::string("\x01\x04\x00\x00\x00\x00\x00\x00", 8) + ip6 + echo_request(Family::V6, 5, 6, "y");
  IcmpMessage m;
  REQUIRE(parse_icmp(Family::V6, bytes(packet), packet.size(), *parse_ip("fe80::1"), &m));
  CHECK(m.unreachable);
  CHECK(m.code == 4);
  CHECK(m.id == 5);
  CHECK(m.seq == 6);
  CHECK(format_ip(m.peer) == "2001:db8::10");
}
