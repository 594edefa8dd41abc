#include "lab/probe.h"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <linux/icmp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "lab/netns.h"

namespace netpolc::lab {

namespace {

// Source ports handed out per source namespace, in turn. Ports still bound
// (a responder, a TIME_WAIT) are skipped.
constexpr uint32_t kFirstSourcePort = 20000;
constexpr uint32_t kLastSourcePort = 60999;
constexpr int kBindAttempts = 512;
// Socket buffers large enough for a burst of a thousand probes at once.
constexpr int kBufferBytes = 4 << 20;
constexpr size_t kTokenBytes = 16;

using Clock = std::chrono::steady_clock;

// What an epoll event belongs to: the kind in the high half of the data word,
// an index into the matching vector in the low half.
enum class Tag : uint32_t { Probe = 1, Icmp = 2, TcpListener = 3, UdpResponder = 4 };
uint64_t tagged(Tag tag, size_t index) { return (uint64_t(tag) << 32) | uint32_t(index); }

socklen_t to_sockaddr(const IpAddr& ip, uint16_t port, sockaddr_storage* ss) {
  memset(ss, 0, sizeof *ss);
  if (ip.family == Family::V4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr.s_addr = htonl(uint32_t(ip.value));
    return sizeof *sin;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  u128 v = ip.value;
  for (int i = 15; i >= 0; --i, v >>= 8) sin6->sin6_addr.s6_addr[i] = uint8_t(v);
  return sizeof *sin6;
}

IpAddr v4_from_bytes(const uint8_t* b) {
  return IpAddr{Family::V4, u128((uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) |
                                 (uint32_t(b[2]) << 8) | b[3])};
}

IpAddr v6_from_bytes(const uint8_t* b) {
  u128 v = 0;
  for (int i = 0; i < 16; ++i) v = (v << 8) | b[i];
  return IpAddr{Family::V6, v};
}

IpAddr from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET)
    return v4_from_bytes(
        reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in&>(ss).sin_addr));
  return v6_from_bytes(reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr.s6_addr);
}

uint16_t read_be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }

int domain_of(Family f) { return f == Family::V4 ? AF_INET : AF_INET6; }

ProbeResult result(ProbeOutcome outcome, std::string detail) { return {outcome, std::move(detail)}; }

ProbeResult failure(const char* what, int err) {
  return result(ProbeOutcome::Error, std::string("error: ") + what + ": " + strerror(err));
}

// What a socket error says about the path. The errno values are the kernel's
// translation of ICMP errors (icmp_err_convert, icmpv6_err_convert) and RSTs.
ProbeResult classify_errno(int err) {
  switch (err) {
    case ECONNREFUSED:  // RST, or ICMP port unreachable
      return result(ProbeOutcome::Refused, "refused");
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EHOSTDOWN:
    case ENONET:
    case ENOPROTOOPT:
    case EACCES:  // ICMPv6 administratively prohibited
      return result(ProbeOutcome::Refused, std::string("unreachable: ") + strerror(err));
    case EPERM:  // a netfilter drop on this host's output path
      return result(ProbeOutcome::Timeout, "timeout (dropped on output)");
    default:
      return failure("socket", err);
  }
}

void set_int_option(int fd, int level, int name, int value) {
  setsockopt(fd, level, name, &value, sizeof value);
}

// "netpolc!" + run + probe index: unique per probe of an engine.
std::string make_token(uint32_t run, size_t index) {
  std::string t = "netpolc!";
  for (int shift = 24; shift >= 0; shift -= 8) t += char(run >> shift);
  for (int shift = 24; shift >= 0; shift -= 8) t += char(uint32_t(index) >> shift);
  return t;
}

struct Pending {
  int fd = -1;            // TCP/UDP probe socket
  size_t icmp_socket = 0;  // ICMP: index into the run's raw sockets
  uint16_t echo_id = 0;
  std::string token;
  bool done = true;
};

struct IcmpSocket {
  int netns_fd;
  Family family;
  int fd;
};

int open_icmp_socket(Family family, std::string* error) {
  int fd = socket(domain_of(family), SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  family == Family::V4 ? int(IPPROTO_ICMP) : int(IPPROTO_ICMPV6));
  if (fd < 0) {
    *error = std::string("error: raw socket: ") + strerror(errno);
    return -1;
  }
  set_int_option(fd, SOL_SOCKET, SO_RCVBUFFORCE, kBufferBytes);
  // Only echo replies and the errors that can answer an echo request.
  if (family == Family::V4) {
    icmp_filter filter{};
    filter.data = ~((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) |
                    (1u << ICMP_TIME_EXCEEDED) | (1u << ICMP_PARAMETERPROB));
    setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
  } else {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &filter);
    ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &filter);
    setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
  }
  return fd;
}

