// netpolc-lab-smoke: builds a lab, denies about half of a probe matrix with
// an nft ruleset in the node, probes, checks every answer, and prints how
// long each step took.
//
//   netpolc-lab-smoke [--hosts N] [--probes M] [--timeout-ms T]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lab/lab.h"

using namespace netpolc;
using namespace netpolc::lab;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

LabSpec make_spec(size_t hosts) {
  LabSpec spec;
  for (size_t i = 0; i < hosts; ++i) {
    char v4[32], v6[32];
    snprintf(v4, sizeof v4, "10.244.%zu.%zu", 1 + i / 200, 2 + i % 200);
    snprintf(v6, sizeof v6, "fd00::%zx", 0x100 + i);
    spec.hosts.push_back({"default/pod-" + std::to_string(i), {*parse_ip(v4), *parse_ip(v6)}});
  }
  return spec;
}

// Odd ports and ICMP to odd hosts are dropped (see ruleset()).
bool expect_connected(const Probe& p) {
  if (p.kind == ProbeKind::ICMP) return p.to % 2 == 0;
  return p.port % 2 == 0;
}

std::string ruleset(const LabSpec& spec) {
  std::string v4, v6;
  for (size_t i = 1; i < spec.hosts.size(); i += 2) {
    for (const IpAddr& ip : spec.hosts[i].ips) {
      std::string& list = ip.family == Family::V4 ? v4 : v6;
      list += (list.empty() ? "" : ", ") + format_ip(ip);
    }
  }
  std::string s =
      "table inet smoke {\n"
      "  chain forward {\n"
      "    type filter hook forward priority 0; policy accept;\n"
      "    tcp dport { 81, 8081 } drop\n"
      "    udp dport { 81, 8081 } drop\n";
  if (!v4.empty()) s += "    ip daddr { " + v4 + " } icmp type echo-request drop\n";
  if (!v6.empty()) s += "    ip6 daddr { " + v6 + " } icmpv6 type echo-request drop\n";
  return s + "  }\n}\n";
}

std::vector<Probe> make_matrix(size_t hosts, size_t probes) {
  const uint16_t ports[] = {80, 81, 8080, 8081};
  std::vector<Probe> matrix;
  for (size_t k = 0; k < probes; ++k) {
    Probe p;
    p.from = k % hosts;
    p.to = (k / hosts + 1 + k) % hosts;
    if (p.to == p.from) p.to = (p.to + 1) % hosts;
    p.family = (k / 3) % 2 ? Family::V6 : Family::V4;
    p.kind = ProbeKind(k % 3);
    p.port = ports[(k / 6) % 4];
    matrix.push_back(p);
  }
  return matrix;
}

}  // namespace

int main(int argc, char** argv) {
  size_t hosts = 10, probes = 500;
  long timeout_ms = 500;
  for (int i = 1; i < argc; ++i) {
    auto value = [&] { return i + 1 < argc ? argv[++i] : (std::fprintf(stderr, "missing value\n"), std::exit(2), ""); };
    if (!strcmp(argv[i], "--hosts")) hosts = strtoul(value(), nullptr, 10);
    else if (!strcmp(argv[i], "--probes")) probes = strtoul(value(), nullptr, 10);
    else if (!strcmp(argv[i], "--timeout-ms")) timeout_ms = strtol(value(), nullptr, 10);
    else {
      std::fprintf(stderr, "usage: netpolc-lab-smoke [--hosts N] [--probes M] [--timeout-ms T]\n");
      return 2;
    }
  }
  if (hosts < 2) hosts = 2;
  std::string why;
  if (!lab_supported(&why)) {
    std::fprintf(stderr, "netpolc-lab-smoke: %s\n", why.c_str());
    return 77;
  }

  LabSpec spec = make_spec(hosts);
  auto t = Clock::now();
  std::string error;
  std::unique_ptr<Lab> lab = Lab::create(spec, &error);
  if (!lab) {
    std::fprintf(stderr, "netpolc-lab-smoke: %s\n", error.c_str());
    return 1;
  }
  std::printf("create %zu hosts: %.1f ms\n", hosts, ms_since(t));

  std::vector<Probe> matrix = make_matrix(hosts, probes);
  t = Clock::now();
  std::vector<ProbeResult> open = lab->probe(matrix, std::chrono::milliseconds(timeout_ms));
  double open_ms = ms_since(t);
  size_t open_connected = 0;
  for (const ProbeResult& r : open) open_connected += r.connected();
  std::printf("probe %zu, nothing denied yet (%zu connected): %.1f ms\n", matrix.size(), open_connected, open_ms);

  t = Clock::now();
  std::string out;
  if (!lab->run_in(lab->node_netns(), {"nft", "-f", "-"}, ruleset(spec), &out)) {
    std::fprintf(stderr, "netpolc-lab-smoke: nft: %s\n", out.c_str());
    return 1;
  }
  std::printf("load ruleset: %.1f ms\n", ms_since(t));

  t = Clock::now();
  std::vector<ProbeResult> results = lab->probe(matrix, std::chrono::milliseconds(timeout_ms));
  double probe_ms = ms_since(t);
  size_t connected = 0, wrong = 0;
  for (size_t k = 0; k < matrix.size(); ++k) {
    connected += results[k].connected();
    bool want = expect_connected(matrix[k]);
    bool ok = want ? results[k].connected() : results[k].outcome == ProbeOutcome::Timeout;
    if (!ok && wrong++ < 10)
      std::printf("  unexpected: %s: %s\n", lab->describe(matrix[k]).c_str(), results[k].detail.c_str());
  }
  std::printf("probe %zu (%zu connected, %zu denied) at %ld ms timeout: %.1f ms\n", matrix.size(), connected,
              matrix.size() - connected, timeout_ms, probe_ms);

  t = Clock::now();
  lab.reset();
  std::printf("destroy: %.1f ms\n", ms_since(t));
  if (wrong || open_connected != matrix.size()) std::printf("%zu unexpected results\n", wrong + matrix.size() - open_connected);
  return wrong || open_connected != matrix.size() ? 1 : 0;
}
