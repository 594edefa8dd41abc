// The ruleset model: what build_ruleset() makes of a program.
#include "backends/nft_ruleset.h"

#include <doctest/doctest.h>

#include "backends/nft_text.h"
#include "compiler/policy_parser.h"
#include "compiler/resolve.h"
#include "compiler/snapshot_parser.h"

using namespace netpolc;

namespace {

nft::Ruleset build(const std::string& snapshot, const std::string& policies, const NftOptions& opt = {}) {
  Diagnostics diags;
  Cluster cluster = parse_snapshot({{"cluster.yaml", snapshot}}, diags);
  PolicySet set = parse_policies({{"policies.yaml", policies}}, diags);
  Program prog = resolve(cluster, set, ResolveOptions{}, diags);
  REQUIRE_FALSE(diags.has_errors());
  return nft::build_ruleset(prog, cluster, opt);
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

const char* kCluster =
    "apiVersion: netpolc/v1\nkind: Inventory\nnamespaces:\n  app: {}\n  kube-system: {}\npods:\n"
    "  app/a: {labels: {app: a}, ips: [10.244.1.1]}\n"
    "  app/b: {labels: {app: b}, ips: [10.244.1.2]}\n"
    "  kube-system/dns: {labels: {k8s-app: kube-dns}, ips: [10.244.9.9]}\n";

std::string policy(const std::string& who, const std::string& ingress) {
  return "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + who +
         ", namespace: app}\nspec:\n  podSelector: {matchLabels: {app: " + who + "}}\n  ingress:\n" + ingress;
}

}  // namespace

TEST_CASE("nft ruleset: a port list is one named set, shared by every rule with the same list") {
  const std::string rules = "  - ports: [{port: 443}, {port: 80}, {port: 53, protocol: UDP}]\n  - ports: [{port: 8080}]\n";
  NftOptions opt;
  opt.dns_carve_out = true;
  nft::Ruleset rs = build(kCluster, policy("a", rules) + policy("b", rules), opt);
  std::vector<std::string> names;
  for (const auto& p : rs.port_sets) names.push_back(p.name);
  // Sorted and merged; the carve-out's DNS ports are a list too.
  CHECK(names == std::vector<std::string>{"ports/tcp-53/udp-53", "ports/tcp-80/tcp-443/udp-53"});
  std::string text = nft::print_ruleset(rs);
  CHECK(occurrences(text, "set ports/tcp-80/tcp-443/udp-53 {") == 1);
  CHECK(occurrences(text, "meta l4proto . th dport @ports/tcp-80/tcp-443/udp-53 return") == 2);
  CHECK(occurrences(text, "meta l4proto . th dport @ports/tcp-53/udp-53 accept") == 1);
  // One port of one protocol stays inline.
  CHECK(occurrences(text, "tcp dport 8080 return") == 2);
}

TEST_CASE("nft ruleset: port list shapes and their names") {
  auto one = [](const std::string& ports) {
    nft::Ruleset rs = build(kCluster, policy("a", "  - ports: " + ports + "\n"));
    REQUIRE(rs.port_sets.size() == 1);
    return rs.port_sets[0];
  };
  nft::PortSet range = one("[{port: 80}, {port: 8000, endPort: 8080}, {port: 8081}]");
  CHECK(range.name == "ports/tcp-80/tcp-8000-8081");  // 8081 joins the range before it
  CHECK(range.shape() == nft::PortShape::OneProtocol);
  CHECK(range.intervals());
  nft::PortSet protocols = one("[{protocol: UDP}, {protocol: TCP}]");
  CHECK(protocols.name == "ports/tcp/udp");
  CHECK(protocols.shape() == nft::PortShape::Protocols);
  CHECK_FALSE(protocols.intervals());
  nft::PortSet mixed = one("[{protocol: SCTP}, {port: 53, protocol: UDP}]");
  CHECK(mixed.name == "ports/udp-53/sctp-0-65535");
  CHECK(mixed.shape() == nft::PortShape::Concat);
  CHECK(mixed.intervals());
  std::string text = nft::print_ruleset(build(kCluster, policy("a", "  - ports: [{protocol: UDP}, {protocol: TCP}]\n")));
  CHECK(occurrences(text, "meta l4proto @ports/tcp/udp return") == 1);
  CHECK(occurrences(text, "\t\ttype inet_proto\n") == 1);
}

TEST_CASE("nft ruleset: egress named ports that every peer declares alike are the peers on a port") {
  const std::string cluster =
      "apiVersion: netpolc/v1\nkind: Inventory\nnamespaces:\n  app: {}\npods:\n"
      "  app/client: {labels: {app: client}, ips: [10.244.1.1]}\n"
      "  app/api-0: {labels: {app: api}, ips: [10.244.1.10, \"fd00::10\"], ports: [\"http=8080/TCP\"]}\n"
      "  app/api-1: {labels: {app: api}, ips: [10.244.1.11], ports: [\"http=8080/TCP\"]}\n"
      "  app/web: {labels: {app: web}, ips: [10.244.1.20], ports: [\"http=80/TCP\"]}\n"
      "  app/db: {labels: {app: db}, ips: [10.244.1.30]}\n";
  auto egress = [&](const std::string& to) {
    std::string yaml =
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: client, namespace: app}\nspec:\n"
        "  podSelector: {matchLabels: {app: client}}\n  policyTypes: [Egress]\n  egress:\n  - to: " +
        to + "\n    ports: [{port: http}]\n";
    return nft::print_ruleset(build(cluster, yaml));
  };
  // Both api pods (and api-0's IPv6 address) declare http=8080/TCP.
  std::string same = egress("[{podSelector: {matchLabels: {app: api}}}]");
  CHECK(occurrences(same, "ip daddr @peer/app/client/egress-0-0/v4 tcp dport 8080 return") == 1);
  CHECK(occurrences(same, "ip6 daddr @peer/app/client/egress-0-0/v6 tcp dport 8080 return") == 1);
  CHECK(occurrences(same, "th dport @port/") == 0);
  // web's http is 80: each address keeps its own port.
  std::string different = egress("[{podSelector: {matchLabels: {app: api}}}, {podSelector: {matchLabels: {app: web}}}]");
  CHECK(occurrences(different, "ip daddr . meta l4proto . th dport @port/app/client/egress-0/v4 return") == 1);
  CHECK(occurrences(different, "10.244.1.20 . tcp . 80") == 1);
  // db declares no http: it must not be reachable, so no peers-on-a-port rule.
  std::string missing = egress("[{podSelector: {matchLabels: {app: api}}}, {podSelector: {matchLabels: {app: db}}}]");
  CHECK(occurrences(missing, "tcp dport 8080 return") == 0);
  CHECK(occurrences(missing, "10.244.1.30") == 0);
}
