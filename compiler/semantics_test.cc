// The semantic rules of NetworkPolicy, one test each, checked twice: by the
// reference evaluator (the API text) and by the resolved program (what the
// backends emit). The two must agree on every flow.
#include <doctest/doctest.h>

#include <string>

#include "compiler/evaluator.h"
#include "compiler/policy_parser.h"
#include "compiler/program_eval.h"
#include "compiler/resolve.h"
#include "compiler/snapshot_parser.h"

using namespace netpolc;

namespace {

const char* kCluster = R"(
apiVersion: netpolc/v1
kind: Inventory
namespaces:
  x: {ns: x}
  y: {ns: "y", team: blue}
pods:
  x/a:
    labels: {pod: a, app: web}
    ips: [10.0.1.1, "fd00::1:1"]
    ports: ["http=80/TCP", "dns=53/UDP"]
  x/b:
    labels: {pod: b}
    ips: [10.0.1.2, "fd00::1:2"]
  y/a:
    labels: {pod: a, app: web}
    ips: [10.0.2.1, "fd00::2:1"]
    ports: ["http=8080/TCP"]
  y/b:
    labels: {pod: b}
    ips: [10.0.2.2, "fd00::2:2"]
  y/host:
    labels: {pod: host}
    ips: [10.0.9.9]
    hostNetwork: true
)";

struct World {
  Cluster cluster;
  PolicySet policies;
  Program program;
};

World world(const std::string& policies) {
  World w;
  Diagnostics diags;
  w.cluster = parse_snapshot({{"cluster.yaml", kCluster}}, diags);
  w.policies = parse_policies({{"policies.yaml", policies}}, diags);
  w.program = resolve(w.cluster, w.policies, ResolveOptions{}, diags);
  SourceFiles sources;
  sources.add("policies.yaml", policies);
  sources.add("cluster.yaml", kCluster);
  INFO(format_diagnostics(diags, sources));
  REQUIRE_FALSE(diags.has_errors());
  return w;
}

IpAddr address_of(const World& w, const std::string& who, Family f) {
  if (auto ip = parse_ip(who)) return *ip;
  for (const auto& p : w.cluster.pods)
    if (p.ns + "/" + p.name == who)
      for (const auto& ip : p.ips)
        if (ip.family == f) return ip;
  FAIL("no address for " << who);
  return {};
}

// "80/TCP", "53/UDP", "ICMP".
Flow flow(const World& w, const std::string& from, const std::string& to, const std::string& port,
          Family f = Family::V4) {
  Flow fl{address_of(w, from, f), address_of(w, to, f), L4::ICMP, 0};
  if (port != "ICMP") {
    auto slash = port.find('/');
    fl.port = uint16_t(std::stoi(port.substr(0, slash)));
    std::string proto = port.substr(slash + 1);
    fl.protocol = proto == "TCP" ? L4::TCP : proto == "UDP" ? L4::UDP : L4::SCTP;
  }
  return fl;
}

// Whether the flow is allowed, after checking that the evaluator and the
// compiled program agree on it, for IPv4 and (between pods, unless the rules
// name IPv4 addresses) IPv6 alike.
bool allowed(const World& w, const std::string& from, const std::string& to, const std::string& port,
             bool same_for_ipv6 = true) {
  Evaluator ev(w.cluster, w.policies);
  bool v4 = ev.evaluate(flow(w, from, to, port)).allowed;
  INFO(from << " -> " << to << " " << port);
  CHECK(program_allows(w.program, flow(w, from, to, port)) == v4);
  if (same_for_ipv6 && !parse_ip(from) && !parse_ip(to)) {
    Flow f6 = flow(w, from, to, port, Family::V6);
    CHECK(ev.evaluate(f6).allowed == v4);
    CHECK(program_allows(w.program, f6) == v4);
  }
  return v4;
}

const char* kExternal = "192.0.2.10";

}  // namespace

TEST_CASE("without policies every flow is allowed") {
  World w = world("");
  CHECK(allowed(w, "x/a", "y/b", "80/TCP"));
  CHECK(allowed(w, "y/b", kExternal, "ICMP"));
  CHECK(w.program.chains.empty());
}

