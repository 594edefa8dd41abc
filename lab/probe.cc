#include "lab/probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "lab/icmp.h"
#include "lab/netns.h"

namespace netpolc::lab {

namespace {

// Source ports handed out per source namespace, in turn. Ports in use (a
// responder, a TIME_WAIT) are skipped.
constexpr uint32_t kFirstSourcePort = 20000;
constexpr uint32_t kLastSourcePort = 60999;
constexpr int kBindAttempts = 512;
constexpr int kBufferBytes = 4 << 20;  // a thousand datagrams at once

using Clock = std::chrono::steady_clock;

// What an epoll event is about: a kind in the high half of the data word, an
// index into that kind's vector in the low half.
enum class Tag : uint32_t { Probe = 1, Icmp = 2, TcpListener = 3, UdpResponder = 4 };

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

IpAddr from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET)
    return IpAddr{Family::V4, u128(ntohl(reinterpret_cast<const sockaddr_in&>(ss).sin_addr.s_addr))};
  u128 v = 0;
  for (uint8_t b : reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr.s6_addr) v = (v << 8) | b;
  return IpAddr{Family::V6, v};
}

int domain_of(Family f) { return f == Family::V4 ? AF_INET : AF_INET6; }

void set_int_option(int fd, int level, int name, int value) { setsockopt(fd, level, name, &value, sizeof value); }

ProbeResult result(ProbeOutcome outcome, std::string detail) { return {outcome, std::move(detail)}; }

ProbeResult error_result(const std::string& what) { return result(ProbeOutcome::Error, "error: " + what); }

// What a socket error says about the path. The errno values are the kernel's
// translations of RSTs and ICMP errors (icmp_err_convert, icmpv6_err_convert).
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
    case EPERM:  // netfilter dropped it on this host's own output path
      return result(ProbeOutcome::Timeout, "timeout (dropped on output)");
    default:
      return error_result(strerror(err));
  }
}

// "netpolc!" + run number + probe index: unique per probe of an engine.
std::string make_token(uint32_t run, size_t index) {
  std::string t = "netpolc!";
  for (int shift = 24; shift >= 0; shift -= 8) t += char(run >> shift);
  for (int shift = 24; shift >= 0; shift -= 8) t += char(uint32_t(index) >> shift);
  return t;
}

// Makes room for `needed` descriptors when the soft limit is lower and the
// hard limit allows: a thousand probes are a thousand sockets.
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

// One call of ProbeEngine::run(): opens a socket per probe (a raw socket per
// source namespace and family for ICMP), sends, and runs the event loop over
// those and the engine's responders until every probe has its answer or the
// deadline passes. Closes everything it opened.
class ProbeEngine::Run {
 public:
  Run(ProbeEngine& engine, const std::vector<Flow>& flows)
      : engine_(engine), flows_(flows), run_(++engine.runs_), seq_(uint16_t(run_)),
        results_(flows.size()), pending_(flows.size()) {}
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  std::vector<ProbeResult> go(std::chrono::milliseconds timeout);

 private:
  struct Pending {
    int fd = -1;             // TCP / UDP probe socket
    size_t icmp_socket = 0;  // ICMP: index into icmp_sockets_
    uint16_t echo_id = 0;
    std::string token;       // UDP and ICMP payload
    bool done = true;
  };
  struct IcmpSocket {
    int netns_fd;
    Family family;
    int fd;
  };

  void watch(int fd, uint32_t events, Tag tag, size_t index);
  void start(size_t i, int netns_fd);
  void start_icmp(size_t i, int netns_fd);
  void start_socket(size_t i, int netns_fd);
  void finish(size_t i, ProbeResult r);
  void on_event(const epoll_event& event);
  void on_probe_socket(size_t i, uint32_t events);
  void on_icmp_socket(size_t s);
  void on_tcp_listener(int fd);
  void on_udp_responder(int fd);

  ProbeEngine& engine_;
  const std::vector<Flow>& flows_;
  const uint32_t run_;
  const uint16_t seq_;  // every echo request of the run carries it
  std::vector<ProbeResult> results_;
  std::vector<Pending> pending_;
  std::vector<IcmpSocket> icmp_sockets_;
  std::map<std::pair<int, Family>, size_t> icmp_socket_of_;  // (netns fd, family)
  std::unordered_map<uint16_t, size_t> probe_of_echo_id_;
  size_t remaining_ = 0;
  int epoll_ = -1;
  char buf_[2048];
};

