#include "tests/audit_run.h"

#include <doctest/doctest.h>
#include <poll.h>

#include <chrono>

#include "backends/netlink_apply.h"
#include "backends/nft_ruleset.h"

namespace netpolc::test {

namespace {

// A group no other test binds.
constexpr uint16_t kGroup = 4711;
// High enough that no probe of a scenario is ever rate limited.
constexpr Rate kRate{100000, RateUnit::Second};

// Reads nflog until it has been quiet for a while.
void drain(observe::NflogSocket& sock, observe::Observations& obs) {
  for (;;) {
    pollfd fd{sock.fd(), POLLIN, 0};
    if (poll(&fd, 1, 200) <= 0) return;
    std::vector<observe::NflogPacket> packets;
    size_t dropped = 0;
    std::string error;
    REQUIRE_MESSAGE(sock.receive(&packets, &dropped, &error), error);
    CHECK(dropped == 0);
    for (const auto& p : packets) CHECK(observe::record(p, obs));
  }
}

}  // namespace

FlowId flow_id(const observe::FlowKey& k) { return {k.src, k.dst, k.protocol, k.port.value_or(0)}; }

Flow probe_flow(const Scenario& s, const Expectation& e) {
  Flow f;
  f.protocol = e.protocol;
  f.port = e.protocol == L4::ICMP ? 0 : e.port;
  REQUIRE(endpoint_address(s.cluster, e.from, e.family, &f.src));
  REQUIRE(endpoint_address(s.cluster, e.to, e.family, &f.dst));
  return f;
}

void apply_in_node(KernelRun& run, const Scenario& s, const Program& prog, bool audit) {
  NftOptions o;
  o.dns_carve_out = s.dns_carve_out;
  o.report.audit = audit;
  o.report.log = kRate;
  o.report.nflog_group = kGroup;
  nl::ApplyOptions apply;
  apply.netns = run.lab->node_netns();
  apply.full = true;
  Diagnostics diags;
  REQUIRE_MESSAGE(nl::apply_ruleset(nft::build_ruleset(prog, s.cluster, o), apply, diags).ok,
                  format_diagnostics(diags, SourceFiles{}));
}

ReportedRun probe_with_reports(KernelRun& run, const Scenario& s, const Program& prog,
                               const std::vector<lab::Probe>& probes, bool audit) {
  apply_in_node(run, s, prog, audit);
  std::string error;
  auto sock = observe::NflogSocket::open(run.lab->node_netns(), kGroup, &error);
  REQUIRE_MESSAGE(sock, error);
  ReportedRun r;
  r.results = run.lab->probe(probes, std::chrono::milliseconds(400));
  REQUIRE(r.results.size() == probes.size());
  drain(*sock, r.obs);
  auto nft = nl::NftSocket::open(run.lab->node_netns(), &error);
  REQUIRE_MESSAGE(nft, error);
  REQUIRE_MESSAGE(nl::read_table(*nft, "netpolc", &r.table, &error), error);
  return r;
}

std::set<FlowId> reported(const observe::Observations& obs) {
  std::set<FlowId> out;
  for (const auto& [key, seen] : obs.flows) out.insert(flow_id(key));
  return out;
}

std::string describe(const std::set<FlowId>& flows) {
  std::string s;
  for (const auto& [src, dst, proto, port] : flows)
    s += "  " + format_ip(src) + " -> " + format_ip(dst) + " " + l4_name(proto) + "/" + std::to_string(port) + "\n";
  return s.empty() ? "  (none)\n" : s;
}

}  // namespace netpolc::test
