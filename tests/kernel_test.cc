// Scenario tests: the upstream conformance cases and the seed recipes' stated
// results, checked three ways:
//   model   the reference evaluator and the resolved program agree with
//           every expectation (no kernel needed);
//   kernel  the compiled nft rules, loaded into a lab of network namespaces
//           (pods routed through a node, as a CNI lays them out), give every
//           expectation with real TCP, UDP and ICMP traffic, in the gateway
//           target and in the endpoint target. SCTP is checked by the model
//           and by `nft -c` of the goldens only: this kernel has no SCTP.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <memory>

#include "backends/nft_text.h"
#include "compiler/program_eval.h"
#include "compiler/resolve.h"
#include "lab/lab.h"
#include "tests/matrix_verdicts.h"
#include "tests/scenario.h"

using namespace netpolc;
using namespace netpolc::test;

namespace {

std::vector<Scenario> all_scenarios() {
  std::vector<Scenario> out;
  for (const auto& f : fixture_files("fixtures/e2e"))
    for (auto& s : load_e2e_case(f)) out.push_back(std::move(s));
  for (const auto& f : fixture_files("fixtures/scenarios"))
    for (auto& s : load_seed_scenario(f)) out.push_back(std::move(s));
  return out;
}

// What the model says, with the DNS carve-out (which is not NetworkPolicy)
// applied on top of the evaluator.
bool model_allows(const Scenario& s, const Evaluator& ev, const AddrSet& dns, const Flow& f) {
  if (s.dns_carve_out && ev.pod_by_ip(f.src) >= 0 && dns.contains(f.dst) &&
      (f.protocol == L4::UDP || f.protocol == L4::TCP) && f.port == 53)
    return true;
  return ev.evaluate(f).allowed;
}

bool flow_of(const Scenario& s, const Expectation& e, Flow* f) {
  f->protocol = e.protocol;
  f->port = e.port;
  return endpoint_address(s.cluster, e.from, e.family, &f->src) &&
         endpoint_address(s.cluster, e.to, e.family, &f->dst);
}

std::string verdict(bool allow) { return allow ? "allow" : "deny"; }

}  // namespace

TEST_CASE("model: the reference evaluator and the compiled program meet every expectation") {
  size_t checked = 0, scenarios = 0;
  for (const auto& s : all_scenarios()) {
    ++scenarios;
    Evaluator ev(s.cluster, s.policies);
    Diagnostics diags;
    Program prog = resolve(s.cluster, s.policies, ResolveOptions{}, diags);
    AddrSet dns = cluster_dns_servers(s.cluster);
    std::vector<bool> matrix = matrix_verdicts(s);
    check_matrix_groups(s);
    for (size_t i = 0; i < s.expectations.size(); ++i) {
      const Expectation& e = s.expectations[i];
      Flow f;
      INFO(e.where << ": " << e.from << " -> " << e.to);
      REQUIRE(flow_of(s, e, &f));
      CHECK_MESSAGE(model_allows(s, ev, dns, f) == e.allow, "evaluator says " << verdict(!e.allow));
      if (!s.dns_carve_out) CHECK_MESSAGE(program_allows(prog, f) == e.allow, "program says " << verdict(!e.allow));
      if (!matrix.empty()) CHECK_MESSAGE(matrix[i] == e.allow, "netpolc matrix says " << verdict(!e.allow));
      ++checked;
    }
  }
  MESSAGE("model: " << scenarios << " scenarios, " << checked << " expectations");
}

