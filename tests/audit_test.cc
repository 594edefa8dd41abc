// Audit mode and denied-flow logging on a real kernel: for the seed scenarios
// and a few upstream conformance cases, every probe is run twice through the
// gateway of a lab,
//   enforcing (--log-denied)   the probes the expectations deny time out, and
//                              the flows nflog reports are exactly those;
//   audit (--audit)            every probe passes, and the flows nflog reports
//                              are exactly the ones enforcing mode dropped, each
//                              from every side the reference evaluator says
//                              denies it, naming the policies that isolate it;
// read through the code path of `netpolc observe` (observe/nflog, flows), and
// the deny counters (`netpolc stats`) are non-zero exactly for the policies
// that denied something.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "compiler/resolve.h"
#include "observe/counters.h"
#include "tests/audit_run.h"

using namespace netpolc;
using namespace netpolc::test;

namespace {

// The scenarios: every seed scenario and a few conformance cases that deny on
// one side, on both, by several stacked policies, over UDP and to named ports.
std::vector<Scenario> scenarios() {
  std::vector<Scenario> out;
  for (const auto& f : fixture_files("fixtures/scenarios"))
    for (auto& s : load_seed_scenario(f)) out.push_back(std::move(s));
  for (const char* name :
       {"should-support-a-default-deny-all-policy", "should-work-with-ingress-egress-specified-together",
        "should-support-denying-of-egress-traffic-on-the-client-side-even-if-the-server-explicitly-allows-this-traffic",
        "should-enforce-multiple-stacked-policies-with-overlapping-podselectors", "udp-should-enforce-policy-based-on-ports",
        "should-allow-egress-access-on-one-named-port"})
    for (auto& s : load_e2e_case(std::string(NETPOLC_SOURCE_DIR) + "/fixtures/e2e/" + name + ".yaml"))
      out.push_back(std::move(s));
  return out;
}

std::string policy_name(const PolicySet& set, size_t i) {
  return set.policies[i].ns + "/" + set.policies[i].name;
}

}  // namespace

TEST_CASE("audit: audit mode reports exactly the flows enforcing mode drops, and every probe passes") {
  std::string why;
  if (!lab::lab_supported(&why)) {
    MESSAGE("SKIPPED LOUDLY: audit tests need network namespaces: " << why);
    return;
  }
  KernelRun run;
  size_t scenario_count = 0, denied = 0, probes = 0;
  auto started = std::chrono::steady_clock::now();
  for (const auto& s : scenarios()) {
    INFO(s.name);
    if (!prepare_lab(run, s)) return;
    ++scenario_count;
    Diagnostics diags;
    Program prog = resolve(s.cluster, s.policies, ResolveOptions{}, diags);
    Evaluator ev(s.cluster, s.policies);
    const ProbePlan plan = plan_probes(run, s);
    probes += plan.probes.size();

    // Enforcing, with --log-denied: what is dropped is what is reported.
    ReportedRun enforce = probe_with_reports(run, s, prog, plan.probes, false);
    std::set<FlowId> dropped;
    for (size_t i = 0; i < plan.probes.size(); ++i) {
      const Expectation& e = *plan.expected[i];
      bool ok = e.allow ? enforce.results[i].connected() : enforce.results[i].outcome == lab::ProbeOutcome::Timeout;
      CHECK_MESSAGE(ok, "enforcing: " << run.lab->describe(plan.probes[i]) << " expected " << verdict(e.allow)
                                      << ", got " << enforce.results[i].detail);
      if (!enforce.results[i].connected()) {
        Flow f = probe_flow(s, e);
        dropped.insert({f.src, f.dst, f.protocol, f.port});
      }
    }
    denied += dropped.size();
    CHECK_MESSAGE(reported(enforce.obs) == dropped,
                  "enforcing mode reported\n" << describe(reported(enforce.obs)) << "and dropped\n" << describe(dropped));
    CHECK(enforce.obs.audit_reports == 0);

    // Audit: everything passes; the reports are the drops, from every side
    // that denies, naming its isolating policies.
    ReportedRun audit = probe_with_reports(run, s, prog, plan.probes, true);
    for (size_t i = 0; i < plan.probes.size(); ++i)
      CHECK_MESSAGE(audit.results[i].connected(), "audit: " << run.lab->describe(plan.probes[i]) << " got "
                                                            << audit.results[i].detail);
    CHECK_MESSAGE(reported(audit.obs) == dropped,
                  "audit mode reported\n" << describe(reported(audit.obs)) << "and enforcing mode dropped\n"
                                          << describe(dropped));
    CHECK(audit.obs.enforce_reports == 0);
    observe::TableReports table = observe::table_reports(audit.table);
    CHECK(table.audit);
    std::set<std::string> denying_policies;
    std::set<std::pair<FlowId, Direction>> expected_sides, seen_sides;
    for (size_t i = 0; i < plan.probes.size(); ++i) {
      if (plan.expected[i]->allow) continue;
      Flow f = probe_flow(s, *plan.expected[i]);
      Verdict v = ev.evaluate(f);
      for (const SideVerdict* side : {&v.egress, &v.ingress})
        if (!side->allowed())
          expected_sides.insert({{f.src, f.dst, f.protocol, f.port},
                                 side == &v.egress ? Direction::Egress : Direction::Ingress});
    }
    for (const auto& flow : observe::name_flows(audit.obs, table, observe::snapshot_pods(s.cluster))) {
      seen_sides.insert({flow_id(flow.key), flow.key.denied_by});
      Flow f{flow.key.src, flow.key.dst, flow.key.protocol, flow.key.port.value_or(0)};
      Verdict v = ev.evaluate(f);
      const SideVerdict& side = flow.key.denied_by == Direction::Egress ? v.egress : v.ingress;
      std::vector<std::string> isolating;
      for (size_t p : side.isolating) isolating.push_back(policy_name(s.policies, p));
      std::sort(isolating.begin(), isolating.end());
      CHECK(flow.policies == isolating);
      CHECK(flow.pod == (flow.key.denied_by == Direction::Egress ? flow.src_pod : flow.dst_pod));
      CHECK(!flow.pod.empty());
      for (const auto& p : flow.policies) denying_policies.insert(p + " " + direction_name(flow.key.denied_by));
    }
    CHECK(seen_sides == expected_sides);

    // The counters: non-zero exactly for the policies (and directions) that denied.
    std::set<std::string> counted;
    for (const auto& c : observe::deny_counters(audit.table)) {
      if (c.packets > 0) counted.insert(c.policy + " " + direction_name(c.direction));
      CHECK((c.packets > 0) == (c.bytes > 0));
    }
    CHECK(counted == denying_policies);
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("audit: " << scenario_count << " scenarios, " << probes << " probes twice, " << denied
                    << " denied flows, in " << secs << " s");
}
