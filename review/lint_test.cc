// Every lint check, once where it must fire and once where it must not.
#include "review/lint.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "review/test_world.h"

using namespace netpolc;
using namespace netpolc::review;
using netpolc::review::test::make_world;

namespace {

const char* kCluster = R"(
apiVersion: netpolc/v1
kind: Inventory
namespaces: {x: {team: blue}, other: {}, kube-system: {}}
pods:
  kube-system/coredns:
    labels: {k8s-app: kube-dns}
    ips: [10.0.0.10]
    ports: ["dns=53/UDP", "dns-tcp=53/TCP"]
  x/web:
    labels: {app: web}
    ips: [10.0.1.1]
    ports: ["http=80/TCP"]
  x/db:
    labels: {app: db}
    ips: [10.0.1.2]
    ports: ["pg=5432/TCP"]
  other/client:
    labels: {app: client}
    ips: [10.0.2.1]
  other/agent:
    labels: {app: agent}
    ips: [10.0.9.9]
    hostNetwork: true
)";

std::string policy(const std::string& ns, const std::string& name, const std::string& spec) {
  return "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n" + spec + "\n";
}

// A default deny for every namespace, DNS allowed: no NP001, NP006.
const std::string kBaseline =
    policy("x", "base", "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  egress:\n  - to: [{namespaceSelector: "
                        "{matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: "
                        "{k8s-app: kube-dns}}}]\n    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]") +
    policy("other", "base", "  podSelector: {matchLabels: {app: client}}\n  policyTypes: [Ingress]") +
    policy("kube-system", "base", "  podSelector: {}\n  policyTypes: [Ingress]\n  ingress: [{}]");

std::vector<std::string> ids(const std::string& policies) {
  auto w = make_world(kCluster, policies);
  std::vector<std::string> out;
  for (const auto& f : lint(w->cluster, w->policies, w->program)) out.push_back(f.id);
  return out;
}

bool fires(const char* id, const std::string& policies) {
  auto all = ids(policies);
  return std::find(all.begin(), all.end(), id) != all.end();
}

}  // namespace

TEST_CASE("the baseline is clean") {
  auto found = ids(kBaseline);
  INFO(found.size() << " findings, the first " << (found.empty() ? "" : found[0]));
  CHECK(found.empty());
}

TEST_CASE("NP001 dns-blocked: a default deny of egress without DNS") {
  CHECK(fires("NP001", policy("x", "deny", "  podSelector: {}\n  policyTypes: [Egress]")));
  CHECK_FALSE(fires("NP001", kBaseline));
}

TEST_CASE("NP001 dns-blocked: DNS over UDP only") {
  std::string udp_only =
      policy("x", "dns", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{namespaceSelector: {}}]\n"
                         "    ports: [{port: 53, protocol: UDP}]");
  CHECK(fires("NP001", udp_only));
}

TEST_CASE("NP002 dns-to-any-address: port 53 with no `to`") {
  CHECK(fires("NP002", kBaseline + policy("x", "dns", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                                                        "  - ports: [{port: 53, protocol: UDP}]")));
  CHECK(fires("NP002", kBaseline + policy("x", "dns", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                                                        "  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n"
                                                        "    ports: [{port: 53, protocol: UDP}]")));
  CHECK_FALSE(fires("NP002", kBaseline));
}

TEST_CASE("NP003 namespace-label-missing: a label no namespace has") {
  std::string spec = "  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {matchLabels: {LABEL}}}]";
  auto with = [&](const std::string& label) {
    std::string s = spec;
    s.replace(s.find("LABEL"), 5, label);
    return kBaseline + policy("x", "from-ns", s);
  };
  CHECK(fires("NP003", with("name: kube-system")));
  CHECK_FALSE(fires("NP003", with("kubernetes.io/metadata.name: kube-system")));
}

TEST_CASE("NP004 policy-selects-nothing") {
  CHECK(fires("NP004", kBaseline + policy("x", "p", "  podSelector: {matchLabels: {app: nothing}}")));
  CHECK(fires("NP004", kBaseline + policy("production", "p", "  podSelector: {}")));
  CHECK_FALSE(fires("NP004", kBaseline + policy("x", "p", "  podSelector: {matchLabels: {app: web}}")));
}

TEST_CASE("NP005 peer-matches-nothing") {
  auto from = [&](const std::string& app) {
    return kBaseline + policy("x", "p", "  podSelector: {}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: " +
                                            app + "}}}]");
  };
  CHECK(fires("NP005", from("nothing")));
  CHECK(fires("NP005", from("client")));  // client is in other; a podSelector alone looks in x
  CHECK_FALSE(fires("NP005", from("db")));
}

TEST_CASE("NP006 uncovered: namespaces and pods no policy selects") {
  CHECK(fires("NP006", policy("x", "base", "  podSelector: {}")));  // other and kube-system uncovered
  CHECK(fires("NP006", kBaseline.substr(0, kBaseline.find("---", 4)) +
                           policy("other", "client", "  podSelector: {matchLabels: {app: nothing}}") +
                           policy("kube-system", "base", "  podSelector: {}")));  // other/client uncovered
  CHECK_FALSE(fires("NP006", kBaseline));
}

TEST_CASE("NP007 or-instead-of-and: two peers where one was meant") {
  CHECK(fires("NP007", kBaseline + policy("x", "p", "  podSelector: {}\n  ingress:\n  - from:\n"
                                                      "    - namespaceSelector: {matchLabels: {team: blue}}\n"
                                                      "    - podSelector: {matchLabels: {app: web}}")));
  CHECK_FALSE(fires("NP007", kBaseline + policy("x", "p", "  podSelector: {}\n  ingress:\n  - from:\n"
                                                            "    - namespaceSelector: {matchLabels: {team: blue}}\n"
                                                            "      podSelector: {matchLabels: {app: web}}")));
}

