#include "compiler/policy_parser.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace netpolc;
namespace fs = std::filesystem;

namespace {

// Removes the indentation common to every non-blank line, and the first line
// when blank, so that manifests can be indented inside raw strings.
std::string dedent(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  if (!lines.empty() && lines.front().find_first_not_of(" ") == std::string::npos)
    lines.erase(lines.begin());
  size_t indent = std::string::npos;
  for (const auto& l : lines) {
    size_t n = l.find_first_not_of(' ');
    if (n != std::string::npos) indent = std::min(indent, n);
  }
  std::string out;
  for (const auto& l : lines) out += (l.size() >= indent ? l.substr(indent) : "") + "\n";
  return out;
}

struct Parsed {
  PolicySet set;
  std::string diagnostics;  // formatted, with source lines
  size_t errors = 0;
};

Parsed parse_files(const std::vector<InputFile>& files) {
  SourceFiles sources;
  for (const auto& f : files) sources.add(f.name, f.text);
  Diagnostics diags;
  Parsed p;
  p.set = parse_policies(files, diags);
  p.diagnostics = format_diagnostics(diags, sources);
  p.errors = diags.error_count();
  return p;
}

Parsed parse(const std::string& yaml, const std::string& name = "np.yaml") {
  return parse_files({{name, dedent(yaml)}});
}

// The only policy of a manifest that must be valid.
Policy parse_one(const std::string& yaml) {
  Parsed p = parse(yaml);
  INFO(p.diagnostics);
  REQUIRE(p.errors == 0);
  REQUIRE(p.set.policies.size() == 1);
  return p.set.policies[0];
}

// The first line of each diagnostic: "file:line:col: error: field: message".
std::vector<std::string> headlines(const std::string& diagnostics) {
  std::vector<std::string> out;
  std::istringstream in(diagnostics);
  for (std::string line; std::getline(in, line);)
    if (line.find(": error: ") != std::string::npos) out.push_back(line);
  return out;
}

// The headlines joined by newlines, for comparisons that print well.
std::string heads(const std::string& diagnostics) {
  std::string out;
  for (const auto& l : headlines(diagnostics)) out += (out.empty() ? "" : "\n") + l;
  return out;
}

// A policy whose spec is `spec` (indented by two spaces under "spec:").
std::string with_spec(const std::string& spec) {
  std::string out =
      "apiVersion: networking.k8s.io/v1\n"
      "kind: NetworkPolicy\n"
      "metadata:\n"
      "  name: p\n"
      "spec:\n";
  std::istringstream in(spec);
  for (std::string line; std::getline(in, line);) out += "  " + line + "\n";
  return out;
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

// --- defaulting ---------------------------------------------------------------

TEST_CASE("egress: [] without policyTypes isolates ingress only") {
  Policy p = parse_one(R"(
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: p}
    spec:
      podSelector: {}
      egress: []
  )");
  CHECK(p.ingress);
  CHECK_FALSE(p.egress);
  CHECK(p.egress_rules.empty());
}

TEST_CASE("policyTypes absent with egress rules gives Ingress and Egress") {
  Policy p = parse_one(with_spec("podSelector: {}\negress:\n- to:\n  - podSelector: {}\n"));
  CHECK(p.ingress);
  CHECK(p.egress);
  CHECK(p.egress_rules.size() == 1);
}

TEST_CASE("an empty policyTypes list is defaulted like a missing one") {
  Policy p = parse_one(with_spec("podSelector: {}\npolicyTypes: []\negress:\n- {}\n"));
  CHECK(p.ingress);
  CHECK(p.egress);
}

TEST_CASE("policyTypes is used as given, and egress rules it leaves out are kept") {
  Policy p = parse_one(
      with_spec("podSelector: {}\npolicyTypes: [Ingress]\negress:\n- to:\n  - podSelector: {}\n"));
  CHECK(p.ingress);
  CHECK_FALSE(p.egress);
  CHECK(p.egress_rules.size() == 1);
  CHECK_FALSE(p.isolates(Direction::Egress));
}

TEST_CASE("policyTypes Egress alone does not isolate ingress") {
  Policy p = parse_one(with_spec("podSelector: {}\npolicyTypes: [Egress]\n"));
  CHECK_FALSE(p.ingress);
  CHECK(p.egress);
  Policy both = parse_one(with_spec("podSelector: {}\npolicyTypes: [Egress, Ingress]\n"));
  CHECK(both.ingress);
  CHECK(both.egress);
}

TEST_CASE("a policy without spec isolates every pod of its namespace for ingress") {
  Policy p =
      parse_one("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n");
  CHECK(p.pod_selector.selects_all());
  CHECK(p.ingress);
  CHECK_FALSE(p.egress);
  CHECK(p.ingress_rules.empty());
}

TEST_CASE("a missing or null podSelector selects every pod") {
  CHECK(parse_one(with_spec("policyTypes: [Ingress]\n")).pod_selector.selects_all());
  CHECK(parse_one(with_spec("podSelector:\npolicyTypes: [Ingress]\n")).pod_selector.selects_all());
}

TEST_CASE("metadata.namespace defaults to default, also when empty") {
  CHECK(parse_one(with_spec("podSelector: {}\n")).ns == "default");
  Policy p = parse_one(R"(
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: p, namespace: ""}
  )");
  CHECK(p.ns == "default");
  CHECK(parse_one("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                  "metadata: {name: p, namespace: shop}\n")
            .ns == "shop");
}

TEST_CASE("the usual metadata fields and status are accepted and ignored") {
  Policy p = parse_one(R"(
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: p
      namespace: shop
      labels: {team: shop}
      annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}", note: "any text at all"}
      uid: 0b7c4f0e-1a2b-4c3d-8e9f-001122334455
      resourceVersion: "12345"
      generation: 3
      creationTimestamp: "2024-01-01T00:00:00Z"
      managedFields: [{manager: kubectl, operation: Update}]
      selfLink: /apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/p
      finalizers: [example.com/keep]
      ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: x}]
      generateName: p-
      deletionTimestamp: null
      deletionGracePeriodSeconds: 30
    spec: {podSelector: {}}
    status: {conditions: []}
  )");
  CHECK(p.name == "p");
}

