// Kernel test of `netpolc suggest`: the suggestion for the flows observed
// under NP-12's complete lockdown, added to the policies in force, compiled
// and loaded into a lab of network namespaces (verify/): every observed flow
// connects for real, and the probes that the policies in force deny and the
// suggestion lets through are exactly the observed ones (DNS: both
// protocols, as pinned), in the gateway and the endpoint target. Observing
// the flows in audit mode is the audit branch's part of issue 8.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "compiler/resolve.h"
#include "compiler/snapshot_parser.h"
#include "lab/lab.h"
#include "suggest/suggestion_yaml.h"
#include "verify/verify.h"

using namespace netpolc;

TEST_CASE("verify: a suggestion enforced in a lab lets the observed flows through and opens nothing else") {
  std::string why;
  if (!lab::lab_supported(&why)) {
    MESSAGE("SKIPPED LOUDLY: the suggest lab test needs network namespaces: " << why);
    return;
  }
  const std::string root = NETPOLC_SOURCE_DIR;
  Diagnostics diags;
  SourceFiles sources;
  Cluster cluster = parse_snapshot(read_inputs({root + "/fixtures/clusters/seeds-lab.yaml"}, diags, sources), diags);
  PolicySet before = parse_policies(read_inputs({root + "/fixtures/seeds/np12-complete-lockdown.yaml"}, diags, sources), diags);
  auto files = read_inputs({root + "/fixtures/suggest/lockdown.json"}, diags, sources);
  REQUIRE(files.size() == 1);
  auto flows = suggest::read_observed_flows(files[0], diags);
  suggest::Suggestion s = suggest::suggest_policies(cluster, before, *flows, {}, diags);
  std::string yaml = suggest::suggestion_yaml(s, {});
  PolicySet after = suggest::with_suggested(before, parse_policies({{"suggestion.yaml", yaml}}, diags));
  INFO(format_diagnostics(diags, sources));
  REQUIRE_FALSE(diags.has_errors());
  Program prog = resolve(cluster, after, ResolveOptions{}, diags);

  verify::Options opt;
  for (const char* ip : {"192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13"})
    opt.plan.externals.push_back({*parse_ip(ip), {{"", 443, Protocol::TCP}, {"", 8443, Protocol::TCP}}});

  // The plan's probes against the observed flows, by pod (either family) or address.
  verify::Plan plan;
  REQUIRE(verify::make_plan(cluster, after, prog, opt.plan, &plan, &why));
  Evaluator ev_before(cluster, before);
  auto end_of = [&](const IpAddr& ip) {
    long pod = ev_before.pod_by_ip(ip);
    return pod >= 0 ? cluster.pods[size_t(pod)].ns + "/" + cluster.pods[size_t(pod)].name : format_ip(ip);
  };
  std::set<std::tuple<std::string, std::string, L4, uint16_t>> observed, probed_open;
  for (const auto& f : flows->flows) observed.insert({end_of(f.src.ip), end_of(f.dst.ip), f.protocol, f.port});
  size_t opened = 0;
  for (const auto& p : plan.probes) {
    if (!p.expect_allow || p.protocol == L4::ICMP) continue;
    const auto& from = plan.spec.hosts[p.probe.from].ips;
    const auto& to = plan.spec.hosts[p.probe.to].ips;
    auto src = std::find_if(from.begin(), from.end(), [&](const IpAddr& a) { return a.family == p.probe.family; });
    auto dst = std::find_if(to.begin(), to.end(), [&](const IpAddr& a) { return a.family == p.probe.family; });
    REQUIRE((src != from.end() && dst != to.end()));
    if (ev_before.evaluate({*src, *dst, p.protocol, p.probe.port}).allowed) continue;
    ++opened;
    auto key = std::tuple{end_of(*src), end_of(*dst), p.protocol, p.probe.port};
    probed_open.insert(key);
    bool dns_twin = std::get<1>(key) == "kube-system/coredns-0" && p.probe.port == 53 &&
                    observed.count({std::get<0>(key), std::get<1>(key), L4::UDP, 53});
    INFO("opened without being observed: ", std::get<0>(key), " -> ", std::get<1>(key), " ", p.probe.port);
    CHECK((observed.count(key) || dns_twin));
  }
  for (const auto& o : observed) {
    INFO("observed but not probed open: ", std::get<0>(o), " -> ", std::get<1>(o), " ", std::get<3>(o));
    CHECK(probed_open.count(o));
  }
  // The 9 observed flows, DNS to kube-dns over TCP too, and default/test ->
  // default/web over IPv6 too (both pods are dual-stack).
  CHECK(observed.size() == 9);
  CHECK(opened == 11);

  for (bool endpoint : {false, true}) {
    INFO((endpoint ? "endpoint" : "gateway"));
    opt.endpoint_mode = endpoint;
    verify::Result r;
    REQUIRE(verify::run(cluster, after, prog, opt, &r, diags));
    INFO(verify::text_report(r));
    CHECK(r.ok);
    CHECK(r.matched == r.probed);
    CHECK(r.probed == plan.probes.size());
  }
}
