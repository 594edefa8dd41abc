// netpolc suggest against the reference evaluator: for every observed flow,
// the policies plus the suggestion allow it; every flow that the policies
// deny and nobody observed stays denied, unless the suggestion says (a blur
// and its warning) that its pods cannot be told apart by stable labels from
// pods that were observed. Scenarios on the seed lab and the seeds' policies.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "compiler/snapshot_parser.h"
#include "suggest/rules.h"
#include "suggest/suggestion_yaml.h"

using namespace netpolc;
using namespace netpolc::suggest;

namespace {

const std::string kLab = "fixtures/clusters/seeds-lab.yaml";

struct Loaded {
  Cluster cluster;
  PolicySet policies;
  ObservedFlows flows;
};

std::string at_root(const std::string& rel) { return (std::filesystem::path(NETPOLC_SOURCE_DIR) / rel).string(); }

Loaded load_texts(const std::vector<InputFile>& snapshots, const std::vector<InputFile>& policies,
                  const InputFile& flows) {
  Loaded l;
  Diagnostics diags;
  SourceFiles sources;
  for (const auto* files : {&snapshots, &policies})
    for (const auto& f : *files) sources.add(f.name, f.text);
  sources.add(flows.name, flows.text);
  l.cluster = parse_snapshot(snapshots, diags);
  l.policies = parse_policies(policies, diags);
  auto read = read_observed_flows(flows, diags);
  INFO(format_diagnostics(diags, sources));
  REQUIRE_FALSE(diags.has_errors());
  l.flows = *read;
  return l;
}

// Files relative to the repository root.
Loaded load(const std::vector<std::string>& snapshots, const std::vector<std::string>& policies,
            const std::string& flows) {
  Diagnostics diags;
  SourceFiles sources;
  auto files = [&](const std::vector<std::string>& rel) {
    std::vector<std::string> paths;
    for (const auto& r : rel) paths.push_back(at_root(r));
    return read_inputs(paths, diags, sources);
  };
  auto s = files(snapshots), p = files(policies), f = files({flows});
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(f.size() == 1);
  return load_texts(s, p, f[0]);
}

// The policies with the suggestion, read back from its YAML.
PolicySet with_suggestion(const Loaded& l, const Suggestion& s) {
  std::string yaml = suggestion_yaml(s, {"test"});
  Diagnostics diags;
  SourceFiles sources;
  sources.add("suggestion.yaml", yaml);
  PolicySet read = parse_policies({{"suggestion.yaml", yaml}}, diags);
  INFO(format_diagnostics(diags, sources));
  INFO(yaml);
  REQUIRE_FALSE(diags.has_errors());
  REQUIRE(read.policies.size() == s.policies.size());
  PolicySet all = l.policies;
  all.policies.insert(all.policies.end(), read.policies.begin(), read.policies.end());
  std::sort(all.policies.begin(), all.policies.end(),
            [](const Policy& a, const Policy& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
  return all;
}

std::string name_of(const Cluster& c, const Evaluator& ev, const IpAddr& ip) {
  long p = ev.pod_by_ip(ip);
  return p >= 0 ? c.pods[size_t(p)].ns + "/" + c.pods[size_t(p)].name : format_ip(ip);
}

struct Probe {
  L4 protocol;
  uint16_t port;
  friend auto operator<=>(const Probe&, const Probe&) = default;
};

// Checks the property on every pair of endpoints (every enforced pod, every
// address the flows name and its neighbours) and every port of interest, in
// both families. Returns how many flows the suggestion opens.
size_t check_property(const Loaded& l, const Suggestion& s, bool icmp_as_all) {
  PolicySet after_ps = with_suggestion(l, s);
  Evaluator before(l.cluster, l.policies), after(l.cluster, after_ps);
  // Endpoint identity: a pod, or an address.
  auto id = [&](const IpAddr& ip) { return std::pair{before.pod_by_ip(ip), before.pod_by_ip(ip) >= 0 ? IpAddr{} : ip}; };
  auto same = [&](const IpAddr& a, const IpAddr& b) {
    auto ia = id(a), ib = id(b);
    if (ia == ib) return true;
    if (ia.first < 0 || ib.first < 0) return false;
    for (const auto& blur : s.blurs)
      if (std::binary_search(blur.begin(), blur.end(), size_t(ia.first)) &&
          std::binary_search(blur.begin(), blur.end(), size_t(ib.first)))
        return true;
    return false;
  };
  auto is_dns_pod = [&](const IpAddr& ip) {
    long p = before.pod_by_ip(ip);
    return p >= 0 && is_kube_dns(l.cluster.pods[size_t(p)]);
  };

  // 1. Every observed flow passes (those skipped for ICMP aside).
  std::vector<const ObservedFlow*> used;
  for (const auto& f : l.flows.flows) {
    if (f.protocol == L4::ICMP && !icmp_as_all) continue;
    used.push_back(&f);
    Verdict v = after.evaluate({f.src.ip, f.dst.ip, f.protocol, f.port});
    INFO(name_of(l.cluster, before, f.src.ip), " -> ", name_of(l.cluster, before, f.dst.ip), " ", f.port);
    CHECK(v.allowed);
  }

  // 2. Nothing else opens that is not documented.
  std::vector<IpAddr> endpoints;
  for (const auto& p : l.cluster.pods)
    if (p.enforced()) endpoints.insert(endpoints.end(), p.ips.begin(), p.ips.end());
  for (const auto& f : l.flows.flows)
    for (const IpAddr& ip : {f.src.ip, f.dst.ip})
      if (before.pod_by_ip(ip) < 0)
        for (u128 delta : {u128(0), u128(1), ~u128(0)}) {
          IpAddr near = ip;
          near.value += delta;  // wraps: ip - 1
          if (before.pod_by_ip(near) < 0) endpoints.push_back(near);
        }
  std::sort(endpoints.begin(), endpoints.end());
  endpoints.erase(std::unique(endpoints.begin(), endpoints.end()), endpoints.end());
  std::set<Probe> probes = {{L4::TCP, 53}, {L4::UDP, 53}, {L4::TCP, 9999}, {L4::UDP, 9999}, {L4::ICMP, 0}};
  for (const auto& p : l.cluster.pods)
    for (const auto& cp : p.ports) probes.insert({cp.protocol == Protocol::UDP ? L4::UDP : cp.protocol == Protocol::SCTP ? L4::SCTP : L4::TCP, uint16_t(cp.port)});
  for (const auto* f : used) probes.insert({f->protocol, f->port});

  size_t opened = 0;
  for (const IpAddr& a : endpoints)
    for (const IpAddr& b : endpoints) {
      if (a == b || a.family != b.family) continue;
      for (const Probe& p : probes) {
        Flow flow{a, b, p.protocol, p.port};
        if (before.evaluate(flow).allowed || !after.evaluate(flow).allowed) continue;
        ++opened;
        bool documented = false;
        for (const auto* o : used) {
          if (!same(o->src.ip, a)) continue;
          bool dst = same(o->dst.ip, b);
          if (dst && o->protocol == p.protocol && o->port == p.port) documented = true;
          if (dst && o->protocol == L4::ICMP && icmp_as_all) documented = true;
          // DNS is pinned to every kube-dns pod, on both protocols.
          if (is_dns_pod(b) && is_dns_pod(o->dst.ip) && o->port == 53 && p.port == 53 && p.protocol != L4::ICMP)
            documented = true;
        }
        INFO("opened without being observed: ", name_of(l.cluster, before, a), " -> ",
             name_of(l.cluster, before, b), " ", p.port, "/", l4_name(p.protocol));
        CHECK(documented);
      }
    }
  return opened;
}

bool has_warning(const Diagnostics& d, const std::string& part) {
  for (const auto& i : d.items())
    if (i.severity == Severity::Warning && i.message.find(part) != std::string::npos) return true;
  return false;
}

// A scenario and what suggest makes of it.
struct Run {
  Loaded l;
  Diagnostics diags;
  Suggestion s;
};

Run run(Loaded l, bool icmp_as_all = false) {
  Run r{std::move(l), {}, {}};
  r.s = suggest_policies(r.l.cluster, r.l.policies, r.l.flows, {icmp_as_all}, r.diags);
  return r;
}

const SuggestedPolicy& policy_named(const Suggestion& s, const std::string& name) {
  for (const auto& sp : s.policies)
    if (sp.policy.name == name) return sp;
  FAIL("no policy " << name);
  throw 0;
}

const std::vector<Rule>& rules_of(const Suggestion& s, const std::string& name) {
  const Policy& p = policy_named(s, name).policy;
  return p.egress ? p.egress_rules : p.ingress_rules;
}

std::string ports_text(const Rule& r) {
  std::string out;
  for (const auto& p : r.ports)
    out += (out.empty() ? "" : ", ") + (p.name.empty() ? std::to_string(*p.port) : p.name) + "/" + protocol_name(p.protocol);
  return out;
}

}  // namespace

TEST_CASE("suggest: zero-trust seed: pods of this and another namespace, addresses, what is skipped") {
  auto [l, diags, s] = run(load({kLab}, {"fixtures/seeds/zero-trust"}, "fixtures/suggest/zero-trust.json"));
  CHECK(s.used == 6);
  CHECK(s.skipped == 3);
  CHECK(has_warning(diags, "already allowed by app/allow-dns"));
  CHECK(has_warning(diags, "already allowed by app/allow-egress-payments"));
  CHECK(has_warning(diags, "NetworkPolicy cannot allow ICMP alone"));
  CHECK(s.blurs.empty());
  REQUIRE(s.policies.size() == 3);
  CHECK(s.policies[0].policy.name == "allow-observed-checkout-egress");
  CHECK(s.policies[1].policy.name == "allow-observed-netshoot-egress");
  CHECK(s.policies[2].policy.name == "allow-observed-web-egress");
  for (const auto& sp : s.policies) {
    CHECK(sp.policy.egress);
    CHECK_FALSE(sp.policy.ingress);  // adds no isolation of its own
  }
  // Two neighbouring addresses: one exact /31.
  const auto& netshoot = rules_of(s, "allow-observed-netshoot-egress");
  REQUIRE(netshoot.size() == 1);
  REQUIRE(netshoot[0].peers.size() == 1);
  CHECK(format_cidr(netshoot[0].peers[0].ip_block->cidr) == "198.51.100.6/31");
  // Another namespace: a namespaceSelector on its name AND a podSelector; the port by its name.
  const auto& web = rules_of(s, "allow-observed-web-egress");
  REQUIRE(web.size() == 2);
  CHECK(web[0].peers[0].pod_selector->match_labels == Labels{{"app", "checkout"}});
  CHECK_FALSE(web[0].peers[0].namespace_selector);
  CHECK(web[1].peers[0].namespace_selector->match_labels == Labels{{"kubernetes.io/metadata.name", "default"}});
  CHECK(web[1].peers[0].pod_selector->match_labels == Labels{{"app", "web"}});
  CHECK(ports_text(web[1]) == "http/TCP");
  CHECK(check_property(l, s, false) > 0);
}

TEST_CASE("suggest: lockdown seed: DNS pinned to kube-dns, peers merged by ports, ports merged by peers") {
  auto [l, diags, s] = run(load({kLab}, {"fixtures/seeds/np12-complete-lockdown.yaml"}, "fixtures/suggest/lockdown.json"));
  CHECK(s.used == 9);
  CHECK(s.skipped == 0);
  CHECK(diags.items().empty());
  const auto& frontend = rules_of(s, "allow-observed-frontend-egress");
  REQUIRE(frontend.size() == 2);
  // DNS: to kube-dns in kube-system on both protocols by number, never port 53 to anywhere.
  REQUIRE(frontend[0].peers.size() == 1);
  CHECK(frontend[0].peers[0].namespace_selector->match_labels == Labels{{"kubernetes.io/metadata.name", "kube-system"}});
  CHECK(frontend[0].peers[0].pod_selector->match_labels == Labels{{"k8s-app", "kube-dns"}});
  CHECK(ports_text(frontend[0]) == "53/TCP, 53/UDP");
  // Two peers on the same port, which both declare by the name "http".
  CHECK(frontend[1].peers.size() == 2);
  CHECK(ports_text(frontend[1]) == "http/TCP");
  // 192.0.2.10 and .11 on 443 and 8443, .12 on 443 only: two rules either way, peers first.
  const auto& client = rules_of(s, "allow-observed-api-client-egress");
  REQUIRE(client.size() == 2);
  CHECK(format_cidr(client[0].peers[0].ip_block->cidr) == "192.0.2.10/31");
  CHECK(ports_text(client[0]) == "443/TCP, 8443/TCP");
  CHECK(format_cidr(client[1].peers[0].ip_block->cidr) == "192.0.2.12/32");
  CHECK(ports_text(client[1]) == "443/TCP");
  CHECK(s.blurs.empty());
  CHECK(check_property(l, s, false) > 0);

  SUBCASE("once applied, the same flows need nothing more") {
    Loaded applied = l;
    applied.policies = with_suggestion(l, s);
    Diagnostics again;
    Suggestion none = suggest_policies(applied.cluster, applied.policies, applied.flows, {}, again);
    CHECK(none.policies.empty());
    CHECK(none.skipped == l.flows.flows.size());
    CHECK(has_warning(again, "already allowed by default/allow-observed-frontend-egress"));
  }
  SUBCASE("a name taken by a policy in force is not reused") {
    Loaded taken = l;
    Policy p = l.policies.policies[0];
    p.name = "allow-observed-test-egress";
    taken.policies.policies.push_back(p);
    Diagnostics d2;
    Suggestion s2 = suggest_policies(taken.cluster, taken.policies, taken.flows, {}, d2);
    CHECK(policy_named(s2, "allow-observed-test-egress-2").policy.ns == "default");
  }
}

TEST_CASE("suggest: replicas, a StatefulSet and a canary that no stable label tells apart") {
  auto [l, diags, s] = run(load({kLab, "fixtures/suggest/replicas.yaml"}, {"fixtures/suggest/deny-all-shop.yaml"},
                  "fixtures/suggest/shop.json"));
  CHECK(s.skipped == 2);  // the egress of an address that is no pod, ICMPv6
  CHECK(has_warning(diags, "the isolated pod shop/ghost (10.244.4.99) is not an enforced pod of the snapshot; skipped"));
  // Controller labels are never used: the replicas and the StatefulSet by their names.
  CHECK(policy_named(s, "allow-observed-api-egress").policy.pod_selector.match_labels ==
        Labels{{"app.kubernetes.io/name", "api"}});
  CHECK(policy_named(s, "allow-observed-db-ingress").policy.pod_selector.match_labels ==
        Labels{{"app.kubernetes.io/name", "db"}});
  CHECK(policy_named(s, "allow-observed-worker-egress").policy.pod_selector.match_labels == Labels{{"app", "worker"}});
  // The canary has every label the replicas have: it cannot be left out.
  CHECK(has_warning(diags, "the podSelector of shop/allow-observed-api-egress also selects shop/api-canary-5c6b7-klmno"));
  CHECK(has_warning(diags, "no stable labels tell apart the pods of {shop/db-0, shop/db-1}"));
  // An ingress peer in another namespace, and an address that is no pod.
  const auto& api_in = rules_of(s, "allow-observed-api-ingress");
  REQUIRE(api_in.size() == 1);
  REQUIRE(api_in[0].peers.size() == 3);
  CHECK(api_in[0].peers[0].pod_selector->match_labels == Labels{{"app", "prometheus"}});
  CHECK(format_cidr(api_in[0].peers[2].ip_block->cidr) == "10.244.4.99/32");
  REQUIRE_FALSE(s.blurs.empty());
  CHECK(check_property(l, s, false) > 0);
}

TEST_CASE("suggest: ICMP only with --allow-icmp-as-all-ports, and then as every port") {
  auto [l, diags, s] = run(load({kLab}, {"fixtures/seeds/zero-trust"}, "fixtures/suggest/zero-trust.json"), true);
  CHECK(s.skipped == 2);
  CHECK(has_warning(diags, "allowed by a rule without ports"));
  const auto& rules = rules_of(s, "allow-observed-netshoot-egress");
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].ports.empty());
  CHECK(rules[0].peers[0].pod_selector->match_labels == Labels{{"app", "web"}});
  CHECK(ports_text(rules[1]) == "443/TCP");
  CHECK(check_property(l, s, true) > 0);
}