// --- ports --------------------------------------------------------------------

TEST_CASE("protocol defaults to TCP, and the IR says it was defaulted") {
  Policy p = parse_one(with_spec(
      "podSelector: {}\ningress:\n- ports:\n  - port: 80\n  - port: 53\n    protocol: UDP\n"
      "  - protocol: SCTP\n  - protocol: TCP\n    port: 443\n"));
  const auto& ports = p.ingress_rules.at(0).ports;
  REQUIRE(ports.size() == 4);
  CHECK(ports[0].protocol == Protocol::TCP);
  CHECK_FALSE(ports[0].protocol_given);
  CHECK(ports[0].port == 80);
  CHECK(ports[1].protocol == Protocol::UDP);
  CHECK(ports[1].protocol_given);
  CHECK(ports[2].protocol == Protocol::SCTP);
  CHECK_FALSE(ports[2].port);  // every SCTP port
  CHECK(ports[3].protocol == Protocol::TCP);
  CHECK(ports[3].protocol_given);
}

TEST_CASE("a port given as a name is a named port") {
  Policy p = parse_one(
      with_spec("podSelector: {}\ningress:\n- ports:\n  - port: http\n  - port: \"dns-tcp\"\n"));
  const auto& ports = p.ingress_rules.at(0).ports;
  CHECK(ports[0].name == "http");
  CHECK_FALSE(ports[0].port);
  CHECK(ports[1].name == "dns-tcp");
}

TEST_CASE("endPort makes an inclusive range from port") {
  Policy p = parse_one(
      with_spec("podSelector: {}\negress:\n- ports:\n  - port: 32000\n    endPort: 32768\n"
                "  - port: 8080\n    endPort: 8080\n"));
  const auto& ports = p.egress_rules.at(0).ports;
  CHECK(ports[0].port == 32000);
  CHECK(ports[0].end_port == 32768);
  CHECK(ports[1].end_port == 8080);
}

// --- peers --------------------------------------------------------------------

TEST_CASE("peers keep their selectors and ipBlocks") {
  Policy p = parse_one(R"(
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: p}
    spec:
      podSelector: {matchLabels: {app: db}}
      ingress:
      - from:
        - namespaceSelector: {matchLabels: {team: shop}}
          podSelector:
            matchExpressions:
            - {key: tier, operator: In, values: [web, api]}
            - {key: canary, operator: DoesNotExist}
        - namespaceSelector: {}
        - ipBlock:
            cidr: 10.0.0.0/8
            except: [10.1.0.0/16, 10.2.3.0/24]
        - ipBlock: {cidr: "fd00::/8", except: ["fd00:1::/32"]}
  )");
  const auto& peers = p.ingress_rules.at(0).peers;
  REQUIRE(peers.size() == 4);
  CHECK(peers[0].namespace_selector->match_labels == Labels{{"team", "shop"}});
  const auto& exprs = peers[0].pod_selector->match_expressions;
  REQUIRE(exprs.size() == 2);
  CHECK(exprs[0].key == "tier");
  CHECK(exprs[0].op == LabelRequirement::Op::In);
  CHECK(exprs[0].values == std::vector<std::string>{"web", "api"});
  CHECK(exprs[1].op == LabelRequirement::Op::DoesNotExist);
  CHECK(peers[1].namespace_selector->selects_all());
  CHECK_FALSE(peers[1].pod_selector);
  CHECK(format_cidr(peers[2].ip_block->cidr) == "10.0.0.0/8");
  REQUIRE(peers[2].ip_block->except.size() == 2);
  CHECK(format_cidr(peers[2].ip_block->except[1]) == "10.2.3.0/24");
  CHECK(format_cidr(peers[3].ip_block->cidr) == "fd00::/8");
  CHECK(p.pod_selector.match_labels == Labels{{"app", "db"}});
}

TEST_CASE("a rule with no peers or ports, and an empty rule, are kept as match-all") {
  Policy p = parse_one(with_spec(
      "podSelector: {}\npolicyTypes: [Egress]\negress:\n- to:\n  ports:\n  - port: 53\n- {}\n"));
  REQUIRE(p.egress_rules.size() == 2);
  CHECK(p.egress_rules[0].peers.empty());
  CHECK(p.egress_rules[0].ports.size() == 1);
  CHECK(p.egress_rules[1].peers.empty());
  CHECK(p.egress_rules[1].ports.empty());
}

