// The kernel test lab: a throwaway set of network namespaces laid out like a
// CNI, with real TCP, UDP and ICMP traffic between them.
//
//            host 0 ns                      node ns                     host 1 ns
//   eth0 10.244.1.2/32, fd00::2/128  <->  h0 | h1 ...  (router)  <->  eth0 ...
//   default via 169.254.1.1 (onlink)       169.254.1.1/32, fe80::1/64 on every hN
//   default via fe80::1                    10.244.1.2/32 dev h0, fd00::2/128 dev h0
//
// Every host (pod or external) is a namespace with one veth to the node, and
// all traffic between hosts is routed through the node, so a ruleset loaded
// into the node namespace sees it on its forward hook ("gateway" mode) and a
// ruleset loaded into a host namespace sees that host's traffic on its input
// and output hooks ("endpoint" mode).
//
// Neighbours on both ends of every veth are static (fixed MACs, permanent
// ARP/NDP entries), and DAD is off: nothing waits, and results never depend on
// ARP/ND timing. The flip side: the lab cannot tell that a ruleset would break
// neighbour discovery.
//
// Namespaces are named npl<pid>-<lab>-node and npl<pid>-<lab>-h<index>, and
// are removed when the Lab is destroyed, when building it fails, and when the
// process dies of SIGINT, SIGTERM and friends (see cleanup.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/address.h"
#include "lab/netns.h"
#include "lab/probe.h"

namespace netpolc::lab {

struct LabHost {
  std::string id;            // "ns/pod", or an external host's name
  std::vector<IpAddr> ips;   // one or two: at most one IPv4 and one IPv6
};

// Host addresses must lie in 10.244.0.0/16, fd00::/8 or the documentation
// ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
struct LabSpec {
  std::vector<LabHost> hosts;
};

struct Probe {
  size_t from = 0;  // host indices
  size_t to = 0;
  Family family = Family::V4;
  ProbeKind kind = ProbeKind::TCP;
  uint16_t port = 0;  // unused for ICMP
};

// For tests of the lab itself.
struct LabBuildOptions {
  // Fail on purpose after this many build stages (1..5), as if the next one
  // had failed, to check that a half-built lab leaves nothing behind.
  int fail_after_stage = 0;
};

// RAII: every namespace it made is gone when it is destroyed. Movable, not
// copyable. One thread at a time.
class Lab {
 public:
  // Builds everything, or cleans up and fails with *error set.
  static std::unique_ptr<Lab> create(const LabSpec& spec, std::string* error,
                                     const LabBuildOptions& options = {});
  ~Lab();
  Lab(Lab&& other) noexcept { *this = std::move(other); }
  Lab& operator=(Lab&& other) noexcept;
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  const LabSpec& spec() const { return spec_; }
  // The router namespace, e.g. for `ip netns exec NAME nft -f FILE`.
  std::string node_netns() const { return names_[0]; }
  std::string host_netns(size_t host) const { return names_.at(host + 1); }

  // Runs a program (no shell) inside a namespace, feeding it stdin_text;
  // *output gets its stdout and stderr. True when it exits with status 0.
  // Example: run_in(node_netns(), {"nft", "-f", "-"}, ruleset, &out).
  bool run_in(const std::string& netns, const std::vector<std::string>& argv,
              const std::string& stdin_text, std::string* output);

  // Runs every probe at once; one result per probe, in order. Takes at most
  // about `timeout` plus the time to open the sockets; less when every probe
  // has its answer sooner. Responders for the probed ports start on demand
  // and stay up for the lab's lifetime.
  std::vector<ProbeResult> probe(const std::vector<Probe>& probes, std::chrono::milliseconds timeout);

  // "default/a -> default/b tcp/80 v4", for messages.
  std::string describe(const Probe& probe) const;

 private:
  Lab() = default;
  // The build stages, in order (see create()).
  bool make_namespaces(std::string* error);
  bool set_sysctls(std::string* error);
  bool wire_node(std::string* error);
  bool wire_hosts(std::string* error);
  bool wait_until_ready(std::string* error);
  void teardown();
  const IpAddr* address(size_t host, Family family) const;

  LabSpec spec_;
  std::vector<std::string> names_;   // [0] node, [1 + i] host i
  std::vector<NetnsFd> netns_;       // same order as names_
  std::unique_ptr<ProbeEngine> engine_;
};

// Whether this process can build labs (root, network namespaces, `ip`);
// *why says what is missing when it cannot.
bool lab_supported(std::string* why);

}  // namespace netpolc::lab
