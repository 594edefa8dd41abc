// The rollout of issue 8 end to end on a real kernel, for the seed scenario
// of NP-12 (a default deny of all egress in namespace default):
//   1. the default deny is applied in audit mode (over netlink, as
//      `netpolc apply --audit` does) in the node of a lab;
//   2. the application's traffic runs: default/test reaches default/web on
//      80/TCP and kube-dns on 53/UDP and 53/TCP (suggest pins DNS to both
//      protocols, so the application resolves over both);
//   3. nflog is read through the code path of `netpolc observe` into the
//      ObservedFlows JSON that `observe --output json` writes;
//   4. `netpolc suggest --from-observed` (its library calls) turns it into
//      NetworkPolicy YAML, read back by the policy parser;
//   5. the default deny and the suggestion are applied enforcing, and every
//      probe the scenario declares runs: the observed flows pass, every other
//      flow the default deny denies stays denied, the flows it allowed stay
//      allowed, and the reference evaluator agrees with every probe.
#include <doctest/doctest.h>

#include <chrono>
#include <set>

#include "compiler/policy_parser.h"
#include "compiler/resolve.h"
#include "suggest/suggestion_yaml.h"
#include "tests/audit_run.h"

using namespace netpolc;
using namespace netpolc::test;

namespace {

struct AppFlow {
  const char* from;
  const char* to;
  L4 protocol;
  uint16_t port;
};

// The application's flows: a subset of the scenario's probes.
constexpr AppFlow kApplication[] = {
    {"default/test", "default/web", L4::TCP, 80},
    {"default/test", "kube-system/coredns-0", L4::UDP, 53},
    {"default/test", "kube-system/coredns-0", L4::TCP, 53},
};

bool in_application(const Expectation& e) {
  for (const AppFlow& a : kApplication)
    if (e.from == a.from && e.to == a.to && e.protocol == a.protocol && e.port == a.port && e.family == Family::V4)
      return true;
  return false;
}

}  // namespace

TEST_CASE("rollout: audit, observe, suggest, enforce: observed flows pass, the rest stays denied") {
  std::string why;
  if (!lab::lab_supported(&why)) {
    MESSAGE("SKIPPED LOUDLY: the rollout test needs network namespaces: " << why);
    return;
  }
  auto started = std::chrono::steady_clock::now();
  auto loaded = load_seed_scenario(std::string(NETPOLC_SOURCE_DIR) + "/fixtures/scenarios/np12-default-deny.yaml");
  REQUIRE(loaded.size() == 1);
  const Scenario& s = loaded[0];
  KernelRun run;
  REQUIRE(prepare_lab(run, s));
  Diagnostics diags;
  Program before = resolve(s.cluster, s.policies, ResolveOptions{}, diags);
  const ProbePlan plan = plan_probes(run, s);

  // 1-2. Audit mode while the application runs: all of it passes.
  std::vector<lab::Probe> traffic;
  std::set<FlowId> application;
  for (size_t i = 0; i < plan.probes.size(); ++i) {
    if (!in_application(*plan.expected[i])) continue;
    REQUIRE_MESSAGE(!plan.expected[i]->allow, "the default deny must deny " << plan.expected[i]->where);
    traffic.push_back(plan.probes[i]);
    Flow f = probe_flow(s, *plan.expected[i]);
    application.insert({f.src, f.dst, f.protocol, f.port});
  }
  REQUIRE(traffic.size() == std::size(kApplication));
  ReportedRun audit = probe_with_reports(run, s, before, traffic, true);
  for (size_t i = 0; i < traffic.size(); ++i)
    CHECK_MESSAGE(audit.results[i].connected(),
                  "audit: " << run.lab->describe(traffic[i]) << " got " << audit.results[i].detail);
  CHECK_MESSAGE(reported(audit.obs) == application,
                "audit mode reported\n" << describe(reported(audit.obs)) << "for the application's\n"
                                        << describe(application));

  // 3. The ObservedFlows JSON, as `netpolc observe --output json` writes it.
  observe::TableReports table = observe::table_reports(audit.table);
  auto named = observe::name_flows(audit.obs, table, observe::snapshot_pods(s.cluster));
  const std::string json = observe::flows_json(named, observe::mode_name(audit.obs, table));
  INFO("flows.json:\n", json);

  // 4. suggest --from-observed flows.json, read back as policies.
  auto flows = suggest::read_observed_flows({"flows.json", json}, diags);
  REQUIRE(flows);
  CHECK(flows->mode == "audit");
  CHECK(flows->flows.size() == application.size());
  suggest::Suggestion suggestion = suggest::suggest_policies(s.cluster, s.policies, *flows, {}, diags);
  const std::string yaml = suggest::suggestion_yaml(suggestion, {});
  INFO("allow.yaml:\n", yaml);
  PolicySet after = suggest::with_suggested(s.policies, parse_policies({{"allow.yaml", yaml}}, diags));
  REQUIRE_MESSAGE(!diags.has_errors(), format_diagnostics(diags, SourceFiles{}));
  CHECK(suggestion.used == application.size());
  CHECK(suggestion.skipped == 0);
  Program enforced = resolve(s.cluster, after, ResolveOptions{}, diags);

  // 5. Enforcing (with --log-denied): every probe the scenario declares.
  ReportedRun enforce = probe_with_reports(run, s, enforced, plan.probes, false);
  Evaluator ev(s.cluster, after);
  std::set<FlowId> denied;
  size_t opened = 0;
  for (size_t i = 0; i < plan.probes.size(); ++i) {
    const Expectation& e = *plan.expected[i];
    Flow f = probe_flow(s, e);
    FlowId id{f.src, f.dst, f.protocol, f.port};
    bool observed = application.count(id) > 0;
    bool want = e.allow || observed;
    opened += observed;
    bool passed = enforce.results[i].connected();
    if (!passed) denied.insert(id);
    CHECK_MESSAGE(passed == want, "enforcing: " << run.lab->describe(plan.probes[i]) << " ("
                                                << std::string(observed ? "observed" : "not observed") << ") expected "
                                                << verdict(want) << ", got " << enforce.results[i].detail);
    CHECK_MESSAGE(ev.evaluate(f).allowed == passed,
                  "the evaluator disagrees with the kernel on " << run.lab->describe(plan.probes[i]));
  }
  CHECK(opened == application.size());
  CHECK_MESSAGE(reported(enforce.obs) == denied,
                "enforcing mode reported\n" << describe(reported(enforce.obs)) << "and dropped\n" << describe(denied));
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("rollout: " << traffic.size() << " flows observed in audit mode, " << suggestion.policies.size()
                      << " policies suggested, " << plan.probes.size() << " probes enforcing (" << denied.size()
                      << " stay denied), in " << secs << " s");
}