// --- validation, one rule at a time ---------------------------------------------

struct BadSpec {
  const char* spec;      // under "spec:", see with_spec()
  const char* expected;  // the diagnostic's first line, after "np.yaml:"
};

TEST_CASE("each validation rule of the API server is enforced with a located message") {
  const BadSpec cases[] = {
      // peers
      {"ingress:\n- from:\n  - {}\n",
       "8:7: error: spec.ingress[0].from[0]: empty peer: set podSelector, namespaceSelector or "
       "ipBlock (to allow every address, leave out \"from\")"},
      {"ingress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/8}\n    namespaceSelector: {}\n",
       "8:7: error: spec.ingress[0].from[0]: ipBlock cannot be combined with podSelector or "
       "namespaceSelector in one peer; write them as separate peers"},
      {"ingress:\n- from:\n  - namespaceSelector:\n",
       "8:7: error: spec.ingress[0].from[0].namespaceSelector: expected an object, found null "
       "(write {} to select everything)"},
      // ipBlock
      {"ingress:\n- from:\n  - ipBlock: {}\n",
       "8:7: error: spec.ingress[0].from[0].ipBlock.cidr: missing required field"},
      {"ingress:\n- from:\n  - ipBlock: {cidr: 10.0.0.1/8}\n",
       "8:23: error: spec.ingress[0].from[0].ipBlock.cidr: cidr \"10.0.0.1/8\" has host bits "
       "set; did you mean 10.0.0.0/8?"},
      {"ingress:\n- from:\n  - ipBlock: {cidr: \"fd00::1/8\"}\n",
       "8:23: error: spec.ingress[0].from[0].ipBlock.cidr: cidr \"fd00::1/8\" has host bits "
       "set; did you mean fd00::/8?"},
      {"ingress:\n- from:\n  - ipBlock: {cidr: 010.0.0.0/8}\n",
       "8:23: error: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR \"010.0.0.0/8\": "
       "\"010.0.0.0\" is not an IP address"},
      {"ingress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/08}\n",
       "8:23: error: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR \"10.0.0.0/08\": the "
       "prefix length must be a number from 0 to 32"},
      {"ingress:\n- from:\n  - ipBlock: {cidr: \"fd00::/129\"}\n",
       "8:23: error: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR \"fd00::/129\": the "
       "prefix length must be a number from 0 to 128"},
      {"ingress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/7]}\n",
       "8:44: error: spec.ingress[0].from[0].ipBlock.except[0]: except entry \"10.0.0.0/7\" is "
       "outside cidr 10.0.0.0/8"},
      {"ingress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}\n",
       "8:44: error: spec.ingress[0].from[0].ipBlock.except[0]: except entry \"10.0.0.0/8\" is "
       "the whole of cidr 10.0.0.0/8; it must be strictly inside it"},
      {"ingress:\n- from:\n  - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0]}\n",
       "8:44: error: spec.ingress[0].from[0].ipBlock.except[0]: invalid CIDR \"10.0.0.0\": the "
       "prefix length is missing (did you mean 10.0.0.0/32?)"},
      {"ingress:\n- from:\n  - ipBlock: {cidr: [10.0.0.0/8]}\n",
       "8:23: error: spec.ingress[0].from[0].ipBlock.cidr: expected a string, found a list"},
      // ports
      {"ingress:\n- ports:\n  - port: 0\n",
       "8:13: error: spec.ingress[0].ports[0].port: port 0 is out of range 1-65535"},
      {"ingress:\n- ports:\n  - port: 65536\n",
       "8:13: error: spec.ingress[0].ports[0].port: port 65536 is out of range 1-65535"},
      {"ingress:\n- ports:\n  - port: 0443\n",
       "8:13: error: spec.ingress[0].ports[0].port: port 0443 has a leading zero, which YAML may "
       "read as octal; remove it"},
      {"ingress:\n- ports:\n  - port: \"80\"\n",
       "8:13: error: spec.ingress[0].ports[0].port: invalid port name \"80\": must contain at "
       "least one letter (write a port number without quotes)"},
      {"ingress:\n- ports:\n  - port: Http\n",
       "8:13: error: spec.ingress[0].ports[0].port: invalid port name \"Http\": must contain "
       "only lower-case letters, digits and '-'"},
      {"ingress:\n- ports:\n  - port: 1.5\n",
       "8:13: error: spec.ingress[0].ports[0].port: expected a port number or name, found a "
       "number 1.5"},
      {"ingress:\n- ports:\n  - port: {number: 80}\n",
       "8:13: error: spec.ingress[0].ports[0].port: expected a port number or name, found an "
       "object"},
      {"ingress:\n- ports:\n  - {port: 90, endPort: 80}\n",
       "8:27: error: spec.ingress[0].ports[0].endPort: endPort 80 is less than port 90"},
      {"ingress:\n- ports:\n  - {port: http, endPort: 80}\n",
       "8:29: error: spec.ingress[0].ports[0].endPort: endPort cannot be used with a named port "
       "(\"http\")"},
      {"ingress:\n- ports:\n  - {endPort: 80}\n",
       "8:17: error: spec.ingress[0].ports[0].endPort: endPort requires a numeric port"},
      {"ingress:\n- ports:\n  - {port: 80, endPort: 70000}\n",
       "8:27: error: spec.ingress[0].ports[0].endPort: endPort 70000 is out of range 1-65535"},
      {"ingress:\n- ports:\n  - {port: 80, endPort: \"90\"}\n",
       "8:27: error: spec.ingress[0].ports[0].endPort: expected an integer, found \"90\""},
      {"ingress:\n- ports:\n  - protocol: ICMP\n",
       "8:17: error: spec.ingress[0].ports[0].protocol: unsupported protocol \"ICMP\" (expected "
       "TCP, UDP or SCTP; NetworkPolicy cannot match ICMP)"},
      {"ingress:\n- ports:\n  - protocol: Tcp\n",
       "8:17: error: spec.ingress[0].ports[0].protocol: unsupported protocol \"Tcp\" (did you "
       "mean \"TCP\"?)"},
      // selectors
      {"podSelector:\n  matchExpressions:\n  - {key: a, operator: Gt, values: ['1']}\n",
       "8:26: error: spec.podSelector.matchExpressions[0].operator: unsupported operator \"Gt\" "
       "(expected In, NotIn, Exists or DoesNotExist)"},
      {"podSelector:\n  matchExpressions:\n  - {key: a, operator: notin, values: [x]}\n",
       "8:26: error: spec.podSelector.matchExpressions[0].operator: unsupported operator "
       "\"notin\" (did you mean \"NotIn\"?)"},
      {"podSelector:\n  matchExpressions:\n  - {key: a, operator: NotIn, values: []}\n",
       "8:41: error: spec.podSelector.matchExpressions[0].values: operator NotIn needs at least "
       "one value"},
      {"podSelector:\n  matchExpressions:\n  - {key: a, operator: DoesNotExist, values: [x]}\n",
       "8:48: error: spec.podSelector.matchExpressions[0].values: operator DoesNotExist takes no "
       "values"},
      {"podSelector:\n  matchExpressions:\n  - {key: a, operator: In, values: {a: b}}\n",
       "8:38: error: spec.podSelector.matchExpressions[0].values: expected a list, found an "
       "object"},
      {"podSelector:\n  matchExpressions:\n  - {operator: Exists}\n",
       "8:7: error: spec.podSelector.matchExpressions[0].key: missing required field"},
      {"podSelector:\n  matchExpressions:\n  - {key: -a, operator: Exists}\n",
       "8:13: error: spec.podSelector.matchExpressions[0].key: invalid label key \"-a\": must "
       "consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"},
      {"podSelector:\n  matchLabels: {app: \"-web\"}\n",
       "7:24: error: spec.podSelector.matchLabels.app: invalid label value \"-web\": must be empty "
       "or consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"},
      {"podSelector:\n  matchLabels: {version: 2}\n",
       "7:28: error: spec.podSelector.matchLabels.version: expected a string, found a number 2 "
       "(quote it: \"2\")"},
      {"podSelector:\n  matchLabels: {enabled: yes}\n",
       "7:28: error: spec.podSelector.matchLabels.enabled: expected a string, found a boolean "
       "yes (quote it: \"yes\")"},
      {"podSelector:\n  matchLabels: {example.com/: x}\n",
       "7:19: error: spec.podSelector.matchLabels.example.com/: invalid label key "
       "\"example.com/\": name part after '/' must not be empty"},
      // policyTypes and structure
      {"policyTypes: [ingress]\n",
       "6:17: error: spec.policyTypes[0]: unsupported policy type \"ingress\" (did you mean "
       "\"Ingress\"?)"},
      {"policyTypes: [Ingress, Ingress]\n",
       "6:26: error: spec.policyTypes[1]: \"Ingress\" is listed twice"},
      {"policyTypes: Egress\n", "6:16: error: spec.policyTypes: expected a list, found a scalar"},
      {"egress:\n- to: {podSelector: {}}\n",
       "7:9: error: spec.egress[0].to: expected a list, found an object"},
      {"ingress:\n- from: []\n  to: []\n", "8:5: error: spec.ingress[0].to: unknown field \"to\""},
      {"egress:\n- from: []\n", "7:5: error: spec.egress[0].from: unknown field \"from\""},
  };
  for (const auto& c : cases) {
    std::string spec = c.spec;
    CAPTURE(spec);
    Parsed p = parse_files({{"np.yaml", with_spec(c.spec)}});
    INFO(p.diagnostics);
    CHECK(p.set.policies.empty());
    auto lines = headlines(p.diagnostics);
    REQUIRE(!lines.empty());
    CHECK(lines[0] == std::string("np.yaml:") + c.expected);
    CHECK(lines.size() == 1);
  }
}