TEST_CASE("NP008 rules-ignored-by-policy-types") {
  std::string egress = "\n  egress:\n  - to: [{podSelector: {}}]";
  CHECK(fires("NP008", kBaseline + policy("x", "p", "  podSelector: {}\n  policyTypes: [Ingress]" + egress)));
  CHECK(fires("NP008", kBaseline + policy("x", "p", "  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{}]")));
  CHECK_FALSE(fires("NP008", kBaseline + policy("x", "p", "  podSelector: {}\n  policyTypes: [Ingress, Egress]" + egress)));
}

TEST_CASE("NP009 empty-egress-without-policy-types") {
  CHECK(fires("NP009", kBaseline + policy("x", "p", "  podSelector: {}\n  egress: []")));
  CHECK_FALSE(fires("NP009", kBaseline + policy("x", "p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: []")));
}

TEST_CASE("NP010 port-without-protocol") {
  auto with = [&](const std::string& port) {
    return kBaseline + policy("x", "p", "  podSelector: {}\n  ingress:\n  - ports: [" + port + "]");
  };
  CHECK(fires("NP010", with("{port: 80}")));
  CHECK_FALSE(fires("NP010", with("{port: 80, protocol: TCP}")));
}

TEST_CASE("NP011 allow-all-shadows: an allow-all rule beside other rules for the same pods") {
  std::string narrow = policy("x", "narrow", "  podSelector: {matchLabels: {app: web}}\n  ingress:\n"
                                             "  - from: [{podSelector: {matchLabels: {app: db}}}]");
  std::string open = policy("x", "open", "  podSelector: {matchLabels: {app: web}}\n  ingress: [{}]");
  CHECK(fires("NP011", kBaseline + narrow + open));
  CHECK_FALSE(fires("NP011", kBaseline + narrow));
}

TEST_CASE("NP012 isolated-nothing-allowed: rules that match nothing") {
  CHECK(fires("NP012", kBaseline.substr(kBaseline.find("---", 4)) +
                           policy("x", "p", "  podSelector: {}\n  ingress:\n  - from: [{podSelector: {matchLabels: "
                                            "{app: nothing}}}]")));
  CHECK_FALSE(fires("NP012", kBaseline + policy("x", "p", "  podSelector: {}\n  ingress: []")));
}

TEST_CASE("NP013 named-port-undeclared") {
  auto with = [&](const std::string& port) {
    return kBaseline + policy("x", "p", "  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - ports: [{port: " +
                                            port + ", protocol: TCP}]");
  };
  CHECK(fires("NP013", with("metrics")));
  CHECK_FALSE(fires("NP013", with("http")));
}

TEST_CASE("NP014 ipblock-overlaps-pods") {
  auto with = [&](const std::string& cidr) {
    return kBaseline + policy("x", "p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{ipBlock: "
                                        "{cidr: " + cidr + "}}]\n    ports: [{port: 443, protocol: TCP}]");
  };
  CHECK(fires("NP014", with("10.0.0.0/16")));
  CHECK_FALSE(fires("NP014", with("192.0.2.0/24")));
}

TEST_CASE("NP015 selects-host-network") {
  CHECK(fires("NP015", kBaseline + policy("other", "p", "  podSelector: {matchLabels: {app: agent}}")));
  CHECK_FALSE(fires("NP015", kBaseline + policy("other", "p", "  podSelector: {matchLabels: {app: client}}")));
}

TEST_CASE("NP016 redundant-rule: a rule contained in another for the same pods") {
  std::string rules = "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                      "  - to: [{podSelector: {matchLabels: {app: db}}}]\n    ports: [{port: 5432, protocol: TCP}]\n";
  CHECK(fires("NP016", kBaseline + policy("x", "p", rules + "  - to: [{podSelector: {}}]")));
  CHECK_FALSE(fires("NP016", kBaseline + policy("x", "p", rules + "  - to: [{podSelector: {matchLabels: {app: web}}}]")));
}

TEST_CASE("NP016 redundant-rule: of two equal rules only the second is reported") {
  std::string rule = "  - to: [{podSelector: {matchLabels: {app: db}}}]\n";
  auto w = make_world(kCluster, kBaseline + policy("x", "p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n" +
                                                                 rule + rule));
  auto findings = lint(w->cluster, w->policies, w->program);
  auto n = std::count_if(findings.begin(), findings.end(), [](const Finding& f) { return f.id == "NP016"; });
  CHECK(n == 1);
}

TEST_CASE("NP017 broad-cidr") {
  auto with = [&](const std::string& cidr) {
    return kBaseline + policy("x", "p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{ipBlock: "
                                        "{cidr: " + cidr + "}}]");
  };
  CHECK(fires("NP017", with("0.0.0.0/0")));
  CHECK(fires("NP017", with("\"::/0\"")));
  CHECK_FALSE(fires("NP017", with("198.51.100.0/24")));
}

TEST_CASE("every check has a unique ID and a name") {
  std::set<std::string> seen;
  for (const auto& c : lint_checks()) {
    CHECK(seen.insert(c.id).second);
    CHECK(std::string(c.name).size() > 3);
  }
  CHECK(seen.size() == 17);
}

TEST_CASE("docs/lint.md documents every check under its ID and name") {
  std::ifstream f(std::string(NETPOLC_SOURCE_DIR) + "/docs/lint.md");
  std::stringstream doc;
  doc << f.rdbuf();
  for (const auto& c : lint_checks()) {
    INFO(c.id << " " << c.name);
    CHECK(doc.str().find("\n## " + std::string(c.id) + " " + c.name + "\n") != std::string::npos);
  }
}