namespace {

const char* kSmallCluster = R"(apiVersion: netpolc/v1
kind: Inventory
namespaces: {x: {}}
pods:
  x/a: {labels: {app: a}, ips: [10.244.7.1]}
  x/a-debug: {labels: {app: a, debug: "on"}, ips: [10.244.7.2]}
  x/b: {labels: {app: b}, ips: [10.244.7.3], ports: ["http=80/TCP"]}
dnsServers: [10.96.0.10]
)";

// Isolates every pod of x but the debug one.
const char* kDenyButDebug = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: x}
spec:
  podSelector: {matchExpressions: [{key: debug, operator: DoesNotExist}]}
  policyTypes: [Egress]
)";

std::string flows_json(const std::string& entries) {
  return R"({"apiVersion": "netpolc/v1", "kind": "ObservedFlows", "mode": "audit", "flows": [)" + entries + "]}";
}

}  // namespace

TEST_CASE("suggest: a selector that would isolate a pod the policies leave alone says so") {
  auto [l, diags, s] = run(load_texts({{"c.yaml", kSmallCluster}}, {{"p.yaml", kDenyButDebug}},
                        {"f.json", flows_json(R"({"src": {"ip": "10.244.7.1"}, "dst": {"ip": "10.244.7.3"},
      "protocol": "TCP", "port": 80, "deniedBy": "egress", "pod": "x/a", "policies": ["x/deny"], "count": 1})")}));
  REQUIRE(s.policies.size() == 1);
  CHECK(has_warning(diags, "x/allow-observed-a-egress newly isolates x/a-debug for egress"));
  CHECK(ports_text(s.policies[0].policy.egress_rules[0]) == "http/TCP");
}

TEST_CASE("suggest: DNS to the snapshot's DNS servers that are no pod: that address, on 53/UDP and 53/TCP") {
  auto [l, diags, s] = run(load_texts({{"c.yaml", kSmallCluster}}, {{"p.yaml", kDenyButDebug}},
                        {"f.json", flows_json(R"({"src": {"ip": "10.244.7.3"}, "dst": {"ip": "10.96.0.10"},
      "protocol": "UDP", "port": 53, "deniedBy": "egress", "pod": "x/b", "policies": ["x/deny"], "count": 1})")}));
  const auto& rules = rules_of(s, "allow-observed-b-egress");
  REQUIRE(rules.size() == 1);
  CHECK(format_cidr(rules[0].peers[0].ip_block->cidr) == "10.96.0.10/32");
  CHECK(ports_text(rules[0]) == "53/TCP, 53/UDP");
  CHECK(policy_named(s, "allow-observed-b-egress").rule_notes[0].back().find("DNS pinned") != std::string::npos);
}

TEST_CASE("suggest: a hint that disagrees with the snapshot is reported, the snapshot wins") {
  auto [l, diags, s] = run(load_texts({{"c.yaml", kSmallCluster}}, {{"p.yaml", kDenyButDebug}},
                        {"f.json", flows_json(R"({"src": {"ip": "10.244.7.3", "pod": "x/old"}, "dst": {"ip": "10.244.7.1"},
      "protocol": "TCP", "port": 80, "deniedBy": "egress", "pod": "x/old", "policies": ["x/deny"], "count": 1})")}));
  CHECK(has_warning(diags, "observe named x/old at 10.244.7.3, but the snapshot has x/b; the snapshot is used"));
  CHECK(s.policies.size() == 1);
}

TEST_CASE("suggest: ICMP and TCP to one peer with --allow-icmp-as-all-ports: one rule without ports") {
  auto [l, diags, s] = run(load_texts({{"c.yaml", kSmallCluster}}, {{"p.yaml", kDenyButDebug}},
                                      {"f.json", flows_json(R"({"src": {"ip": "10.244.7.3"}, "dst": {"ip": "10.244.7.1"},
      "protocol": "ICMP", "deniedBy": "egress", "policies": ["x/deny"], "count": 1},
    {"src": {"ip": "10.244.7.3"}, "dst": {"ip": "10.244.7.1"},
      "protocol": "TCP", "port": 80, "deniedBy": "egress", "policies": ["x/deny"], "count": 1})")}),
                           true);
  const auto& rules = rules_of(s, "allow-observed-b-egress");
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].ports.empty());
  CHECK(check_property(l, s, true) > 0);
}