ProbeEngine::Run::~Run() {
  for (const Pending& p : pending_)
    if (p.fd >= 0) close(p.fd);
  for (const IcmpSocket& s : icmp_sockets_) close(s.fd);
  if (epoll_ >= 0) close(epoll_);
}

std::vector<ProbeResult> ProbeEngine::Run::go(std::chrono::milliseconds timeout) {
  ensure_fd_limit(flows_.size() + engine_.responders_.size() + 256);
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) {
    for (ProbeResult& r : results_) r = error_result(std::string("epoll: ") + strerror(errno));
    return results_;
  }
  for (size_t i = 0; i < engine_.responders_.size(); ++i) {
    const Responder& r = engine_.responders_[i];
    watch(r.fd, EPOLLIN, r.tcp ? Tag::TcpListener : Tag::UdpResponder, i);
  }

  // Sockets are made in each source namespace, one visit per namespace.
  std::map<int, std::vector<size_t>> by_source;
  for (size_t i = 0; i < flows_.size(); ++i) by_source[flows_[i].src_netns_fd].push_back(i);
  for (const auto& [netns_fd, indices] : by_source) {
    ScopedNetns in(netns_fd);
    for (size_t i : indices) {
      pending_[i].done = false;
      ++remaining_;
      if (in.ok()) start(i, netns_fd);
      else finish(i, error_result(in.error()));
    }
  }

  // Every probe gets the whole timeout, counted from when the last was sent.
  const Clock::time_point deadline = Clock::now() + timeout;
  epoll_event events[256];
  while (remaining_ > 0) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    int n = epoll_wait(epoll_, events, 256, int(left.count()));
    if (n < 0 && errno != EINTR) break;
    for (int k = 0; k < n; ++k) on_event(events[k]);
  }
  for (size_t i = 0; i < flows_.size(); ++i) finish(i, result(ProbeOutcome::Timeout, "timeout"));
  return results_;
}

void ProbeEngine::Run::watch(int fd, uint32_t events, Tag tag, size_t index) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = (uint64_t(tag) << 32) | uint32_t(index);
  epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
}

// Called with the thread in the flow's source namespace.
void ProbeEngine::Run::start(size_t i, int netns_fd) {
  const Flow& f = flows_[i];
  pending_[i].token = make_token(run_, i);
  if (f.kind == ProbeKind::ICMP) {
    start_icmp(i, netns_fd);
  } else if (f.port == 0) {
    finish(i, error_result("port 0"));
  } else {
    start_socket(i, netns_fd);
  }
}

void ProbeEngine::Run::start_icmp(size_t i, int netns_fd) {
  const Flow& f = flows_[i];
  Pending& p = pending_[i];
  auto [it, fresh] = icmp_socket_of_.try_emplace({netns_fd, f.dst.family}, icmp_sockets_.size());
  if (fresh) {
    std::string error;
    int fd = open_icmp_socket(f.dst.family, &error);
    if (fd < 0) {
      icmp_socket_of_.erase(it);
      return finish(i, error_result(error));
    }
    icmp_sockets_.push_back({netns_fd, f.dst.family, fd});
    watch(fd, EPOLLIN, Tag::Icmp, it->second);
  }
  p.icmp_socket = it->second;
  // Echo identifiers play the part of source ports: fresh for every probe.
  p.echo_id = ++engine_.next_echo_id_;
  if (!probe_of_echo_id_.emplace(p.echo_id, i).second)
    return finish(i, error_result("more than 65535 icmp probes in one run"));
  std::string packet = echo_request(f.dst.family, p.echo_id, seq_, p.token);
  sockaddr_storage dst;
  socklen_t dst_len = to_sockaddr(f.dst, 0, &dst);
  if (sendto(icmp_sockets_[p.icmp_socket].fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&dst),
             dst_len) < 0)
    finish(i, classify_errno(errno));
}