// Echo request: type, code, checksum, identifier, sequence, payload.
// ICMPv6 checksums cover a pseudo-header and are filled in by the kernel.
std::string echo_request(Family family, uint16_t id, uint16_t seq, const std::string& token) {
  std::string packet(8, '\0');
  packet[0] = char(family == Family::V4 ? int(ICMP_ECHO) : int(ICMP6_ECHO_REQUEST));
  packet[4] = char(id >> 8);
  packet[5] = char(id);
  packet[6] = char(seq >> 8);
  packet[7] = char(seq);
  packet += token;
  if (family == Family::V4) {
    uint16_t sum = internet_checksum(reinterpret_cast<const uint8_t*>(packet.data()), packet.size());
    packet[2] = char(sum >> 8);
    packet[3] = char(sum);
  }
  return packet;
}

// An ICMP message that arrived on a probe's raw socket, reduced to what
// matching needs.
struct IcmpMessage {
  bool is_reply = false;      // an echo reply; otherwise an error about an echo request
  uint16_t id = 0;
  uint16_t seq = 0;
  IpAddr peer;                // reply: its source; error: the request's destination
  std::string payload;        // reply only
  int type = 0, code = 0;     // error only
  bool unreachable = false;   // error: destination unreachable
};

bool parse_icmp(Family family, const uint8_t* buf, size_t n, const sockaddr_storage& from,
                IcmpMessage* m) {
  if (family == Family::V4) {
    // Raw IPv4 sockets deliver the IP header too.
    if (n < 20) return false;
    size_t ihl = size_t(buf[0] & 0xf) * 4;
    if (n < ihl + 8) return false;
    buf += ihl;
    n -= ihl;
  }
  if (n < 8) return false;
  int type = buf[0];
  int reply_type = family == Family::V4 ? int(ICMP_ECHOREPLY) : int(ICMP6_ECHO_REPLY);
  if (type == reply_type) {
    m->is_reply = true;
    m->id = read_be16(buf + 4);
    m->seq = read_be16(buf + 6);
    m->peer = from_sockaddr(from);
    m->payload.assign(reinterpret_cast<const char*>(buf + 8), n - 8);
    return true;
  }
  // An error quotes the offending packet after its own 8-byte header.
  m->type = type;
  m->code = buf[1];
  const uint8_t* inner = buf + 8;
  size_t inner_len = n - 8;
  if (family == Family::V4) {
    m->unreachable = type == ICMP_DEST_UNREACH;
    if (inner_len < 20) return false;
    size_t ihl = size_t(inner[0] & 0xf) * 4;
    if (inner[9] != IPPROTO_ICMP || inner_len < ihl + 8 || inner[ihl] != ICMP_ECHO) return false;
    m->peer = v4_from_bytes(inner + 16);
    m->id = read_be16(inner + ihl + 4);
    m->seq = read_be16(inner + ihl + 6);
    return true;
  }
  m->unreachable = type == ICMP6_DST_UNREACH;
  if (inner_len < 48 || inner[6] != IPPROTO_ICMPV6 || inner[40] != ICMP6_ECHO_REQUEST) return false;
  m->peer = v6_from_bytes(inner + 24);
  m->id = read_be16(inner + 44);
  m->seq = read_be16(inner + 46);
  return true;
}

// Makes room for `needed` descriptors if the soft limit is lower and the hard
// limit allows (a thousand probes are a thousand sockets).
void ensure_fd_limit(size_t needed) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= needed) return;
  lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, needed);
  setrlimit(RLIMIT_NOFILE, &lim);
}

}  // namespace

const char* kind_name(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::TCP: return "tcp";
    case ProbeKind::UDP: return "udp";
    case ProbeKind::ICMP: return "icmp";
  }
  return "?";
}

