// verify's plan without a kernel: which hosts and probes, and what each must
// give.
#include "verify/plan.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "compiler/resolve.h"
#include "compiler/snapshot_parser.h"

using namespace netpolc;
using namespace netpolc::verify;

namespace {

struct Inputs {
  Cluster cluster;
  PolicySet policies;
  Program program;
};

Inputs load(const std::string& snapshot, const std::string& policies_yaml) {
  Inputs in;
  Diagnostics diags;
  SourceFiles sources;
  in.cluster = parse_snapshot(read_inputs({std::string(NETPOLC_SOURCE_DIR) + "/" + snapshot}, diags, sources), diags);
  in.policies = parse_policies({{"policies.yaml", policies_yaml}}, diags);
  in.program = resolve(in.cluster, in.policies, ResolveOptions{}, diags);
  REQUIRE_MESSAGE(!diags.has_errors(), format_diagnostics(diags, sources));
  return in;
}

const char kDenyOtherNamespaces[] = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-other-ns, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {}
)";

const PlannedProbe* find(const Plan& plan, const std::string& from, const std::string& to, L4 proto, uint16_t port,
                         Family f = Family::V4) {
  for (const auto* list : {&plan.probes, &plan.not_probed})
    for (const auto& p : *list)
      if (plan.spec.hosts[p.probe.from].id == from && plan.spec.hosts[p.probe.to].id == to && p.protocol == proto &&
          p.probe.port == port && p.probe.family == f)
        return &p;
  return nullptr;
}

}  // namespace

TEST_CASE("verify plan: --external values") {
  External e;
  std::string error;
  REQUIRE(parse_external("203.0.113.10:443/TCP,53/udp,80", &e, &error));
  CHECK(format_ip(e.addr) == "203.0.113.10");
  REQUIRE(e.ports.size() == 3);
  CHECK(e.ports[1].port == 53);
  CHECK(e.ports[1].protocol == Protocol::UDP);
  CHECK(e.ports[2].protocol == Protocol::TCP);
  REQUIRE(parse_external("[2001:db8::1]:8443/SCTP", &e, &error));
  CHECK(format_ip(e.addr) == "2001:db8::1");
  CHECK(e.ports[0].protocol == Protocol::SCTP);
  REQUIRE(parse_external("2001:db8::7", &e, &error));
  CHECK(e.ports.empty());
  REQUIRE(parse_external("198.51.100.7", &e, &error));
  CHECK(e.ports.empty());

  CHECK_FALSE(parse_external("example.com:80", &e, &error));
  CHECK(error.find("not an IP address") != std::string::npos);
  CHECK_FALSE(parse_external("[2001:db8::1:80", &e, &error));
  CHECK(error.find("no closing ]") != std::string::npos);
  CHECK_FALSE(parse_external("192.0.2.1:0", &e, &error));
  CHECK(error.find("bad port '0'") != std::string::npos);
  CHECK_FALSE(parse_external("192.0.2.1:80/ICMP", &e, &error));
  CHECK(error.find("bad protocol") != std::string::npos);
  CHECK_FALSE(parse_external("192.0.2.1:80,", &e, &error));
}

TEST_CASE("verify plan: every pair, family and declared port, with the evaluator's verdict") {
  Inputs in = load("fixtures/e2e/cluster.yaml", kDenyOtherNamespaces);
  Plan plan;
  std::string error;
  REQUIRE(make_plan(in.cluster, in.policies, in.program, {}, &plan, &error));
  REQUIRE(plan.spec.hosts.size() == 9);
  // 9 * 8 ordered pairs, 2 families, ICMP + 80/81 TCP and UDP; SCTP apart.
  CHECK(plan.probes.size() == 9 * 8 * 2 * 5);
  CHECK(plan.not_probed.size() == 9 * 8 * 2 * 2);
  const PlannedProbe* in_ns = find(plan, "x/a", "x/b", L4::TCP, 80);
  const PlannedProbe* cross = find(plan, "y/a", "x/b", L4::UDP, 81, Family::V6);
  const PlannedProbe* out = find(plan, "x/a", "y/b", L4::ICMP, 0);
  const PlannedProbe* sctp = find(plan, "z/c", "x/a", L4::SCTP, 80);
  REQUIRE((in_ns && cross && out && sctp));
  CHECK(in_ns->expect_allow);
  CHECK(in_ns->why == "allowed by x/deny-other-ns ingress[0]");
  CHECK_FALSE(cross->expect_allow);
  CHECK(cross->why == "denied: the ingress of x/b is isolated by x/deny-other-ns and no rule allows it");
  CHECK(out->expect_allow);
  CHECK(out->why == "allowed: neither end is isolated");
  CHECK_FALSE(sctp->expect_allow);
}

TEST_CASE("verify plan: external hosts, extra ports, the DNS carve-out") {
  const char policies[] = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: app}
spec:
  podSelector: {}
  policyTypes: [Egress]
)";
  Inputs in = load("fixtures/clusters/seeds-lab.yaml", policies);
  PlanOptions opt;
  External ext;
  std::string error;
  REQUIRE(parse_external("203.0.113.10:443", &ext, &error));
  opt.externals.push_back(ext);
  opt.extra_ports.push_back({"", 53, Protocol::UDP});
  opt.dns_carve_out = true;
  Plan plan;
  REQUIRE(make_plan(in.cluster, in.policies, in.program, opt, &plan, &error));
  CHECK(plan.pod_of_host.back() == -1);
  const PlannedProbe* https = find(plan, "app/web", "203.0.113.10", L4::TCP, 443);
  REQUIRE(https);
  CHECK_FALSE(https->expect_allow);
  CHECK(https->why == "denied: the egress of app/web is isolated by app/deny-egress and no rule allows it");
  // --ports adds 53/UDP everywhere; the carve-out lets pods reach the DNS on it.
  const PlannedProbe* dns = find(plan, "app/web", "kube-system/coredns-0", L4::UDP, 53);
  REQUIRE(dns);
  CHECK(dns->expect_allow);
  CHECK(dns->why == "allowed by --dns-carve-out cluster");
  const PlannedProbe* to_ext = find(plan, "app/web", "203.0.113.10", L4::UDP, 53);
  REQUIRE(to_ext);
  CHECK_FALSE(to_ext->expect_allow);

  SUBCASE("an external host that is a pod, or given twice, is an error") {
    opt.externals.push_back(ext);
    CHECK_FALSE(make_plan(in.cluster, in.policies, in.program, opt, &plan, &error));
    CHECK(error == "external host 203.0.113.10 is given twice");
    opt.externals.back().addr = *parse_ip("10.244.1.10");
    CHECK_FALSE(make_plan(in.cluster, in.policies, in.program, opt, &plan, &error));
    CHECK(error == "external host 10.244.1.10 is the address of a pod");
  }
}