TEST_CASE("egress: [] without policyTypes isolates ingress only") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  egress: []
)");
  CHECK(allowed(w, "x/a", kExternal, "80/TCP"));  // egress not isolated
  CHECK(allowed(w, "x/a", "y/b", "80/TCP"));
  CHECK_FALSE(allowed(w, "x/b", "x/a", "80/TCP"));  // ingress isolated, nothing allowed
  CHECK_FALSE(allowed(w, kExternal, "x/a", "ICMP"));
}

TEST_CASE("egress rules without policyTypes isolate both directions") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  egress:
  - to: [{podSelector: {matchLabels: {pod: b}}}]
)");
  CHECK(allowed(w, "x/a", "x/b", "80/TCP"));
  CHECK_FALSE(allowed(w, "x/a", "y/b", "80/TCP"));
  CHECK_FALSE(allowed(w, "x/b", "x/a", "80/TCP"));
}

TEST_CASE("policyTypes Egress with egress: [] denies all egress and leaves ingress open") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: []
)");
  CHECK_FALSE(allowed(w, "x/a", "x/b", "80/TCP"));
  CHECK_FALSE(allowed(w, "x/a", kExternal, "53/UDP"));
  CHECK_FALSE(allowed(w, "x/b", kExternal, "ICMP"));
  CHECK(allowed(w, "y/a", "x/a", "80/TCP"));
  CHECK(allowed(w, "y/a", "y/b", "80/TCP"));
}

TEST_CASE("a podSelector peer alone selects pods of the policy's namespace") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
)");
  CHECK(allowed(w, "x/b", "x/a", "80/TCP"));
  CHECK_FALSE(allowed(w, "y/b", "x/a", "80/TCP"));
}

TEST_CASE("a namespaceSelector peer alone selects every pod of the namespaces") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: "y"}}}]
)");
  CHECK(allowed(w, "y/a", "x/a", "80/TCP"));
  CHECK(allowed(w, "y/b", "x/a", "80/TCP"));
  CHECK_FALSE(allowed(w, "x/b", "x/a", "80/TCP"));
}

TEST_CASE("namespaceSelector and podSelector in one peer are ANDed") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: "y"}}
      podSelector: {matchLabels: {pod: b}}
)");
  CHECK(allowed(w, "y/b", "x/a", "80/TCP"));
  CHECK_FALSE(allowed(w, "y/a", "x/a", "80/TCP"));
  CHECK_FALSE(allowed(w, "x/b", "x/a", "80/TCP"));
}

TEST_CASE("separate peers are ORed") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {ns: "y"}}
    - podSelector: {matchLabels: {pod: b}}
)");
  CHECK(allowed(w, "y/b", "x/a", "80/TCP"));
  CHECK(allowed(w, "y/a", "x/a", "80/TCP"));
  CHECK(allowed(w, "x/b", "x/a", "80/TCP"));
  CHECK_FALSE(allowed(w, kExternal, "x/a", "80/TCP"));
}

TEST_CASE("an ipBlock matches its cidr minus its excepts, pods included") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/16, except: [10.0.2.2/32]}
    - ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.0/28]}
)");
  CHECK(allowed(w, "x/a", "y/a", "80/TCP", false));
  CHECK_FALSE(allowed(w, "x/a", "y/b", "80/TCP"));
  CHECK_FALSE(allowed(w, "x/a", "fd00::2:1", "80/TCP"));  // IPv4 blocks say nothing of IPv6
  CHECK_FALSE(allowed(w, "x/a", kExternal, "80/TCP"));  // 192.0.2.10 is in the except
  CHECK(allowed(w, "x/a", "192.0.2.100", "ICMP"));
  CHECK_FALSE(allowed(w, "x/a", "198.51.100.1", "80/TCP"));
}

TEST_CASE("an empty from or to matches every address") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress, Egress]
  ingress:
  - ports: [{port: 80}]
  egress:
  - to: []
    ports: [{port: 443}]
)");
  CHECK(allowed(w, kExternal, "x/a", "80/TCP"));
  CHECK(allowed(w, "y/b", "x/a", "80/TCP"));
  CHECK_FALSE(allowed(w, "y/b", "x/a", "81/TCP"));
  CHECK(allowed(w, "x/a", kExternal, "443/TCP"));
  CHECK_FALSE(allowed(w, "x/a", kExternal, "80/TCP"));
}