TEST_CASE("metadata is validated: name required, names and namespaces in DNS syntax") {
  auto first = [](const std::string& yaml) {
    auto lines = headlines(parse(yaml).diagnostics);
    return lines.empty() ? std::string() : lines[0];
  };
  CHECK(first("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {}\n") ==
        "np.yaml:3:1: error: metadata.name: missing required field");
  CHECK(first("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a.-b}\n") ==
        "np.yaml:3:18: error: metadata.name: invalid name \"a.-b\": must consist of lower-case "
        "letters, digits, '-' and '.', and start and end with a letter or digit");
  CHECK(first("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
              "metadata: {name: a, namespace: A}\n") ==
        "np.yaml:3:32: error: metadata.namespace: invalid namespace \"A\": must consist of "
        "lower-case letters, digits and '-', and start and end with a letter or digit");
  CHECK(first("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
              "metadata: {name: 80}\n") ==
        "np.yaml:3:18: error: metadata.name: expected a string, found a number 80 (quote it: "
        "\"80\")");
  CHECK(first("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
              "metadata: {name: a, labels: {\"a b\": x}}\n") ==
        "np.yaml:3:30: error: metadata.labels.a b: invalid label key \"a b\": must consist of "
        "letters, digits, '-', '_' or '.', and start and end with a letter or digit");
  CHECK(first("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
              "metadata: {name: a, annotations: {/x: z}}\n") ==
        "np.yaml:3:35: error: metadata.annotations./x: invalid annotation key \"/x\": prefix "
        "before '/' must not be empty");
  CHECK(first("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n"
              "spec: {podSelector: {}}\nstatus: {}\nextra: 1\n") ==
        "np.yaml:6:1: error: extra: unknown field \"extra\"");
}

