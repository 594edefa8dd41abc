#include "review/flow_diff.h"

#include <doctest/doctest.h>

#include "review/test_world.h"

using namespace netpolc;
using namespace netpolc::review;
using netpolc::review::test::make_world;

namespace {

const char* kCluster = R"(
apiVersion: netpolc/v1
kind: Inventory
namespaces: {default: {}, kube-system: {}}
pods:
  kube-system/coredns:
    labels: {k8s-app: kube-dns}
    ips: [10.0.0.10]
    ports: ["dns=53/UDP", "dns-tcp=53/TCP"]
  default/foo:
    labels: {app: foo}
    ips: [10.0.1.1]
  default/web:
    labels: {app: web}
    ips: [10.0.1.2]
    ports: ["http=80/TCP"]
)";

const char* kDenyEgress = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: foo-deny-egress}
spec:
  podSelector: {matchLabels: {app: foo}}
  policyTypes: [Egress]
)";

const char* kDenyEgressDns = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: foo-deny-egress}
spec:
  podSelector: {matchLabels: {app: foo}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
)";

FlowDiff diff(const std::string& before, const std::string& after) {
  auto a = make_world(kCluster, before), b = make_world(kCluster, after);
  DiffOptions opt;
  opt.compiled = false;
  return diff_flows({&a->cluster, &a->policies}, {&b->cluster, &b->policies}, opt);
}

}  // namespace

TEST_CASE("the same policies change no flow") {
  FlowDiff d = diff(kDenyEgress, kDenyEgress);
  CHECK_FALSE(d.changed());
  CHECK(d.groups.empty());
  CHECK(d.compared > 0);
}

TEST_CASE("re-allowing DNS: two flows become allowed, decided by the DNS rule") {
  FlowDiff d = diff(kDenyEgress, kDenyEgressDns);
  CHECK(d.allowed == 2);
  CHECK(d.denied == 0);
  REQUIRE(d.groups.size() == 1);
  CHECK(d.groups[0].allowed);
  CHECK(d.groups[0].reason == "egress allowed by default/foo-deny-egress egress[0]");
  REQUIRE(d.groups[0].lines.size() == 1);
  CHECK(d.groups[0].lines[0].from == "default/foo");
  CHECK(d.groups[0].lines[0].to == "kube-system/coredns");
  CHECK(d.groups[0].lines[0].ports == "53/TCP, 53/UDP");
}

TEST_CASE("isolating a pod denies its flows, to pods and to outside addresses, named by policy") {
  FlowDiff d = diff("", kDenyEgress);
  CHECK(d.allowed == 0);
  REQUIRE(d.groups.size() == 1);
  CHECK_FALSE(d.groups[0].allowed);
  CHECK(d.groups[0].reason == "egress denied: no rule of default/foo-deny-egress allows it");
  // foo -> coredns on 53/TCP, 53/UDP; foo -> web on 80/TCP; foo -> outside addresses
  // on every probed port (TCP, UDP, SCTP other ports and ICMP).
  CHECK(d.denied == 3 + 4);
  bool outside = false;
  for (const auto& l : d.groups[0].lines) outside = outside || (l.to == "other addresses" && l.ports == "every port and protocol");
  CHECK(outside);
}

TEST_CASE("lifting isolation names the side that is no longer isolated") {
  FlowDiff d = diff(kDenyEgress, "");
  REQUIRE_FALSE(d.groups.empty());
  CHECK(d.groups[0].allowed);
  CHECK(d.groups[0].reason == "egress no longer isolated");
}
