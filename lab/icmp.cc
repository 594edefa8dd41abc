#include "lab/icmp.h"

#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netpolc::lab {

namespace {

constexpr int kBufferBytes = 4 << 20;  // a thousand replies at once

uint16_t read_be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }

IpAddr v4_from_bytes(const uint8_t* b) {
  return IpAddr{Family::V4, u128((uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3])};
}

IpAddr v6_from_bytes(const uint8_t* b) {
  u128 v = 0;
  for (int i = 0; i < 16; ++i) v = (v << 8) | b[i];
  return IpAddr{Family::V6, v};
}

}  // namespace

int open_icmp_socket(Family family, std::string* error) {
  bool v4 = family == Family::V4;
  int fd = socket(v4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  v4 ? int(IPPROTO_ICMP) : int(IPPROTO_ICMPV6));
  if (fd < 0) {
    *error = std::string("raw socket: ") + strerror(errno);
    return -1;
  }
  int size = kBufferBytes;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  int rc;
  if (v4) {
    icmp_filter filter{};  // a set bit blocks that type
    filter.data = ~((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) | (1u << ICMP_TIME_EXCEEDED) |
                    (1u << ICMP_PARAMETERPROB));
    rc = setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
  } else {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &filter);
    rc = setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  }
  if (rc != 0) {
    *error = std::string("icmp filter: ") + strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

std::string echo_request(Family family, uint16_t id, uint16_t seq, const std::string& payload) {
  std::string packet(8, '\0');
  packet[0] = char(family == Family::V4 ? int(ICMP_ECHO) : int(ICMP6_ECHO_REQUEST));
  packet[4] = char(id >> 8);
  packet[5] = char(id);
  packet[6] = char(seq >> 8);
  packet[7] = char(seq);
  packet += payload;
  if (family == Family::V4) {
    uint16_t sum = internet_checksum(reinterpret_cast<const uint8_t*>(packet.data()), packet.size());
    packet[2] = char(sum >> 8);
    packet[3] = char(sum);
  }
  return packet;
}

bool parse_icmp(Family family, const uint8_t* data, size_t len, const IpAddr& from, IcmpMessage* m) {
  bool v4 = family == Family::V4;
  if (v4) {
    if (len < 20) return false;
    size_t ihl = size_t(data[0] & 0xf) * 4;
    if (ihl < 20 || len < ihl) return false;
    data += ihl;
    len -= ihl;
  }
  if (len < 8) return false;
  int type = data[0];
  if (type == (v4 ? int(ICMP_ECHOREPLY) : int(ICMP6_ECHO_REPLY))) {
    m->is_reply = true;
    m->id = read_be16(data + 4);
    m->seq = read_be16(data + 6);
    m->peer = from;
    m->payload.assign(reinterpret_cast<const char*>(data + 8), len - 8);
    return true;
  }
  // An error message quotes the offending packet after its own 8 bytes.
  m->is_reply = false;
  m->type = type;
  m->code = data[1];
  const uint8_t* quoted = data + 8;
  size_t quoted_len = len - 8;
  if (v4) {
    m->unreachable = type == ICMP_DEST_UNREACH;
    if (quoted_len < 20) return false;
    size_t ihl = size_t(quoted[0] & 0xf) * 4;
    if (ihl < 20 || quoted[9] != IPPROTO_ICMP || quoted_len < ihl + 8 || quoted[ihl] != ICMP_ECHO) return false;
    m->peer = v4_from_bytes(quoted + 16);
    m->id = read_be16(quoted + ihl + 4);
    m->seq = read_be16(quoted + ihl + 6);
    return true;
  }
  // Only a request without extension headers: the lab's own.
  m->unreachable = type == ICMP6_DST_UNREACH;
  if (quoted_len < 48 || quoted[6] != IPPROTO_ICMPV6 || quoted[40] != ICMP6_ECHO_REQUEST) return false;
  m->peer = v6_from_bytes(quoted + 24);
  m->id = read_be16(quoted + 44);
  m->seq = read_be16(quoted + 46);
  return true;
}

uint16_t internet_checksum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += uint32_t((data[i] << 8) | data[i + 1]);
  if (len % 2) sum += uint32_t(data[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

}  // namespace netpolc::lab