TEST_CASE("plain scalars that YAML 1.1 reads as numbers, booleans or null are not strings") {
  auto first = [](const std::string& value) {
    auto lines = headlines(parse("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                                 "metadata: {name: a, annotations: {k: " + value + "}}\n")
                               .diagnostics);
    return lines.empty() ? std::string() : lines[0];
  };
  auto found = [](const std::string& what) {
    return "np.yaml:3:38: error: metadata.annotations.k: expected a string, found " + what +
           " (quote it: \"" + what.substr(what.rfind(' ') + 1) + "\")";
  };
  CHECK(first("_1") == found("a number _1"));  // '_' is ignored in YAML 1.1 numbers
  CHECK(first("1_000") == found("a number 1_000"));
  CHECK(first("0x1F") == found("a number 0x1F"));
  CHECK(first("-.inf") == found("a number -.inf"));
  CHECK(first(".5") == found("a number .5"));
  CHECK(first("Off") == found("a boolean Off"));
  CHECK(first("y") == found("a boolean y"));
  for (const char* text : {"x_1", "a1", "web", "_", "_a", "-", "o", "nope", "true1", "0x", "1.2.3"}) {
    CAPTURE(text);
    CHECK(first(text) == "");
  }
}

TEST_CASE("line breaks other than \\n and \\r\\n are refused where the first one is") {
  auto first = [](const std::string& yaml) {
    auto lines = headlines(parse_files({{"np.yaml", yaml}}).diagnostics);
    return lines.empty() ? std::string() : lines[0].substr(0, lines[0].find(" (a lone"));
  };
  const std::string head = "apiVersion: networking.k8s.io/v1\r\nkind: NetworkPolicy\r\n";
  const std::string refused = ": error: invalid YAML: a line break other than \\n or \\r\\n";
  CHECK(first(head + "metadata: {name: a}\r\n") == "");
  CHECK(first(head + "metadata: {name: a}\xE2\x80\xA8\n") == "np.yaml:3:20" + refused);  // LS
  CHECK(first(head + "metadata: {name: a}\xE2\x80\xA9") == "np.yaml:3:20" + refused);    // PS
  CHECK(first(head + "metadata: {name: a}\r") == "np.yaml:3:20" + refused);  // lone \r at the end
  CHECK(first(head + "metadata: {name: \"\xC2\x85\"}\rspec: {}\n") == "np.yaml:3:19" + refused);
  CHECK(first(head + "metadata: {name: \"\xE2\x82\xAC\"}\n") != "np.yaml:3:19" + refused);  // €
}

TEST_CASE("apiVersion and kind are checked") {
  auto first = [](const std::string& yaml) {
    auto lines = headlines(parse(yaml).diagnostics);
    return lines.empty() ? std::string() : lines[0];
  };
  CHECK(
      first("apiVersion: networking.k8s.io/v1beta1\nkind: NetworkPolicy\nmetadata: {name: a}\n") ==
      "np.yaml:1:13: error: apiVersion: unsupported apiVersion \"networking.k8s.io/v1beta1\" "
      "for kind NetworkPolicy (expected networking.k8s.io/v1)");
  CHECK(first("kind: NetworkPolicy\nmetadata: {name: a}\n") ==
        "np.yaml:1:1: error: apiVersion: missing required field");
  CHECK(first("apiVersion: v1\nkind: NetworkPolicies\n") ==
        "np.yaml:2:7: error: kind: unsupported kind \"NetworkPolicies\" (did you mean "
        "\"NetworkPolicy\"?)");
  CHECK(first("apiVersion: networking.k8s.io/v1\nkind: List\nitems: []\n").empty());
  CHECK(first("apiVersion: apps/v1\nkind: List\nitems: []\n") ==
        "np.yaml:1:13: error: apiVersion: unsupported apiVersion \"apps/v1\" for kind List "
        "(expected v1 or networking.k8s.io/v1)");
}

TEST_CASE("unknown and duplicate fields are reported once each, with did-you-mean") {
  Parsed p = parse(R"(
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: p}
    spec:
      podSelector: {}
      ingres:
      - from: []
      ingress: []
      ingress: []
  )");
  CHECK(heads(p.diagnostics) ==
        "np.yaml:6:3: error: spec.ingres: unknown field \"ingres\" (did you mean \"ingress\"?)"
        "\n"
        "np.yaml:9:3: error: spec.ingress: duplicate field \"ingress\"");
}