TEST_CASE("an ingress named port resolves on the selected pod") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: "y"}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: http}]
)");
  CHECK(allowed(w, "x/b", "y/a", "8080/TCP"));  // y/a declares http=8080
  CHECK_FALSE(allowed(w, "x/b", "y/a", "80/TCP"));
  CHECK_FALSE(allowed(w, "x/b", "y/b", "8080/TCP"));  // y/b declares no http
}

TEST_CASE("an egress named port resolves on the destination peer") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: b}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {}}]
    ports: [{port: http}, {port: dns, protocol: UDP}]
)");
  CHECK(allowed(w, "x/b", "x/a", "80/TCP"));
  CHECK(allowed(w, "x/b", "y/a", "8080/TCP"));
  CHECK_FALSE(allowed(w, "x/b", "y/a", "80/TCP"));
  CHECK(allowed(w, "x/b", "x/a", "53/UDP"));
  CHECK_FALSE(allowed(w, "x/b", "x/a", "53/TCP"));  // dns is declared for UDP only
  CHECK_FALSE(allowed(w, "x/b", kExternal, "80/TCP"));
}

TEST_CASE("endPort allows the inclusive range") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - ports: [{port: 8000, endPort: 8010}]
)");
  CHECK_FALSE(allowed(w, "x/b", "x/a", "7999/TCP"));
  CHECK(allowed(w, "x/b", "x/a", "8000/TCP"));
  CHECK(allowed(w, "x/b", "x/a", "8010/TCP"));
  CHECK_FALSE(allowed(w, "x/b", "x/a", "8011/TCP"));
  CHECK_FALSE(allowed(w, "x/b", "x/a", "8005/UDP"));
}

TEST_CASE("protocol defaults to TCP and a port-less entry covers every port of its protocol") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - ports: [{port: 53}, {protocol: SCTP}]
)");
  CHECK(allowed(w, "x/b", "x/a", "53/TCP"));
  CHECK_FALSE(allowed(w, "x/b", "x/a", "53/UDP"));
  CHECK(allowed(w, "x/b", "x/a", "9003/SCTP"));
  CHECK(allowed(w, "x/b", "x/a", "1/SCTP"));
  CHECK_FALSE(allowed(w, "x/b", "x/a", "ICMP"));
}

TEST_CASE("a rule without ports allows every protocol, ICMP included") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
)");
  CHECK(allowed(w, "x/b", "x/a", "ICMP"));
  CHECK(allowed(w, "x/b", "x/a", "5353/UDP"));
  CHECK(allowed(w, "x/b", "x/a", "9005/SCTP"));
}

TEST_CASE("matchExpressions operators select as apimachinery does") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector:
    matchExpressions: [{key: app, operator: DoesNotExist}]
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [blue, red]}]}
      podSelector: {matchExpressions: [{key: pod, operator: NotIn, values: [a]}]}
    - podSelector: {matchExpressions: [{key: app, operator: Exists}]}
)");
  CHECK(allowed(w, "y/b", "x/b", "80/TCP"));        // team In, pod NotIn
  CHECK_FALSE(allowed(w, "y/a", "x/b", "80/TCP"));  // pod a is excluded by NotIn
  CHECK(allowed(w, "x/a", "x/b", "80/TCP"));        // app Exists, same namespace
  CHECK(allowed(w, "y/b", "x/a", "80/TCP"));        // x/a has app: not selected, not isolated
}

TEST_CASE("several policies selecting a pod are ORed") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-y-80, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: "y"}}}]
    ports: [{port: 80}]
)");
  CHECK(allowed(w, "x/b", "x/a", "81/TCP"));
  CHECK(allowed(w, "y/a", "x/a", "80/TCP"));
  CHECK_FALSE(allowed(w, "y/a", "x/a", "81/TCP"));
  CHECK_FALSE(allowed(w, "x/a", "x/b", "80/TCP"));  // deny-all still isolates x/b
}

TEST_CASE("a connection needs the source's egress AND the destination's ingress") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress, namespace: x}
spec:
  podSelector: {matchLabels: {pod: b}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {ns: "y"}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ingress, namespace: "y"}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {}}]
)");
  CHECK(allowed(w, "x/b", "y/b", "80/TCP"));        // egress allows, y/b not isolated
  CHECK_FALSE(allowed(w, "x/b", "y/a", "80/TCP"));  // egress allows, ingress does not
  CHECK(allowed(w, "y/b", "y/a", "80/TCP"));        // same namespace
  CHECK_FALSE(allowed(w, "x/b", "x/a", "80/TCP"));  // egress does not allow
}

