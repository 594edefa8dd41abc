// Kernel tests of `netpolc verify`: a seed scenario (with hosts outside the
// cluster) and an upstream e2e case pass, in gateway and endpoint mode; a
// deliberately broken ruleset is caught; the lab is gone afterwards.
#include "verify/verify.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "cli/verify_iptables.h"
#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "compiler/resolve.h"
#include "compiler/snapshot_parser.h"
#include "lab/cleanup.h"
#include "lab/lab.h"
#include "tests/scenario.h"

using namespace netpolc;

namespace {

std::string root() { return NETPOLC_SOURCE_DIR; }

bool kernel_supported() {
  std::string why;
  if (lab::lab_supported(&why)) return true;
  MESSAGE("SKIPPED LOUDLY: verify tests need network namespaces: " << why);
  return false;
}

// Every host outside the cluster a scenario probes, with the ports it probes.
std::vector<verify::External> externals_of(const test::Scenario& s) {
  std::map<IpAddr, verify::External> out;
  for (const auto& e : s.expectations) {
    auto ip = parse_ip(e.to);
    if (!ip) continue;
    verify::External& x = out[*ip];
    x.addr = *ip;
    if (e.protocol == L4::TCP || e.protocol == L4::UDP)
      x.ports.push_back({"", e.port, e.protocol == L4::TCP ? Protocol::TCP : Protocol::UDP});
  }
  std::vector<verify::External> v;
  for (auto& [ip, x] : out) v.push_back(x);
  return v;
}

verify::Result run(const test::Scenario& s, bool endpoint, bool broken = false, bool iptables = false) {
  Diagnostics diags;
  Program prog = resolve(s.cluster, s.policies, ResolveOptions{}, diags);
  verify::Options opt;
  if (iptables) opt.load_rules = iptables_loader(prog, s.cluster);
  opt.plan.externals = externals_of(s);
  opt.nft.dns_carve_out = s.dns_carve_out;
  opt.endpoint_mode = endpoint;
  opt.break_rules = broken;
  verify::Result r;
  bool ran = verify::run(s.cluster, s.policies, prog, opt, &r, diags);
  INFO(format_diagnostics(diags, SourceFiles{}));
  REQUIRE(ran);
  return r;
}

size_t lab_namespaces_left() {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec))
    if (e.path().filename().string().rfind(lab::netns_prefix(), 0) == 0) ++n;
  return n;
}

}  // namespace

TEST_CASE("verify: the seeds' zero-trust scenario passes, gateway and endpoint") {
  if (!kernel_supported()) return;
  auto scenarios = test::load_seed_scenario(root() + "/fixtures/scenarios/zero-trust.yaml");
  for (bool endpoint : {false, true}) {
    INFO(std::string(endpoint ? "endpoint" : "gateway"));
    verify::Result r = run(scenarios[0], endpoint);
    INFO(verify::text_report(r));
    CHECK(r.ok);
    CHECK(r.externals == 3);
    CHECK(r.probed > 500);
    CHECK(r.matched == r.probed);
  }
  CHECK(lab_namespaces_left() == 0);
}

TEST_CASE("verify: -b iptables loads iptables and ip6tables rules instead, gateway and endpoint") {
  if (!kernel_supported()) return;
  auto scenarios = test::load_seed_scenario(root() + "/fixtures/scenarios/zero-trust.yaml");
  for (bool endpoint : {false, true}) {
    INFO(std::string(endpoint ? "endpoint" : "gateway"));
    verify::Result r = run(scenarios[0], endpoint, false, true);
    INFO(verify::text_report(r));
    CHECK(r.ok);
    CHECK(r.matched == r.probed);
  }
  CHECK(lab_namespaces_left() == 0);
}

TEST_CASE("verify: an upstream e2e case passes, gateway and endpoint") {
  if (!kernel_supported()) return;
  auto steps = test::load_e2e_case(
      root() + "/fixtures/e2e/should-enforce-policy-based-on-multiple-podselectors-and-namespaceselectors.yaml");
  for (bool endpoint : {false, true}) {
    verify::Result r = run(steps[0], endpoint);
    INFO(verify::text_report(r));
    CHECK(r.ok);
    CHECK(r.pods == 9);
    CHECK(r.not_probed.size() == 9 * 8 * 2 * 2);  // SCTP 80 and 81, both families
  }
}

TEST_CASE("verify: named ports on egress peers, as an address . port set and as peers on a port, gateway and endpoint") {
  if (!kernel_supported()) return;
  test::Scenario s;
  Diagnostics diags;
  SourceFiles sources;
  s.cluster = parse_snapshot(read_inputs({root() + "/fixtures/clusters/seeds-lab.yaml"}, diags, sources), diags);
  s.policies = parse_policies(read_inputs({root() + "/fixtures/cases/named-ports.yaml"}, diags, sources), diags);
  REQUIRE_FALSE(diags.has_errors());
  for (bool endpoint : {false, true}) {
    INFO(std::string(endpoint ? "endpoint" : "gateway"));
    verify::Result r = run(s, endpoint);
    INFO(verify::text_report(r));
    CHECK(r.ok);
    CHECK(r.probed > 400);  // 16 pods, every declared port
    CHECK(r.matched == r.probed);
  }
  CHECK(lab_namespaces_left() == 0);
}

TEST_CASE("verify: a ruleset that does not do what the policies say is caught") {
  if (!kernel_supported()) return;
  auto scenarios = test::load_seed_scenario(root() + "/fixtures/scenarios/zero-trust.yaml");
  verify::Result r = run(scenarios[0], false, true);
  CHECK_FALSE(r.ok);
  REQUIRE_FALSE(r.differences.empty());
  for (const auto& d : r.differences) {
    CHECK(d.planned.expect_allow);  // allowing rules drop now
    CHECK(d.got.outcome == lab::ProbeOutcome::Timeout);
  }
  std::string text = verify::text_report(r);
  CHECK(text.find("app/checkout -> 203.0.113.10 tcp/443 v4: expected allow (allowed by "
                  "app/allow-egress-payments egress[0]), got timeout") != std::string::npos);
  std::string json = verify::json_report(r);
  CHECK(json.find("\"ok\": false") != std::string::npos);
  CHECK(json.find("\"from\": \"app/checkout\", \"to\": \"203.0.113.10\"") != std::string::npos);
  CHECK(lab_namespaces_left() == 0);
}

TEST_CASE("verify: a lab that cannot be built is an error, and leaves nothing behind") {
  if (!kernel_supported()) return;
  auto scenarios = test::load_seed_scenario(root() + "/fixtures/scenarios/zero-trust.yaml");
  test::Scenario s = scenarios[0];
  Diagnostics diags;
  Program prog = resolve(s.cluster, s.policies, ResolveOptions{}, diags);
  verify::Options opt;
  verify::External far;
  far.addr = *parse_ip("8.8.8.8");  // outside the lab's address ranges
  opt.plan.externals.push_back(far);
  verify::Result r;
  CHECK_FALSE(verify::run(s.cluster, s.policies, prog, opt, &r, diags));
  CHECK(format_diagnostics(diags, SourceFiles{}).find("cannot build the lab") != std::string::npos);
  CHECK(lab_namespaces_left() == 0);
}