// --- the seeds' mis-indented examples -----------------------------------------------

TEST_CASE("seed NP-11's mis-indented examples are rejected at the misplaced fields") {
  const fs::path root = NETPOLC_SOURCE_DIR;
  for (const char* name : {"fixtures/errors/bad-np11-database-no-egress.yaml",
                           "fixtures/errors/bad-np11-api-gateway-limited-egress.yaml"}) {
    CAPTURE(name);
    Parsed p = parse_files({{name, read_text(root / name)}});
    CHECK(p.set.policies.empty());
    bool gateway = std::string(name).find("gateway") != std::string::npos;
    std::string at_selector = gateway ? ":20:5" : ":18:5";
    std::string at_ports = gateway ? ":23:3" : ":21:3";
    CHECK(heads(p.diagnostics) ==
          name + at_selector +
              ": error: spec.egress[0].podSelector: unknown field \"podSelector\"\n" + name +
              at_ports + ": error: spec.ports: unknown field \"ports\"");
  }
  // The caret sits under the field name.
  Parsed p = parse_files(
      {{"db.yaml", read_text(root / "fixtures/errors/bad-np11-database-no-egress.yaml")}});
  CHECK(p.diagnostics.find(" 18 |     podSelector:\n"
                           "    |     ^~~~~~~~~~~\n") != std::string::npos);
}

// --- inputs: lists, JSON, documents, files -----------------------------------------------

TEST_CASE("a NetworkPolicyList and a List of policies are read, items without kind in the former") {
  Parsed p = parse(R"(
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicyList
    metadata: {resourceVersion: "7"}
    items:
    - metadata: {name: b, namespace: x}
    - apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: a, namespace: x}
    ---
    apiVersion: v1
    kind: List
    items:
    - apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: c}
  )");
  INFO(p.diagnostics);
  CHECK(p.errors == 0);
  REQUIRE(p.set.policies.size() == 3);
  CHECK(p.set.policies[0].name == "c");  // default < x
  CHECK(p.set.policies[1].name == "a");
  CHECK(p.set.policies[2].name == "b");
}

TEST_CASE("a List item that is not a NetworkPolicy is an error, and the policies beside it stay") {
  Parsed p = parse(R"(
    apiVersion: v1
    kind: List
    items:
    - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: a}}
    - {apiVersion: v1, kind: Pod, metadata: {name: web}}
    - {metadata: {name: no-kind}}
    - not-an-object
  )");
  CHECK(heads(p.diagnostics) ==
        "np.yaml:5:26: error: items[1].kind: unsupported kind \"Pod\" in a List: a policy "
        "input must contain only NetworkPolicy objects"
        "\n"
        "np.yaml:6:3: error: items[2].kind: missing required field"
        "\n"
        "np.yaml:7:3: error: items[3]: expected an object, found a scalar");
  REQUIRE(p.set.policies.size() == 1);
  CHECK(p.set.policies[0].name == "a");
}

TEST_CASE("JSON input is read like YAML, quoted numbers included") {
  Parsed p = parse_files({{"np.json", R"({
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "json", "namespace": "shop", "labels": {"version": "2"}},
    "spec": {
      "podSelector": {"matchLabels": {"app": "web"}},
      "policyTypes": ["Ingress", "Egress"],
      "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"port": 8080}]}],
      "egress": [{"ports": [{"port": "dns", "protocol": "UDP"}]}]
    }
  })"}});
  INFO(p.diagnostics);
  CHECK(p.errors == 0);
  REQUIRE(p.set.policies.size() == 1);
  const Policy& pol = p.set.policies[0];
  CHECK(pol.ns == "shop");
  CHECK(pol.ingress_rules.at(0).ports.at(0).port == 8080);
  CHECK(pol.egress_rules.at(0).ports.at(0).name == "dns");

  Parsed bad =
      parse_files({{"bad.json",
                    "{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\",\n"
                    " \"metadata\": {\"name\": \"j\"},\n"
                    " \"spec\": {\"ingress\": [{\"ports\": [{\"port\": \"443\"}]}]}}\n"}});
  CHECK(heads(bad.diagnostics) ==
        "bad.json:3:43: error: spec.ingress[0].ports[0].port: invalid port name \"443\": must "
        "contain at least one letter (write a port number without quotes)");
}

TEST_CASE("every document of a multi-document file is read; empty ones are skipped") {
  Parsed p = parse(R"(
    ---
    # nothing here
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: b}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: bad}
    spec: {ingress: [{ports: [{port: 0}]}]}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: a}
    ...
  )");
  CHECK(p.errors == 1);
  REQUIRE(p.set.policies.size() == 2);
  CHECK(p.set.policies[0].name == "a");
  CHECK(p.set.policies[1].name == "b");
}

TEST_CASE("an empty file, or one of comments only, holds no policy and no error") {
  for (std::string text : {"", "\n", "# just a comment\n", "---\n", "---\n...\n"}) {
    CAPTURE(text);
    Parsed p = parse_files({{"empty.yaml", text}});
    CHECK(p.errors == 0);
    CHECK(p.set.policies.empty());
  }
}

