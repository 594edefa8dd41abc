// Real traffic between network namespaces, all of it at once from one thread.
//
// For every probe the calling thread enters the source namespace just long
// enough to create a socket there (a socket stays in the namespace it was
// created in), and one epoll loop then drives every probe and every responder
// until each probe has an answer or the timeout passes:
//   TCP   non-blocking connect(); connected once the three-way handshake has
//         crossed the path both ways.
//   UDP   a datagram carrying a unique token to a responder that echoes it;
//         connected once the echo comes back to the probe's connected socket.
//   ICMP  an echo request with a unique identifier on a raw socket (one per
//         source namespace and family); connected once the matching reply is
//         back. The kernel answers echo requests.
// A probe that gets no answer is a timeout: that is what a dropped packet
// looks like. A probe that is actively turned away (TCP RST, ICMP port or
// admin unreachable) is "refused", kept apart because a policy that denies
// must drop silently.
//
// Each probe uses a source port (TCP, UDP) or echo identifier (ICMP) that this
// engine has not used before, so a probe never rides on a conntrack entry an
// earlier probe left behind (conntrack remembers flows for minutes, and
// reloaded rulesets accept "established" traffic).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compiler/address.h"

namespace netpolc::lab {

enum class ProbeKind { TCP, UDP, ICMP };

enum class ProbeOutcome {
  Connected,  // the round trip completed
  Timeout,    // no answer before the deadline: dropped somewhere
  Refused,    // actively rejected: TCP RST or an ICMP error came back
  Error,      // the probe could not be made (bad request, socket error)
};

struct ProbeResult {
  ProbeOutcome outcome = ProbeOutcome::Error;
  // "ok", "timeout", "refused", "unreachable: No route to host",
  // "icmp unreachable type 3 code 13", "error: ...".
  std::string detail;

  bool connected() const { return outcome == ProbeOutcome::Connected; }
};

const char* kind_name(ProbeKind kind);  // "tcp", "udp", "icmp"

// One probe with its endpoints resolved: a source namespace and a
// destination address.
struct Flow {
  int src_netns_fd = -1;
  IpAddr dst;
  ProbeKind kind = ProbeKind::TCP;
  uint16_t port = 0;  // destination port; unused for ICMP
};

// Owns the responders (kept between runs) and the counters that make every
// probe's source port and echo identifier fresh. One run at a time. Its
// sockets keep the namespaces they live in alive: destroy the engine before
// deleting those.
class ProbeEngine {
 public:
  ProbeEngine() = default;
  ~ProbeEngine();
  ProbeEngine(const ProbeEngine&) = delete;
  ProbeEngine& operator=(const ProbeEngine&) = delete;

  // Makes sure TCP and UDP responders on `port`, IPv4 and IPv6, run in the
  // namespace (TCP: listen, accept, close; UDP: echo each datagram back).
  bool serve(int netns_fd, uint16_t port, std::string* error);

  // Runs every flow concurrently; returns one result per flow, in order.
  // Returns early when every flow has its answer.
  std::vector<ProbeResult> run(const std::vector<Flow>& flows, std::chrono::milliseconds timeout);

 private:
  class Run;  // one call of run(): its sockets and its event loop (probe.cc)
  struct Responder {
    int fd;
    bool tcp;
  };
  // Binds a TCP or UDP probe socket to a source port this engine has not
  // handed out before in that namespace (until the range wraps).
  bool bind_fresh_port(int fd, int src_netns_fd, Family family, std::string* error);

  std::vector<Responder> responders_;
  std::set<std::pair<int, uint16_t>> served_;  // (netns fd, port)
  std::map<int, uint32_t> next_port_;          // per source namespace
  uint16_t next_echo_id_ = 0;
  uint32_t runs_ = 0;
};

}  // namespace netpolc::lab