TEST_CASE("hostNetwork pods are neither isolated nor selected as peers") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: "y"}
spec:
  podSelector: {}
  ingress:
  - from: [{podSelector: {}}]
)");
  CHECK(allowed(w, "y/b", "y/a", "80/TCP"));
  CHECK_FALSE(allowed(w, "10.0.9.9", "y/a", "80/TCP"));  // the hostNetwork pod's (node) address
  CHECK(allowed(w, "x/a", "10.0.9.9", "80/TCP"));
}

TEST_CASE("a pod always reaches itself") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
)");
  Evaluator ev(w.cluster, w.policies);
  Verdict v = ev.evaluate(flow(w, "x/a", "x/a", "80/TCP"));
  CHECK(v.allowed);
  CHECK(v.loopback);
  CHECK_FALSE(allowed(w, "x/a", "x/b", "80/TCP"));
}

TEST_CASE("pods isolated by the same rules share one chain") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from: [{podSelector: {}}]
)");
  REQUIRE(w.program.chains.size() == 1);
  CHECK(w.program.chains[0].pods.size() == 2);
  CHECK(w.program.ingress.size() == 4);  // two pods, dual-stack
}

TEST_CASE("ingress named ports give pods with different numbers different chains") {
  World w = world(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: "y"}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: http}]
)");
  CHECK(w.program.chains.size() == 2);  // y/a has http=8080, y/b has none
}

TEST_CASE("a policy selecting a hostNetwork pod gets a warning, and the pod is not enforced") {
  Diagnostics diags;
  Cluster c = parse_snapshot({{"cluster.yaml", kCluster}}, diags);
  PolicySet p = parse_policies({{"p.yaml", R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: hosts, namespace: "y"}
spec:
  podSelector: {matchLabels: {pod: host}}
)"}},
                               diags);
  Program prog = resolve(c, p, ResolveOptions{}, diags);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].severity == Severity::Warning);
  CHECK(diags.items()[0].message.find("hostNetwork pod y/host") != std::string::npos);
  CHECK(prog.chains.empty());
}

TEST_CASE("finished pods and pods without an address are neither isolated nor peers") {
  Diagnostics diags;
  Cluster c = parse_snapshot({{"cluster.yaml", R"(
apiVersion: netpolc/v1
kind: Inventory
namespaces: {x: {}}
pods:
  x/done: {labels: {app: a}, ips: [10.0.1.1], phase: Succeeded}
  x/new: {labels: {app: a}, ips: [10.0.1.1]}
  x/pending: {labels: {app: a}, phase: Pending}
)"}},
                             diags);
  REQUIRE_FALSE(diags.has_errors());
  PolicySet p = parse_policies({{"p.yaml", R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: x}
spec:
  podSelector: {}
)"}},
                               diags);
  Program prog = resolve(c, p, ResolveOptions{}, diags);
  REQUIRE(prog.ingress.size() == 1);  // only x/new, which holds 10.0.1.1 now
  CHECK(c.pods[prog.ingress[0].pod].name == "new");
  CHECK(prog.pod_count == 1);
}

TEST_CASE("resolving stops with an error at its step limit, whatever the input") {
  // Every policy isolates every pod and allows from every pod: steps grow
  // as policies x pods. 100 policies x 5 pods x 3 steps (select, isolate,
  // peers) is 1500 steps, and each pod's chain has 100 entries more.
  std::string policies;
  for (int i = 0; i < 100; ++i)
    policies += "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p" +
                std::to_string(i) + ", namespace: x}\nspec: {ingress: [{from: [{podSelector: {}}]}]}\n---\n";
  Diagnostics diags;
  Cluster c = parse_snapshot({{"cluster.yaml", kCluster}}, diags);
  PolicySet p = parse_policies({{"p.yaml", policies}}, diags);
  REQUIRE_FALSE(diags.has_errors());
  ResolveOptions small;
  small.max_steps = 500;
  Program prog = resolve(c, p, small, diags);
  REQUIRE(diags.error_count() == 1);
  CHECK(diags.items()[0].message.find("too large to resolve: more than 500 steps") == 0);
  CHECK(diags.items()[0].loc.file == "p.yaml");
  CHECK(prog.chains.empty());
  Diagnostics fine;
  resolve(c, p, ResolveOptions{}, fine);
  CHECK_FALSE(fine.has_errors());
}