TEST_CASE("a YAML syntax error is located, and the other files are still read") {
  Parsed p = parse_files({{"a.yaml", "apiVersion: [\n"},
                          {"b.yaml",
                           "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                           "metadata: {name: b}\n"}});
  auto lines = headlines(p.diagnostics);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("a.yaml:", 0) == 0);
  CHECK(lines[0].find("error: invalid YAML: ") != std::string::npos);
  CHECK(p.set.policies.size() == 1);
}

TEST_CASE("the same namespace/name twice is an error at the second, across files") {
  const std::string policy =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: dup\n";
  Parsed p = parse_files({{"one.yaml", policy}, {"two.yaml", "# again\n" + policy}});
  CHECK(heads(p.diagnostics) ==
        "two.yaml:5:9: error: metadata.name: duplicate NetworkPolicy "
        "default/dup, first defined at one.yaml:4:9");
  REQUIRE(p.set.policies.size() == 1);
  Parsed other_ns =
      parse_files({{"one.yaml", policy}, {"two.yaml", policy + "  namespace: other\n"}});
  CHECK(other_ns.errors == 0);
  CHECK(other_ns.set.policies.size() == 2);
}

TEST_CASE("policies come out sorted by namespace, then name") {
  auto doc = [](const char* ns, const char* name) {
    return std::string(
               "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ") +
           name + ", namespace: " + ns + "}\n";
  };
  Parsed p = parse_files(
      {{"x.yaml", doc("b", "a") + doc("a", "z") + doc("a", "b")}, {"y.yaml", doc("a", "c")}});
  REQUIRE(p.set.policies.size() == 4);
  std::vector<std::string> order;
  for (const auto& pol : p.set.policies) order.push_back(pol.ns + "/" + pol.name);
  CHECK(order == std::vector<std::string>{"a/b", "a/c", "a/z", "b/a"});
}

TEST_CASE("every IR node remembers where it came from") {
  Parsed parsed = parse(R"(
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: p}
    spec:
      podSelector:
        matchExpressions:
        - key: app
          operator: Exists
      egress:
      - to:
        - ipBlock:
            cidr: 10.0.0.0/8
        - namespaceSelector: {}
        ports:
        - port: 53
  )");
  REQUIRE(parsed.set.policies.size() == 1);
  const Policy& p = parsed.set.policies[0];
  auto at = [](const SourceLoc& l) {
    return l.file + ":" + std::to_string(l.line) + ":" + std::to_string(l.col);
  };
  CHECK(at(p.loc) == "np.yaml:1:1");
  CHECK(at(p.pod_selector.loc) == "np.yaml:6:5");
  CHECK(at(p.pod_selector.match_expressions[0].loc) == "np.yaml:7:7");
  const Rule& r = p.egress_rules[0];
  CHECK(at(r.loc) == "np.yaml:10:5");
  CHECK(at(r.peers[0].loc) == "np.yaml:11:7");
  CHECK(at(r.peers[0].ip_block->loc) == "np.yaml:12:9");
  CHECK(at(r.peers[1].loc) == "np.yaml:13:7");
  CHECK(at(r.peers[1].namespace_selector->loc) == "np.yaml:13:26");
  CHECK(at(r.ports[0].loc) == "np.yaml:15:7");
}

// --- the seeds ----------------------------------------------------------------------

TEST_CASE("every seed manifest parses without a diagnostic") {
  const fs::path root = NETPOLC_SOURCE_DIR;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root / "fixtures/seeds"))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  CHECK(files.size() == 18);
  for (const auto& f : files) {
    std::string rel = fs::relative(f, root).string();
    CAPTURE(rel);
    Parsed p = parse_files({{rel, read_text(f)}});
    CHECK(p.diagnostics == "");
    CHECK(p.set.policies.size() == 1);
  }
}

TEST_CASE("seed policies read as their seeds describe them") {
  const fs::path root = NETPOLC_SOURCE_DIR;
  auto seed = [&](const char* name) {
    Parsed p = parse_files({{name, read_text(root / "fixtures/seeds" / name)}});
    REQUIRE(p.set.policies.size() == 1);
    return p.set.policies[0];
  };
  // NP-11: egress: [] with policyTypes [Egress] blocks all egress of app=foo.
  Policy deny = seed("np11-foo-deny-egress.yaml");
  CHECK(deny.egress);
  CHECK_FALSE(deny.ingress);
  CHECK(deny.egress_rules.empty());
  CHECK(deny.pod_selector.match_labels == Labels{{"app", "foo"}});

  // NP-11 with DNS: one peer, namespace AND pod selector, 53/UDP and 53/TCP.
  Policy dns = seed("np11-foo-deny-egress-dns.yaml");
  REQUIRE(dns.egress_rules.size() == 1);
  const Peer& kube_dns = dns.egress_rules[0].peers.at(0);
  CHECK(kube_dns.namespace_selector->match_labels ==
        Labels{{"kubernetes.io/metadata.name", "kube-system"}});
  CHECK(kube_dns.pod_selector->match_labels == Labels{{"k8s-app", "kube-dns"}});
  CHECK(dns.egress_rules[0].ports.size() == 2);
  CHECK(dns.egress_rules[0].ports[0].protocol == Protocol::UDP);

  // Guide: "- to:" with nothing under it is port 53 to any address.
  Policy port53 = seed("guide-default-deny-all-egress-port53.yaml");
  REQUIRE(port53.egress_rules.size() == 1);
  CHECK(port53.egress_rules[0].peers.empty());
  CHECK(port53.egress_rules[0].ports.size() == 2);

  // Guide: "- {}" allows all egress of the labelled pods.
  Policy internet = seed("guide-internet-egress.yaml");
  REQUIRE(internet.egress_rules.size() == 1);
  CHECK(internet.egress_rules[0].peers.empty());
  CHECK(internet.egress_rules[0].ports.empty());
  CHECK(internet.pod_selector.match_labels == Labels{{"networking/allow-internet-egress", "true"}});

  // NP-12: the metadata service carved out of 0.0.0.0/0.
  Policy api = seed("np12-app-allow-external-api.yaml");
  const IpBlock& block = *api.egress_rules.at(0).peers.at(0).ip_block;
  CHECK(format_cidr(block.cidr) == "0.0.0.0/0");
  CHECK(format_cidr(block.except.at(0)) == "169.254.169.254/32");

  // Zero trust: namespace app, default deny without an egress field.
  Policy zt = seed("zero-trust/default-deny-egress.yaml");
  CHECK(zt.ns == "app");
  CHECK(zt.egress);
  CHECK_FALSE(zt.ingress);
}