namespace {

struct KernelRun {
  std::unique_ptr<lab::Lab> lab;
  std::string signature;
  std::vector<std::string> ids;           // host index -> "ns/pod" or address
  std::vector<long> pod_of_host;          // host index -> pod index, or -1
  std::map<std::string, size_t> host_of;  // id -> host index
  std::vector<std::string> loaded;        // namespaces holding our table
  size_t probes = 0;
};

// The lab for a scenario: a host per enforced pod and per outside address the
// scenario probes. Reused while the hosts stay the same.
bool prepare_lab(KernelRun& run, const Scenario& s) {
  lab::LabSpec spec;
  std::vector<std::string> ids;
  std::vector<long> pods;
  for (size_t i = 0; i < s.cluster.pods.size(); ++i) {
    const Pod& p = s.cluster.pods[i];
    if (!p.enforced()) continue;
    spec.hosts.push_back({p.ns + "/" + p.name, p.ips});
    ids.push_back(p.ns + "/" + p.name);
    pods.push_back(long(i));
  }
  for (const auto& e : s.expectations)
    for (const auto& who : {e.from, e.to})
      if (auto ip = parse_ip(who); ip && std::find(ids.begin(), ids.end(), who) == ids.end()) {
        spec.hosts.push_back({who, {*ip}});
        ids.push_back(who);
        pods.push_back(-1);
      }
  std::string sig;
  for (const auto& h : spec.hosts) {
    sig += h.id;
    for (const auto& ip : h.ips) sig += " " + format_ip(ip);
    sig += ";";
  }
  if (run.lab && sig == run.signature) return true;
  run.lab.reset();
  std::string error;
  run.lab = lab::Lab::create(spec, &error);
  if (!run.lab) {
    FAIL_CHECK("cannot build the lab: " << error);
    return false;
  }
  run.signature = sig;
  run.ids = ids;
  run.pod_of_host = pods;
  run.host_of.clear();
  for (size_t i = 0; i < ids.size(); ++i) run.host_of[ids[i]] = i;
  run.loaded.clear();
  return true;
}

void clear_rules(KernelRun& run) {
  std::string out;
  for (const auto& ns : run.loaded) run.lab->run_in(ns, {"nft", "delete", "table", "inet", "netpolc"}, "", &out);
  run.loaded.clear();
}

bool load(KernelRun& run, const std::string& ns, const std::string& ruleset) {
  std::string out;
  bool ok = run.lab->run_in(ns, {"nft", "-f", "-"}, ruleset, &out);
  if (ok) run.loaded.push_back(ns);
  else FAIL_CHECK("nft refused the ruleset in " << ns << ": " << out);
  return ok;
}

void probe_and_compare(KernelRun& run, const Scenario& s, const char* target) {
  std::vector<lab::Probe> probes;
  std::vector<const Expectation*> expected;
  std::vector<bool> matrix_all = matrix_verdicts(s), matrix;  // what `netpolc matrix` says of each probe
  for (size_t i = 0; i < s.expectations.size(); ++i) {
    const Expectation& e = s.expectations[i];
    if (e.protocol != L4::SCTP && !matrix_all.empty()) matrix.push_back(matrix_all[i]);
    if (e.protocol == L4::SCTP) continue;
    lab::Probe p;
    p.from = run.host_of.at(e.from);
    p.to = run.host_of.at(e.to);
    p.family = e.family;
    p.kind = e.protocol == L4::TCP ? lab::ProbeKind::TCP
             : e.protocol == L4::UDP ? lab::ProbeKind::UDP
                                     : lab::ProbeKind::ICMP;
    p.port = e.port;
    probes.push_back(p);
    expected.push_back(&e);
  }
  auto results = run.lab->probe(probes, std::chrono::milliseconds(500));
  REQUIRE(results.size() == probes.size());
  for (size_t i = 0; i < probes.size(); ++i) {
    const Expectation& e = *expected[i];
    const auto& r = results[i];
    bool ok = e.allow ? r.connected() : r.outcome == lab::ProbeOutcome::Timeout;
    CHECK_MESSAGE(ok, target << ": " << e.where << ": " << run.lab->describe(probes[i]) << " expected "
                             << verdict(e.allow) << ", got " << r.detail);
    if (!matrix.empty())
      CHECK_MESSAGE(matrix[i] == r.connected(), target << ": " << e.where << ": " << run.lab->describe(probes[i])
                                                       << ": netpolc matrix says " << verdict(matrix[i]) << ", the kernel "
                                                       << r.detail);
  }
  run.probes += probes.size();
}

}  // namespace

TEST_CASE("kernel: compiled nft rules enforce every expectation in a lab of network namespaces") {
  std::string why;
  if (!lab::lab_supported(&why)) {
    MESSAGE("SKIPPED LOUDLY: kernel tests need network namespaces: " << why);
    return;
  }
  KernelRun run;
  size_t scenarios = 0;
  auto started = std::chrono::steady_clock::now();
  for (const auto& s : all_scenarios()) {
    INFO(s.name);
    if (!prepare_lab(run, s)) return;
    ++scenarios;
    Diagnostics diags;
    Program prog = resolve(s.cluster, s.policies, ResolveOptions{}, diags);

    // Gateway: one ruleset in the node every pod's traffic is routed through.
    clear_rules(run);
    NftOptions gw;
    gw.dns_carve_out = s.dns_carve_out;
    if (load(run, run.lab->node_netns(), emit_nft(prog, s.cluster, gw))) probe_and_compare(run, s, "gateway");

    // Endpoint: each pod's own ruleset in its own namespace.
    clear_rules(run);
    bool loaded = true;
    for (size_t h = 0; h < run.ids.size() && loaded; ++h) {
      if (run.pod_of_host[h] < 0) continue;
      NftOptions ep;
      ep.target = Target::Endpoint;
      ep.endpoint_pod = size_t(run.pod_of_host[h]);
      ep.dns_carve_out = s.dns_carve_out;
      loaded = load(run, run.lab->host_netns(h), emit_nft(prog, s.cluster, ep));
    }
    if (loaded) probe_and_compare(run, s, "endpoint");
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("kernel: " << scenarios << " scenarios, " << run.probes << " probes (gateway + endpoint) in " << secs
                     << " s");
}
