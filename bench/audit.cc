// The packet-path cost of --log-denied and --audit, and a demonstration of
// `netpolc observe` and `netpolc stats` on real traffic. In a lab of network
// namespaces (client default/test 10.244.1.12, server default/web
// 10.244.1.10, routed through a node that holds the gateway ruleset):
//
//   netpolc-bench-audit NETPOLC [--flows N] [--runs R]
//       the client sends N UDP datagrams, each to a new destination port, so
//       each is a new connection through the node's forward hook; the time the
//       sends take (the forward path runs in the sender's softirq) gives new
//       flows per second, median of R runs, per ruleset:
//         allowed traffic: enforcing; with --log-denied
//         denied traffic:  enforcing (drop); --log-denied (10/second);
//                          --log-denied=1000000/second with a listener bound
//                          (every flow logged and copied to user space);
//                          --audit (10/second)
//   netpolc-bench-audit NETPOLC --demo [--json]
//       applies fixtures/cases/audit.yaml with --audit, runs `netpolc observe`
//       while a few flows the policies deny are probed, then `netpolc stats`
//       (the transcript in docs/audit.md).
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "lab/lab.h"
#include "lab/netns.h"
#include "observe/nflog.h"

using namespace netpolc;

namespace {

const char kSnapshot[] = "fixtures/clusters/seeds-lab.yaml";

// default/web accepts everything from default/test, or only from default/foo.
const char kAllow[] =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web-from-test, namespace: default}\n"
    "spec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from:\n"
    "    - podSelector: {matchLabels: {run: test}}\n";
const char kDeny[] =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web-from-foo, namespace: default}\n"
    "spec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - from:\n"
    "    - podSelector: {matchLabels: {app: foo}}\n";

struct Config {
  const char* traffic;
  const char* rules;
  const char* policy;
  std::vector<std::string> flags;
  bool listener = false;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "netpolc-bench-audit: %s\n", what.c_str());
  std::exit(1);
}