uint16_t internet_checksum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += uint32_t((data[i] << 8) | data[i + 1]);
  if (len % 2) sum += uint32_t(data[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

ProbeEngine::~ProbeEngine() {
  for (const Responder& r : responders_) close(r.fd);
}

bool ProbeEngine::serve(int netns_fd, uint16_t port, std::string* error) {
  if (served_.count({netns_fd, port})) return true;
  ScopedNetns in(netns_fd);
  if (!in.ok()) {
    *error = in.error();
    return false;
  }
  std::vector<Responder> made;
  auto fail = [&](const std::string& what) {
    *error = what + ": " + strerror(errno);
    for (const Responder& r : made) close(r.fd);
    return false;
  };
  for (Family family : {Family::V4, Family::V6}) {
    for (bool tcp : {true, false}) {
      int fd = socket(domain_of(family), (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) return fail("responder socket");
      made.push_back({fd, tcp});
      set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1);
      if (family == Family::V6) set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
      if (!tcp) set_int_option(fd, SOL_SOCKET, SO_RCVBUFFORCE, kBufferBytes);
      sockaddr_storage ss;
      socklen_t len = to_sockaddr(IpAddr{family, 0}, port, &ss);
      if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || (tcp && listen(fd, SOMAXCONN) != 0))
        return fail(std::string("responder on ") + kind_name(tcp ? ProbeKind::TCP : ProbeKind::UDP) + " port " +
                    std::to_string(port));
    }
  }
  responders_.insert(responders_.end(), made.begin(), made.end());
  served_.insert({netns_fd, port});
  return true;
}

bool ProbeEngine::bind_fresh_port(int fd, int src_netns_fd, Family family, std::string* error) {
  uint32_t& next = next_port_.try_emplace(src_netns_fd, kFirstSourcePort).first->second;
  for (int attempt = 0; attempt < kBindAttempts; ++attempt) {
    uint16_t port = uint16_t(next);
    next = next == kLastSourcePort ? kFirstSourcePort : next + 1;
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(IpAddr{family, 0}, port, &ss);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return true;
    if (errno != EADDRINUSE) {
      *error = std::string("error: bind: ") + strerror(errno);
      return false;
    }
  }
  *error = "error: no free source port";
  return false;
}

std::vector<ProbeResult> ProbeEngine::run(const std::vector<Flow>& flows,
                                          std::chrono::milliseconds timeout) {
  ++runs_;
  const uint16_t seq = uint16_t(runs_);
  std::vector<ProbeResult> results(flows.size());
  std::vector<Pending> pending(flows.size());
  std::vector<IcmpSocket> icmp_sockets;
  std::unordered_map<uint16_t, size_t> by_echo_id;
  size_t remaining = 0;

  ensure_fd_limit(flows.size() + responders_.size() + 256);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    for (ProbeResult& r : results) r = failure("epoll_create1", errno);
    return results;
  }
  for (size_t i = 0; i < responders_.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tagged(responders_[i].tcp ? Tag::TcpListener : Tag::UdpResponder, i);
    epoll_ctl(ep, EPOLL_CTL_ADD, responders_[i].fd, &ev);
  }

  auto finish = [&](size_t i, ProbeResult r) {
    Pending& p = pending[i];
    if (p.done) return;
    results[i] = std::move(r);
    p.done = true;
    --remaining;
    if (p.fd >= 0) {
      close(p.fd);  // also leaves the epoll set
      p.fd = -1;
    }
  };

  // Sockets are made in each source namespace, one visit per namespace.
  std::map<int, std::vector<size_t>> by_source;
  for (size_t i = 0; i < flows.size(); ++i) by_source[flows[i].src_netns_fd].push_back(i);
  for (const auto& [netns_fd, indices] : by_source) {
    ScopedNetns in(netns_fd);
    for (size_t i : indices) {
      const Flow& f = flows[i];
      Pending& p = pending[i];
      p.done = false;
      ++remaining;
      p.token = make_token(runs_, i);
      if (!in.ok()) {
        finish(i, result(ProbeOutcome::Error, "error: " + in.error()));
        continue;
      }
      if (f.kind != ProbeKind::ICMP && f.port == 0) {
        finish(i, result(ProbeOutcome::Error, "error: port 0"));
        continue;
      }
      sockaddr_storage dst;
      socklen_t dst_len = to_sockaddr(f.dst, f.kind == ProbeKind::ICMP ? 0 : f.port, &dst);
      std::string error;

      if (f.kind == ProbeKind::ICMP) {
        size_t s = 0;
        while (s < icmp_sockets.size() &&
               (icmp_sockets[s].netns_fd != netns_fd || icmp_sockets[s].family != f.dst.family))
          ++s;
        if (s == icmp_sockets.size()) {
          int fd = open_icmp_socket(f.dst.family, &error);
          if (fd < 0) {
            finish(i, result(ProbeOutcome::Error, error));
            continue;
          }
          icmp_sockets.push_back({netns_fd, f.dst.family, fd});
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u64 = tagged(Tag::Icmp, s);
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        p.icmp_socket = s;
        p.echo_id = uint16_t(++next_echo_id_);
        if (!by_echo_id.emplace(p.echo_id, i).second) {
          finish(i, result(ProbeOutcome::Error, "error: more than 65535 icmp probes in one run"));
          continue;
        }
        std::string packet = echo_request(f.dst.family, p.echo_id, seq, p.token);
        if (sendto(icmp_sockets[s].fd, packet.data(), packet.size(), 0,
                   reinterpret_cast<sockaddr*>(&dst), dst_len) < 0)
          finish(i, classify_errno(errno));
        continue;
      }

      bool tcp = f.kind == ProbeKind::TCP;
      p.fd = socket(domain_of(f.dst.family), (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (p.fd < 0) {
        finish(i, failure("socket", errno));
        continue;
      }
      if (f.dst.family == Family::V6) set_int_option(p.fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
      if (!bind_fresh_port(p.fd, netns_fd, f.dst.family, &error)) {
        finish(i, result(ProbeOutcome::Error, error));
        continue;
      }
      if (!tcp) {
        // Report every ICMP error, not only the "hard" ones.
        if (f.dst.family == Family::V4) set_int_option(p.fd, IPPROTO_IP, IP_RECVERR, 1);
        else set_int_option(p.fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
      }
      int rc = connect(p.fd, reinterpret_cast<sockaddr*>(&dst), dst_len);
      if (tcp && rc == 0) {
        finish(i, result(ProbeOutcome::Connected, "ok"));
        continue;
      }
      if (rc != 0 && !(tcp && errno == EINPROGRESS)) {
        finish(i, classify_errno(errno));
        continue;
      }
      if (!tcp && send(p.fd, p.token.data(), p.token.size(), 0) < 0) {
        finish(i, classify_errno(errno));
        continue;
      }
      epoll_event ev{};
      ev.events = tcp ? EPOLLOUT : EPOLLIN;
      ev.data.u64 = tagged(Tag::Probe, i);
      epoll_ctl(ep, EPOLL_CTL_ADD, p.fd, &ev);
    }
  }

  // Every probe gets the whole timeout, counted from when the last was sent.
  const Clock::time_point deadline = Clock::now() + timeout;
  char buf[2048];
  std::vector<epoll_event> events(256);

  auto on_probe_socket = [&](size_t i, uint32_t revents) {
    Pending& p = pending[i];
    if (p.done) return;
    if (flows[i].kind == ProbeKind::TCP) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) finish(i, classify_errno(err));
      else if (revents & EPOLLOUT) finish(i, result(ProbeOutcome::Connected, "ok"));
      return;
    }
    for (;;) {
      ssize_t n = recv(p.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) finish(i, classify_errno(errno));
        return;
      }
      if (std::string_view(buf, size_t(n)) == p.token) {
        finish(i, result(ProbeOutcome::Connected, "ok"));
        return;
      }
    }
  };

  auto on_icmp_socket = [&](size_t s) {
    const IcmpSocket& sock = icmp_sockets[s];
    for (;;) {
      sockaddr_storage from{};
      socklen_t from_len = sizeof from;
      ssize_t n = recvfrom(sock.fd, buf, sizeof buf, MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) return;
      IcmpMessage m;
      if (!parse_icmp(sock.family, reinterpret_cast<const uint8_t*>(buf), size_t(n), from, &m)) continue;
      auto it = by_echo_id.find(m.id);
      if (m.seq != seq || it == by_echo_id.end()) continue;
      size_t i = it->second;
      if (pending[i].done || pending[i].icmp_socket != s || !(m.peer == flows[i].dst)) continue;
      if (m.is_reply) {
        if (m.payload == pending[i].token) finish(i, result(ProbeOutcome::Connected, "ok"));
      } else {
        std::string what = "icmp type " + std::to_string(m.type) + " code " + std::to_string(m.code);
        finish(i, m.unreachable ? result(ProbeOutcome::Refused, "unreachable: " + what)
                                : result(ProbeOutcome::Error, "error: " + what));
      }
    }
  };

  auto on_tcp_listener = [&](int fd) {
    for (;;) {
      int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      close(c);
    }
  };

  auto on_udp_responder = [&](int fd) {
    for (;;) {
      sockaddr_storage from{};
      socklen_t from_len = sizeof from;
      ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 0) return;
      sendto(fd, buf, size_t(n), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), from_len);
    }
  };

  while (remaining > 0) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    int n = epoll_wait(ep, events.data(), int(events.size()), int(left.count()));
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < n; ++k) {
      auto tag = Tag(events[k].data.u64 >> 32);
      size_t index = uint32_t(events[k].data.u64);
      switch (tag) {
        case Tag::Probe: on_probe_socket(index, events[k].events); break;
        case Tag::Icmp: on_icmp_socket(index); break;
        case Tag::TcpListener: on_tcp_listener(responders_[index].fd); break;
        case Tag::UdpResponder: on_udp_responder(responders_[index].fd); break;
      }
    }
  }

  for (size_t i = 0; i < flows.size(); ++i)
    if (!pending[i].done) finish(i, result(ProbeOutcome::Timeout, "timeout"));
  for (const IcmpSocket& s : icmp_sockets) close(s.fd);
  close(ep);
  return results;
}

}  // namespace netpolc::lab