// --- robustness ---------------------------------------------------------------------

TEST_CASE("hostile input is reported, never thrown") {
  const char* inputs[] = {
      "kind: [NetworkPolicy]\n",
      "? [a, b]\n: c\n",
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: {a: b}}\n",
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: [name]\n",
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: 5\n",
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n"
      "spec: {ingress: [{from: [{ipBlock: {cidr: {x: 1}, except: {y: 2}}}]}]}\n",
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n"
      "spec: {ingress: [{ports: [{port: 99999999999999999999999999, endPort: "
      "-99999999999999999999}]}]}\n",
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n"
      "spec: {podSelector: {matchExpressions: [{key: [a], operator: {b: c}, values: [[x]]}]}}\n",
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n"
      "spec: {podSelector: {matchLabels: {? [x] : y, z: [w]}}}\n",
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n"
      "spec: {egress: [[], 5, ~, {to: [[], ~, 7]}], policyTypes: [[Egress], ~]}\n",
      "a: &x [*x]\n",
      "*undefined\n",
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: &m {name: a}\n"
      "spec: {podSelector: *m}\n",
      "!!binary aGVsbG8=\n",
      "apiVersion: !!binary aGVsbG8=\nkind: NetworkPolicyList\nitems: {a: b}\n",
      "kind: List\napiVersion: v1\nitems: [{kind: List, apiVersion: v1, items: []}]\n",
      "\xff\xfegarbage: [\x01",
      "\x01\x02\x03",
      // yaml-cpp 0.7's LoadAll, the reader before libyaml, looped for ever on these.
      ",",
      "&a ,",
      "!!str ,",
      "apiVersion: v1\n---\n,\n",
      "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{",
  };
  std::vector<std::string> texts(std::begin(inputs), std::end(inputs));
  texts.push_back(std::string(100000, '['));
  // A few kilobytes that alias their way to 27 million requirements.
  auto repeat = [](const std::string& s, int n) {
    std::string out = s;
    for (int i = 1; i < n; ++i) out += ", " + s;
    return out;
  };
  texts.push_back(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bomb}\nx:\n"
      "  m: &m {key: a, operator: Exists}\n"
      "  e: &e [" +
      repeat("*m", 300) +
      "]\n"
      "  q: &q {podSelector: {matchExpressions: *e}}\n"
      "  p: &p [" +
      repeat("*q", 300) +
      "]\n"
      "  r: &r {from: *p}\n"
      "spec:\n  ingress: [" +
      repeat("*r", 300) + "]\n");
  texts.push_back(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n"
      "spec: &s {ingress: [{from: [*s]}]}\n");
  for (const std::string& text : texts) {
    CAPTURE(text);
    Diagnostics diags;
    CHECK_NOTHROW(parse_policies({{"h.yaml", text}}, diags));
    CHECK(diags.has_errors());
  }
  // The alias bomb, many times over, is refused once, at the document that
  // runs out the budget.
  std::vector<InputFile> bombs(20, InputFile{"bomb.yaml", texts[texts.size() - 2]});
  Diagnostics diags;
  CHECK(parse_policies(bombs, diags).policies.empty());
  CHECK(diags.error_count() == 1);
}

TEST_CASE("no fixture, cut short or with a line removed, makes the parser throw") {
  const fs::path root = NETPOLC_SOURCE_DIR;
  for (const char* dir : {"fixtures/seeds", "fixtures/errors"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      if (!e.is_regular_file() || e.path().extension() == ".md") continue;
      std::string text = read_text(e.path());
      CAPTURE(e.path().string());
      for (size_t cut = 0; cut < text.size(); cut += 7) {
        Diagnostics diags;
        CHECK_NOTHROW(parse_policies({{"cut.yaml", text.substr(0, cut)}}, diags));
      }
      for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\n', start);
        end = end == std::string::npos ? text.size() : end + 1;
        Diagnostics diags;
        CHECK_NOTHROW(
            parse_policies({{"cut.yaml", text.substr(0, start) + text.substr(end)}}, diags));
        start = end;
      }
    }
  }
}