std::string write_temp(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

void apply(lab::Lab& lab, const std::string& netpolc, const std::string& policy, const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {netpolc, "apply", "-s", kSnapshot, "-p", policy, "--full"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  std::string out;
  if (!lab.run_in(lab.node_netns(), argv, "", &out)) die("apply failed: " + out);
}

// A UDP socket in the client's namespace, bound to `sport`.
int client_socket(lab::Lab& lab, uint16_t sport) {
  std::string error;
  lab::NetnsFd ns = lab::NetnsFd::open_named(lab.host_netns(0), &error);
  if (!ns.valid()) die(error);
  lab::ScopedNetns inside(ns.get());
  if (!inside.ok()) die(inside.error());
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(sport);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("cannot bind the client socket");
  return fd;
}

// Seconds to send `flows` datagrams, each to a new port of the server.
double flood(int fd, int flows) {
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_addr.s_addr = htonl(0x0af4010a);  // 10.244.1.10
  char byte = 'x';
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < flows; ++i) {
    dst.sin_port = htons(uint16_t(1024 + i));
    sendto(fd, &byte, 1, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int bench(lab::Lab& lab, const std::string& netpolc, const std::string& dir, int flows, int runs) {
  std::string allow = write_temp(dir, "allow.yaml", kAllow), deny = write_temp(dir, "deny.yaml", kDeny);
  const std::vector<Config> configs = {
      {"allowed", "enforcing", "allow", {}},
      {"allowed", "--log-denied", "allow", {"--log-denied"}},
      {"denied", "enforcing (drop)", "deny", {}},
      {"denied", "--log-denied (10/second)", "deny", {"--log-denied"}},
      {"denied", "--log-denied=1000000/second, observed", "deny", {"--log-denied=1000000/second"}, true},
      {"denied", "--audit (10/second)", "deny", {"--audit"}},
  };
  // Connections are new again once their conntrack entries expire.
  std::string out;
  for (const char* key : {"net.netfilter.nf_conntrack_udp_timeout=1", "net.netfilter.nf_conntrack_udp_timeout_stream=1"})
    if (!lab.run_in(lab.node_netns(), {"sysctl", "-q", "-w", key}, "", &out)) die("sysctl: " + out);
  std::printf("machine: %u cores; %d new UDP flows per run, median of %d runs\n", std::thread::hardware_concurrency(),
              flows, runs);
  std::printf("%-8s %-40s %14s %12s %10s\n", "traffic", "rules", "flows/s", "us/flow", "vs plain");
  double plain[2] = {0, 0};
  uint16_t sport = 20000;
  for (const auto& c : configs) {
    apply(lab, netpolc, std::string(c.policy) == "allow" ? allow : deny, c.flags);
    std::unique_ptr<observe::NflogSocket> listener;
    std::atomic<bool> stop{false};
    std::atomic<size_t> logged{0};
    std::thread reader;
    if (c.listener) {
      std::string error;
      listener = observe::NflogSocket::open(lab.node_netns(), 100, &error);
      if (!listener) die(error);
      reader = std::thread([&] {
        while (!stop) {
          pollfd p{listener->fd(), POLLIN, 0};
          if (poll(&p, 1, 50) <= 0) continue;
          std::vector<observe::NflogPacket> packets;
          size_t dropped = 0;
          std::string e;
          listener->receive(&packets, &dropped, &e);
          logged += packets.size();
        }
      });
    }
    std::vector<double> secs;
    for (int r = 0; r < runs; ++r) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the last run's entries expire
      int fd = client_socket(lab, sport++);
      secs.push_back(flood(fd, flows));
      close(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
    if (reader.joinable()) reader.join();
    double t = median(secs);
    int kind = std::string(c.traffic) == "allowed" ? 0 : 1;
    if (plain[kind] == 0) plain[kind] = t;
    std::printf("%-8s %-40s %14.0f %12.2f %10.2f", c.traffic, c.rules, flows / t, t / flows * 1e6, t / plain[kind]);
    if (c.listener) std::printf("   (%zu reports read)", size_t(logged));
    std::printf("\n");
  }
  return 0;
}

// `netpolc observe` in the background while some denied flows are probed.
int demo(lab::Lab& lab, const std::string& netpolc, bool json) {
  apply(lab, netpolc, "fixtures/cases/audit.yaml", {"--audit"});
  std::printf("$ netpolc apply -s %s -p fixtures/cases/audit.yaml --audit --netns NODE\n", kSnapshot);
  pid_t pid = fork();
  if (pid == 0) {
    std::string ns = lab.node_netns();
    execl(netpolc.c_str(), netpolc.c_str(), "observe", "--netns", ns.c_str(), "-s", kSnapshot, "--duration", "3s",
          "--output", json ? "json" : "text", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // Hosts: 0 default/test, 1 default/web, 2 default/foo, 3 app/web.
  std::vector<lab::Probe> probes = {
      {0, 1, Family::V4, lab::ProbeKind::TCP, 80},  {0, 1, Family::V6, lab::ProbeKind::TCP, 80},
      {2, 1, Family::V4, lab::ProbeKind::TCP, 80},  {2, 0, Family::V4, lab::ProbeKind::UDP, 53},
      {0, 3, Family::V4, lab::ProbeKind::ICMP, 0}, {3, 0, Family::V4, lab::ProbeKind::TCP, 8080},
  };
  for (int round = 0; round < 2; ++round) {
    auto results = lab.probe(probes, std::chrono::milliseconds(500));
    for (size_t i = 0; round == 0 && i < probes.size(); ++i)
      std::fprintf(stderr, "probe %s: %s\n", lab.describe(probes[i]).c_str(), results[i].detail.c_str());
  }
  std::printf("$ netpolc observe --netns NODE -s %s --duration 3s%s\n", kSnapshot, json ? " --output json" : "");
  std::fflush(stdout);
  int status = 0;
  waitpid(pid, &status, 0);
  std::printf("$ netpolc stats --netns NODE\n");
  std::fflush(stdout);
  std::string out;
  lab.run_in(lab.node_netns(), {netpolc, "stats"}, "", &out);
  std::printf("%s", out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: netpolc-bench-audit NETPOLC [--flows N] [--runs R] | NETPOLC --demo [--json]\n");
    return 2;
  }
  std::string netpolc = argv[1];
  int flows = 20000, runs = 5;
  bool demo_mode = false, json = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--flows" && i + 1 < argc) flows = std::atoi(argv[++i]);
    else if (a == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (a == "--demo") demo_mode = true;
    else if (a == "--json") json = true;
    else die("unknown argument " + a);
  }
  if (flows <= 0 || flows > 60000 || runs <= 0) die("--flows 1..60000, --runs 1 or more");
  std::string why;
  if (!lab::lab_supported(&why)) die("needs network namespaces: " + why);
  lab::LabSpec spec;
  auto ip = [](const char* t) { return *parse_ip(t); };
  spec.hosts = {{"default/test", {ip("10.244.1.12"), ip("fd00::1:12")}},
                {"default/web", {ip("10.244.1.10"), ip("fd00::1:10")}},
                {"default/foo", {ip("10.244.1.11"), ip("fd00::1:11")}},
                {"app/web", {ip("10.244.2.10"), ip("fd00::2:10")}}};
  std::string error;
  auto lab = lab::Lab::create(spec, &error);
  if (!lab) die("cannot build the lab: " + error);
  char dir[] = "/tmp/netpolc-bench-audit-XXXXXX";
  if (!mkdtemp(dir)) die("mkdtemp failed");
  int rc = demo_mode ? demo(*lab, netpolc, json) : bench(*lab, netpolc, dir, flows, runs);
  std::filesystem::remove_all(dir);
  return rc;
}
