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

#include "backends/nft_text.h"
#include "compiler/program_eval.h"
#include "compiler/resolve.h"
#include "lab/lab.h"
#include "tests/kernel_run.h"
#include "tests/matrix_verdicts.h"
#include "tests/scenario.h"

using namespace netpolc;
using namespace netpolc::test;

namespace {

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

}  // namespace

TEST_CASE("kernel: compiled nft rules enforce every expectation in a lab of network namespaces") {
  run_scenarios("nft gateway + endpoint", [](KernelRun& run, const Scenario& s, const Program& prog) {
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
  });
}