void ProbeEngine::Run::start_socket(size_t i, int netns_fd) {
  const Flow& f = flows_[i];
  Pending& p = pending_[i];
  bool tcp = f.kind == ProbeKind::TCP;
  p.fd = socket(domain_of(f.dst.family), (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p.fd < 0) return finish(i, error_result(std::string("socket: ") + strerror(errno)));
  if (f.dst.family == Family::V6) set_int_option(p.fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
  std::string error;
  if (!engine_.bind_fresh_port(p.fd, netns_fd, f.dst.family, &error)) return finish(i, error_result(error));
  if (!tcp) {
    // Every ICMP error, not only the "hard" ones, fails the socket.
    if (f.dst.family == Family::V4) set_int_option(p.fd, IPPROTO_IP, IP_RECVERR, 1);
    else set_int_option(p.fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
  }
  sockaddr_storage dst;
  socklen_t dst_len = to_sockaddr(f.dst, f.port, &dst);
  int rc = connect(p.fd, reinterpret_cast<sockaddr*>(&dst), dst_len);
  if (tcp && rc == 0) return finish(i, result(ProbeOutcome::Connected, "ok"));
  if (rc != 0 && !(tcp && errno == EINPROGRESS)) return finish(i, classify_errno(errno));
  if (!tcp && send(p.fd, p.token.data(), p.token.size(), 0) < 0) return finish(i, classify_errno(errno));
  watch(p.fd, tcp ? EPOLLOUT : EPOLLIN, Tag::Probe, i);
}

void ProbeEngine::Run::finish(size_t i, ProbeResult r) {
  Pending& p = pending_[i];
  if (p.done) return;
  results_[i] = std::move(r);
  p.done = true;
  --remaining_;
  if (p.fd >= 0) {
    close(p.fd);  // which also takes it out of the epoll set
    p.fd = -1;
  }
}

void ProbeEngine::Run::on_event(const epoll_event& event) {
  auto tag = Tag(event.data.u64 >> 32);
  size_t index = uint32_t(event.data.u64);
  switch (tag) {
    case Tag::Probe: return on_probe_socket(index, event.events);
    case Tag::Icmp: return on_icmp_socket(index);
    case Tag::TcpListener: return on_tcp_listener(engine_.responders_[index].fd);
    case Tag::UdpResponder: return on_udp_responder(engine_.responders_[index].fd);
  }
}

void ProbeEngine::Run::on_probe_socket(size_t i, uint32_t events) {
  Pending& p = pending_[i];
  if (p.done) return;
  if (flows_[i].kind == ProbeKind::TCP) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) finish(i, classify_errno(err));
    else if (events & EPOLLOUT) finish(i, result(ProbeOutcome::Connected, "ok"));
    return;
  }
  for (;;) {  // UDP: wait for our own token to come back
    ssize_t n = recv(p.fd, buf_, sizeof buf_, MSG_DONTWAIT);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) finish(i, classify_errno(errno));
      return;
    }
    if (std::string_view(buf_, size_t(n)) == p.token) return finish(i, result(ProbeOutcome::Connected, "ok"));
  }
}

void ProbeEngine::Run::on_icmp_socket(size_t s) {
  const IcmpSocket& sock = icmp_sockets_[s];
  for (;;) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(sock.fd, buf_, sizeof buf_, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) return;
    // The raw socket sees every ICMP message of its namespace: keep only
    // answers to this run's requests from this socket, to the right peer.
    IcmpMessage m;
    if (!parse_icmp(sock.family, reinterpret_cast<const uint8_t*>(buf_), size_t(n), from_sockaddr(from), &m))
      continue;
    auto it = probe_of_echo_id_.find(m.id);
    if (m.seq != seq_ || it == probe_of_echo_id_.end()) continue;
    size_t i = it->second;
    if (pending_[i].icmp_socket != s || !(m.peer == flows_[i].dst)) continue;
    if (m.is_reply) {
      if (m.payload == pending_[i].token) finish(i, result(ProbeOutcome::Connected, "ok"));
      continue;
    }
    std::string what = "icmp type " + std::to_string(m.type) + " code " + std::to_string(m.code);
    finish(i, m.unreachable ? result(ProbeOutcome::Refused, "unreachable: " + what) : error_result(what));
  }
}

void ProbeEngine::Run::on_tcp_listener(int fd) {
  for (;;) {
    int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    close(c);
  }
}

void ProbeEngine::Run::on_udp_responder(int fd) {
  for (;;) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(fd, buf_, sizeof buf_, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) return;
    sendto(fd, buf_, size_t(n), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), from_len);
  }
}

ProbeEngine::~ProbeEngine() {
  for (const Responder& r : responders_) close(r.fd);
}

std::vector<ProbeResult> ProbeEngine::run(const std::vector<Flow>& flows, std::chrono::milliseconds timeout) {
  return Run(*this, flows).go(timeout);
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
        return fail(std::string("responder on ") + (tcp ? "tcp" : "udp") + " port " + std::to_string(port));
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
      *error = std::string("bind: ") + strerror(errno);
      return false;
    }
  }
  *error = "no free source port";
  return false;
}

}  // namespace netpolc::lab
