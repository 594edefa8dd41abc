#include "compiler/snapshot_parser.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace netpolc;

namespace {

// Test inputs are written indented inside raw strings; this removes the
// first newline and the indentation of the first line from every line, so
// that line and column numbers are those of the text as it reads.
std::string dedent(const char* raw) {
  std::string text = raw;
  if (!text.empty() && text[0] == '\n') text.erase(0, 1);
  size_t indent = text.find_first_not_of(' ');
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos) {  // blank, or the indentation before )"
      if (!lines.eof()) out += "\n";
      continue;
    }
    out += line.substr(std::min(indent, start)) + "\n";
  }
  return out;
}

struct Parsed {
  Cluster cluster;
  std::string diagnostics;  // as printed
  size_t errors = 0;
};

Parsed parse_files(const std::vector<InputFile>& files) {
  Diagnostics diags;
  SourceFiles sources;
  for (const auto& f : files) sources.add(f.name, f.text);
  Parsed out;
  out.cluster = parse_snapshot(files, diags);
  out.diagnostics = format_diagnostics(diags, sources);
  out.errors = diags.error_count();
  return out;
}

Parsed parse(const char* raw, const std::string& name = "snap.yaml") {
  return parse_files({{name, dedent(raw)}});
}

InputFile fixture(const std::string& name) {
  std::ifstream in(std::string(NETPOLC_SOURCE_DIR) + "/fixtures/snapshots/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  REQUIRE_MESSAGE(!text.str().empty(), "missing fixture " << name);
  return {"fixtures/snapshots/" + name, text.str()};
}

std::string join_labels(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

std::string describe(const Pod& p) {
  std::string out = "pod " + p.ns + "/" + p.name + " {" + join_labels(p.labels) + "}";
  for (const auto& ip : p.ips) out += " " + format_ip(ip);
  for (const auto& port : p.ports) {
    out += " ";
    if (!port.name.empty()) out += port.name + "=";
    out += std::to_string(port.port) + "/" + protocol_name(port.protocol);
  }
  if (p.host_network) out += " hostNetwork";
  if (!p.phase.empty()) out += " " + p.phase;
  return out;
}

// The whole cluster, one line per namespace, pod and DNS server, without
// source locations: what two equal snapshots must agree on.
std::string describe(const Cluster& c) {
  std::string out;
  for (const auto& ns : c.namespaces) out += "namespace " + ns.name + " {" + join_labels(ns.labels) + "}\n";
  for (const auto& p : c.pods) out += describe(p) + "\n";
  for (const auto& ip : c.dns_servers) out += "dns " + format_ip(ip) + "\n";
  return out;
}

const Pod* find_pod(const Cluster& c, const std::string& ns, const std::string& name) {
  for (const auto& p : c.pods)
    if (p.ns == ns && p.name == name) return &p;
  return nullptr;
}

}  // namespace

// --- kubectl output ---------------------------------------------------------

TEST_CASE("kubectl yaml output of a small cluster is read without diagnostics") {
  Parsed r = parse_files({fixture("kubectl-small.yaml")});
  CHECK(r.diagnostics == "");
  const Cluster& c = r.cluster;
  REQUIRE(c.namespaces.size() == 3);
  CHECK(c.namespaces[0].name == "app");
  CHECK(join_labels(c.namespaces[0].labels) == "env=prod,kubernetes.io/metadata.name=app,team=shop");
  CHECK(c.pods.size() == 8);
  CHECK(c.dns_servers.empty());

  const Pod* dns = find_pod(c, "kube-system", "coredns-5d78c9869d-7xk2p");
  REQUIRE(dns);
  CHECK(describe(*dns) ==
        "pod kube-system/coredns-5d78c9869d-7xk2p {k8s-app=kube-dns,pod-template-hash=5d78c9869d} "
        "10.244.0.2 dns=53/UDP dns-tcp=53/TCP metrics=9153/TCP Running");
  CHECK(dns->enforced());
  CHECK(dns->loc == SourceLoc{"fixtures/snapshots/kubectl-small.yaml", 605, 11, 24});
}

TEST_CASE("kubectl yaml output: dual-stack, hostNetwork, finished and pending pods") {
  Cluster c = parse_files({fixture("kubectl-small.yaml")}).cluster;
  const Pod* web = find_pod(c, "app", "web-7c9f8d6b5-x8k2m");
  REQUIRE(web);
  CHECK(describe(*web) ==
        "pod app/web-7c9f8d6b5-x8k2m {app=web,pod-template-hash=7c9f8d6b5,tier=frontend} "
        "10.244.1.5 fd00:10:244:1::5 http=8080/TCP proxy=15001/TCP proxy-admin=15000/TCP Running");

  const Pod* proxy = find_pod(c, "kube-system", "kube-proxy-8xk2n");
  REQUIRE(proxy);
  CHECK(proxy->host_network);
  CHECK_FALSE(proxy->enforced());

  const Pod* job = find_pod(c, "app", "db-migrate-28391-xk2lp");
  REQUIRE(job);
  CHECK(job->phase == "Succeeded");
  CHECK(job->ips.size() == 1);
  CHECK_FALSE(job->enforced());

  const Pod* pending = find_pod(c, "app", "worker-6d5f7c8b9-q2w4e");
  REQUIRE(pending);
  CHECK(pending->phase == "Pending");
  CHECK(pending->ips.empty());
  CHECK_FALSE(pending->enforced());

  const Pod* nginx = find_pod(c, "default", "nginx");
  REQUIRE(nginx);
  CHECK(describe(*nginx) == "pod default/nginx {run=nginx} 10.244.2.4 80/TCP Running");
}

TEST_CASE("kubectl json and yaml output of one cluster read to equal clusters") {
  Parsed yaml = parse_files({fixture("kubectl-small.yaml")});
  Parsed json = parse_files({fixture("kubectl-small.json")});
  CHECK(yaml.diagnostics == "");
  CHECK(json.diagnostics == "");
  CHECK(json.cluster.pods.size() == 8);
  CHECK(describe(json.cluster) == describe(yaml.cluster));
}

TEST_CASE("json input has locations too") {
  Parsed r = parse(R"(
    {"kind": "Pod", "apiVersion": "v1",
     "metadata": {"name": "a", "namespace": "default"},
     "status": {"podIP": "10.0.0.300"}}
  )", "pod.json");
  CHECK(r.diagnostics ==
        "pod.json:3:22: error: status.podIP: \"10.0.0.300\" is not an IP address\n"
        " 3 |  \"status\": {\"podIP\": \"10.0.0.300\"}}\n"
        "   |                      ^~~~~~~~~~\n"
        "pod.json:2:41: warning: metadata.namespace: namespace \"default\" is not in the "
        "snapshot; assuming it exists with only the label kubernetes.io/metadata.name=default\n"
        " 2 |  \"metadata\": {\"name\": \"a\", \"namespace\": \"default\"},\n"
        "   |                                         ^~~~~~~\n");
}

TEST_CASE("every namespace carries kubernetes.io/metadata.name with its own name") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: Namespace
    metadata:
      name: team-a
      labels:
        kubernetes.io/metadata.name: something-else
        team: a
    ---
    apiVersion: v1
    kind: Namespace
    metadata:
      name: team-b
  )");
  CHECK(r.diagnostics == "");
  CHECK(describe(r.cluster) ==
        "namespace team-a {kubernetes.io/metadata.name=team-a,team=a}\n"
        "namespace team-b {kubernetes.io/metadata.name=team-b}\n");
}

TEST_CASE("a pod in a namespace the snapshot lacks creates it, with one warning per namespace") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: List
    items:
    - kind: Pod
      apiVersion: v1
      metadata: {name: a, namespace: ghost}
    - kind: Pod
      apiVersion: v1
      metadata: {name: b, namespace: ghost}
    - kind: Pod
      apiVersion: v1
      metadata: {name: c}
  )");
  CHECK(r.errors == 0);
  CHECK(r.diagnostics ==
        "snap.yaml:12:20: warning: items[2].metadata.namespace: namespace \"default\" is not in "
        "the snapshot; assuming it exists with only the label "
        "kubernetes.io/metadata.name=default\n"
        " 12 |   metadata: {name: c}\n"
        "    |                    ^\n"
        "snap.yaml:6:34: warning: items[0].metadata.namespace: namespace \"ghost\" is not in the "
        "snapshot; assuming it exists with only the label kubernetes.io/metadata.name=ghost\n"
        " 6 |   metadata: {name: a, namespace: ghost}\n"
        "   |                                  ^~~~~\n");
  CHECK(describe(r.cluster) ==
        "namespace default {kubernetes.io/metadata.name=default}\n"
        "namespace ghost {kubernetes.io/metadata.name=ghost}\n"
        "pod default/c {}\n"
        "pod ghost/a {}\n"
        "pod ghost/b {}\n");
}

TEST_CASE("a namespace listed after its pods, or in another file, is not implicit") {
  Parsed r = parse_files({
      {"pods.yaml", "kind: Pod\napiVersion: v1\nmetadata: {name: a, namespace: x}\n"},
      {"ns.yaml", "kind: Namespace\napiVersion: v1\nmetadata: {name: x, labels: {team: x}}\n"},
  });
  CHECK(r.diagnostics == "");
  CHECK(describe(r.cluster) ==
        "namespace x {kubernetes.io/metadata.name=x,team=x}\n"
        "pod x/a {}\n");
}

TEST_CASE("a pod without metadata.namespace is in default") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: Namespace
    metadata: {name: default}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: lonely}
  )");
  CHECK(r.diagnostics == "");
  REQUIRE(r.cluster.pods.size() == 1);
  CHECK(r.cluster.pods[0].ns == "default");
}

TEST_CASE("status.podIPs gives the addresses, status.podIP only when podIPs is absent") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: List
    items:
    - {apiVersion: v1, kind: Namespace, metadata: {name: x}}
    - apiVersion: v1
      kind: Pod
      metadata: {name: old, namespace: x}
      status: {podIP: 10.0.0.1}
    - apiVersion: v1
      kind: Pod
      metadata: {name: dual, namespace: x}
      status:
        podIP: "fd00::2"
        podIPs: [{ip: "fd00::2"}, {ip: 10.0.0.2}]
    - apiVersion: v1
      kind: Pod
      metadata: {name: empty-list, namespace: x}
      status: {podIP: 10.0.0.3, podIPs: []}
    - apiVersion: v1
      kind: Pod
      metadata: {name: none, namespace: x}
      status: {phase: Pending}
    - apiVersion: v1
      kind: Pod
      metadata: {name: unset, namespace: x}
      status: {podIP: ""}
  )");
  CHECK(r.diagnostics == "");
  CHECK(describe(r.cluster) ==
        "namespace x {kubernetes.io/metadata.name=x}\n"
        "pod x/dual {} 10.0.0.2 fd00::2\n"
        "pod x/empty-list {} 10.0.0.3\n"
        "pod x/none {} Pending\n"
        "pod x/old {} 10.0.0.1\n"
        "pod x/unset {}\n");
}

TEST_CASE("status.podIP that disagrees with status.podIPs[0] is an error") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: Pod
    metadata: {name: a, namespace: x}
    status:
      podIP: 10.0.0.9
      podIPs: [{ip: 10.0.0.1}]
    ---
    {apiVersion: v1, kind: Namespace, metadata: {name: x}}
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:5:10: error: status.podIP: status.podIP 10.0.0.9 is not status.podIPs[0].ip "
        "10.0.0.1\n"
        " 5 |   podIP: 10.0.0.9\n"
        "   |          ^~~~~~~~\n");
}

TEST_CASE("ports of sidecars (init containers with restartPolicy Always) count, others do not") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: Pod
    metadata: {name: a, namespace: default}
    spec:
      initContainers:
      - name: setup
        ports: [{containerPort: 1111, name: setup}]
      - name: mesh
        restartPolicy: Always
        ports: [{containerPort: 15001, name: mesh}, {containerPort: 15020, protocol: UDP}]
      containers:
      - name: app
        ports: [{containerPort: 8080, name: http}]
    ---
    {apiVersion: v1, kind: Namespace, metadata: {name: default}}
  )");
  CHECK(r.diagnostics == "");
  REQUIRE(r.cluster.pods.size() == 1);
  CHECK(describe(r.cluster.pods[0]) == "pod default/a {} 15020/UDP http=8080/TCP mesh=15001/TCP");
}

TEST_CASE("other kinds in a list or alone are skipped without a word") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: List
    items:
    - apiVersion: v1
      kind: Service
      metadata: {name: web, namespace: x}
      spec: {ports: [{port: 80, targetPort: http}], selector: {app: web}}
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: x}
      spec: {replicas: 2, template: {spec: {containers: [{name: c, ports: [{containerPort: 99999}]}]}}}
    - apiVersion: v1
      kind: Node
      metadata: {name: worker-1}
      status: {addresses: [{address: 172.18.0.2, type: InternalIP}]}
    - {apiVersion: v1, kind: Namespace, metadata: {name: x}}
    ---
    apiVersion: v1
    kind: Node
    metadata: {name: worker-2}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: deny, namespace: x}
    spec: {podSelector: {}}
  )");
  CHECK(r.diagnostics == "");
  CHECK(describe(r.cluster) == "namespace x {kubernetes.io/metadata.name=x}\n");
}

TEST_CASE("single objects, multi-document files, NamespaceList and PodList are all read") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: NamespaceList
    items:
    - metadata: {name: a}
    ---
    apiVersion: v1
    kind: PodList
    items:
    - metadata: {name: p1, namespace: a}
      status: {podIP: 10.0.0.1}
    ---
    # an empty document
    ---
    apiVersion: v1
    kind: Namespace
    metadata: {name: b}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: p2, namespace: b}
    ---
  )");
  CHECK(r.diagnostics == "");
  CHECK(describe(r.cluster) ==
        "namespace a {kubernetes.io/metadata.name=a}\n"
        "namespace b {kubernetes.io/metadata.name=b}\n"
        "pod a/p1 {} 10.0.0.1\n"
        "pod b/p2 {}\n");
}

TEST_CASE("a Pod that is not core v1 is skipped with a warning") {
  Parsed r = parse(R"(
    apiVersion: example.com/v1
    kind: Pod
    metadata: {name: a}
  )");
  CHECK(r.errors == 0);
  CHECK(r.diagnostics ==
        "snap.yaml:1:13: warning: apiVersion: skipping a Pod of apiVersion \"example.com/v1\": "
        "only core v1 objects are read\n"
        " 1 | apiVersion: example.com/v1\n"
        "   |             ^~~~~~~~~~~~~~\n");
  CHECK(r.cluster.pods.empty());
}

TEST_CASE("the cluster comes out sorted, with ports sorted and deduplicated") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: List
    items:
    - {apiVersion: v1, kind: Namespace, metadata: {name: zeta}}
    - {apiVersion: v1, kind: Namespace, metadata: {name: alpha}}
    - apiVersion: v1
      kind: Pod
      metadata: {name: b, namespace: zeta}
    - apiVersion: v1
      kind: Pod
      metadata: {name: a, namespace: zeta}
      spec:
        containers:
        - ports:
          - {containerPort: 9000, name: web}
          - {containerPort: 80}
          - {containerPort: 53, protocol: UDP}
          - {containerPort: 53}
        - ports:
          - {containerPort: 80, protocol: TCP}
          - {containerPort: 9000, name: web}
      status:
        podIPs: [{ip: "fd00::1"}, {ip: 10.0.0.1}]
    - apiVersion: v1
      kind: Pod
      metadata: {name: c, namespace: alpha}
  )");
  CHECK(r.diagnostics == "");
  CHECK(describe(r.cluster) ==
        "namespace alpha {kubernetes.io/metadata.name=alpha}\n"
        "namespace zeta {kubernetes.io/metadata.name=zeta}\n"
        "pod alpha/c {}\n"
        "pod zeta/a {} 10.0.0.1 fd00::1 53/TCP 53/UDP 80/TCP web=9000/TCP\n"
        "pod zeta/b {}\n");
}

TEST_CASE("unknown fields of kubectl objects are ignored, but what is read is type-checked") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: Pod
    metadata:
      name: a
      namespace: x
      labels: [app, web]
      someFutureField: {anything: [1, 2]}
    spec:
      hostNetwork: "yes"
      containers:
      - name: c
        ports:
        - {containerPort: "80"}
        - {containerPort: 70000}
        - {containerPort: 53, protocol: udp}
        - {containerPort: 8080, name: Http_Port}
        - {name: missing}
    status:
      phase: Running
      podIPs: [10.0.0.1]
    ---
    {apiVersion: v1, kind: Namespace, metadata: {name: x}}
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:6:11: error: metadata.labels: expected an object, found a list\n"
        " 6 |   labels: [app, web]\n"
        "   |           ^\n"
        "snap.yaml:9:16: error: spec.hostNetwork: expected true or false, found \"yes\"\n"
        " 9 |   hostNetwork: \"yes\"\n"
        "   |                ^~~\n"
        "snap.yaml:13:23: error: spec.containers[0].ports[0].containerPort: expected an integer, "
        "found \"80\"\n"
        " 13 |     - {containerPort: \"80\"}\n"
        "    |                       ^~\n"
        "snap.yaml:14:23: error: spec.containers[0].ports[1].containerPort: port 70000 is out of "
        "range 1-65535\n"
        " 14 |     - {containerPort: 70000}\n"
        "    |                       ^~~~~\n"
        "snap.yaml:15:37: error: spec.containers[0].ports[2].protocol: unsupported protocol "
        "\"udp\" (expected TCP, UDP or SCTP)\n"
        " 15 |     - {containerPort: 53, protocol: udp}\n"
        "    |                                     ^~~\n"
        "snap.yaml:16:35: error: spec.containers[0].ports[3].name: invalid port name "
        "\"Http_Port\": must contain only lower-case letters, digits and '-'\n"
        " 16 |     - {containerPort: 8080, name: Http_Port}\n"
        "    |                                   ^~~~~~~~~\n"
        "snap.yaml:17:7: error: spec.containers[0].ports[4].containerPort: missing required "
        "field\n"
        " 17 |     - {name: missing}\n"
        "    |       ^\n"
        "snap.yaml:20:12: error: status.podIPs[0]: expected an object, found a scalar\n"
        " 20 |   podIPs: [10.0.0.1]\n"
        "    |            ^~~~~~~~\n");
}

TEST_CASE("a pod IP that is not an IP address is an error") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: List
    items:
    - {apiVersion: v1, kind: Namespace, metadata: {name: x}}
    - apiVersion: v1
      kind: Pod
      metadata: {name: a, namespace: x}
      status:
        podIPs:
        - ip: 10.244.1
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:10:11: error: items[1].status.podIPs[0].ip: \"10.244.1\" is not an IP address\n"
        " 10 |     - ip: 10.244.1\n"
        "    |           ^~~~~~~~\n");
}

TEST_CASE("a pod has at most one IPv4 and one IPv6 address") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: Pod
    metadata: {name: a, namespace: x}
    status:
      podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}, {ip: 10.0.0.2}]
    ---
    {apiVersion: v1, kind: Namespace, metadata: {name: x}}
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:5:50: error: status.podIPs[2].ip: pod already has an IPv4 address (10.0.0.1); "
        "a pod has at most one IPv4 and one IPv6 address\n"
        " 5 |   podIPs: [{ip: 10.0.0.1}, {ip: \"fd00::1\"}, {ip: 10.0.0.2}]\n"
        "   |                                                  ^~~~~~~~\n");
  CHECK(describe(r.cluster.pods.at(0)) == "pod x/a {} 10.0.0.1 fd00::1");
}

TEST_CASE("two ports of one pod with the same name are an error; identical ones are merged") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: Pod
    metadata: {name: dns, namespace: x}
    spec:
      containers:
      - ports:
        - {containerPort: 53, name: dns, protocol: UDP}
        - {containerPort: 9153, name: metrics}
      - ports:
        - {containerPort: 53, name: dns}
        - {containerPort: 9153, name: metrics}
    ---
    {apiVersion: v1, kind: Namespace, metadata: {name: x}}
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:10:33: error: spec.containers[1].ports[0].name: duplicate port name \"dns\" in "
        "pod \"x/dns\" (53/UDP and 53/TCP)\n"
        " 10 |     - {containerPort: 53, name: dns}\n"
        "    |                                 ^~~\n"
        "snap.yaml:7:33: note: spec.containers[0].ports[0].name: port name \"dns\" first used "
        "here\n"
        " 7 |     - {containerPort: 53, name: dns, protocol: UDP}\n"
        "   |                                 ^~~\n");
}

TEST_CASE("a pod or namespace given twice is an error at the second") {
  Parsed r = parse_files({
      {"a.yaml", "kind: Pod\napiVersion: v1\nmetadata: {name: web, namespace: x}\n"
                 "---\nkind: Namespace\napiVersion: v1\nmetadata: {name: x}\n"},
      {"b.yaml", "kind: List\napiVersion: v1\nitems:\n"
                 "- {kind: Namespace, apiVersion: v1, metadata: {name: x}}\n"
                 "- {kind: Pod, apiVersion: v1, metadata: {name: web, namespace: x}}\n"},
  });
  CHECK(r.diagnostics ==
        "b.yaml:4:54: error: items[0].metadata.name: duplicate namespace \"x\"\n"
        " 4 | - {kind: Namespace, apiVersion: v1, metadata: {name: x}}\n"
        "   |                                                      ^\n"
        "a.yaml:7:18: note: namespace \"x\" first defined here\n"
        " 7 | metadata: {name: x}\n"
        "   |                  ^\n"
        "b.yaml:5:48: error: items[1].metadata.name: duplicate pod \"x/web\"\n"
        " 5 | - {kind: Pod, apiVersion: v1, metadata: {name: web, namespace: x}}\n"
        "   |                                                ^~~\n"
        "a.yaml:3:18: note: pod \"x/web\" first defined here\n"
        " 3 | metadata: {name: web, namespace: x}\n"
        "   |                  ^~~\n");
  CHECK(r.cluster.pods.size() == 1);
  CHECK(r.cluster.namespaces.size() == 1);
}

TEST_CASE("two enforced pods with one address are an error naming both") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: List
    items:
    - {apiVersion: v1, kind: Namespace, metadata: {name: x}}
    - {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: x}, status: {podIP: 10.0.0.7}}
    - {apiVersion: v1, kind: Pod, metadata: {name: b, namespace: x}, status: {podIP: 10.0.0.7}}
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:6:82: error: items[2].status.podIP: pods \"x/b\" and \"x/a\" both have the "
        "address 10.0.0.7\n"
        " 6 | - {apiVersion: v1, kind: Pod, metadata: {name: b, namespace: x}, status: {podIP: "
        "10.0.0.7}}\n"
        "   |                                                                                  "
        "^~~~~~~~\n"
        "snap.yaml:5:82: note: items[1].status.podIP: pod \"x/a\" has it here\n"
        " 5 | - {apiVersion: v1, kind: Pod, metadata: {name: a, namespace: x}, status: {podIP: "
        "10.0.0.7}}\n"
        "   |                                                                                  "
        "^~~~~~~~\n");
}

TEST_CASE("a third pod with a shared address is reported against the first") {
  Parsed r = parse(R"(
    apiVersion: netpolc/v1
    kind: Inventory
    namespaces: {x: {}}
    pods:
      x/a: {ips: [10.0.0.1]}
      x/b: {ips: [10.0.0.1]}
      x/c: {ips: [10.0.0.1]}
  )");
  CHECK(r.errors == 2);
  CHECK(r.diagnostics.find("pods \"x/b\" and \"x/a\" both have the address 10.0.0.1") !=
        std::string::npos);
  CHECK(r.diagnostics.find("pods \"x/c\" and \"x/a\" both have the address 10.0.0.1") !=
        std::string::npos);
}

TEST_CASE("finished and hostNetwork pods may share an address with others") {
  Parsed r = parse(R"(
    apiVersion: v1
    kind: List
    items:
    - {apiVersion: v1, kind: Namespace, metadata: {name: x}}
    - {apiVersion: v1, kind: Pod, metadata: {name: done, namespace: x}, status: {podIP: 10.0.0.7, phase: Succeeded}}
    - {apiVersion: v1, kind: Pod, metadata: {name: new, namespace: x}, status: {podIP: 10.0.0.7, phase: Running}}
    - {apiVersion: v1, kind: Pod, metadata: {name: failed, namespace: x}, status: {podIP: 10.0.0.7, phase: Failed}}
    - {apiVersion: v1, kind: Pod, metadata: {name: proxy-1, namespace: x}, spec: {hostNetwork: true}, status: {podIP: 172.18.0.2}}
    - {apiVersion: v1, kind: Pod, metadata: {name: proxy-2, namespace: x}, spec: {hostNetwork: true}, status: {podIP: 172.18.0.2}}
  )");
  CHECK(r.diagnostics == "");
  CHECK(r.cluster.pods.size() == 5);
}

TEST_CASE("documents that are not objects, or lack a kind, are errors, not crashes") {
  Parsed r = parse(R"(
    - just a list
    ---
    plain scalar
    ---
    metadata: {name: a}
    ---
    kind: [Pod]
    ---
    kind: List
    items: {not: a list}
    ---
    kind: List
    items: [7, null]
    ---
    kind: Pod
    metadata: [a]
    ---
    kind: Pod
    metadata: {name: {a: b}, namespace: 5}
    ---
    kind: Pod
    metadata: {namespace: x}
    ---
    kind: Pod
    metadata: {name: ""}
    ---
    kind: Pod
    metadata: {name: p}
    spec: [1]
    status: 3
    ---
    kind: Pod
    metadata: {name: q}
    spec: {containers: {a: b}, initContainers: [1, {restartPolicy: [x], ports: 5}]}
    status: {podIPs: {ip: 1}, podIP: [1]}
    ---
    kind: Pod
    metadata: {name: r}
    spec: {containers: [{ports: [1, {containerPort: 1, name: [x], protocol: {}}]}]}
    status: {podIPs: [{}, {ip: [1]}, {ip: 10.0.0.1}], phase: [Running]}
  )");
  CHECK(r.errors == 24);
  CHECK(r.diagnostics.find("snap.yaml:1:1: error: expected an object, found a list\n") == 0);
}

TEST_CASE("a list inside a list is an error, and a self-referencing alias is refused unread") {
  Parsed r = parse(R"(
    {kind: List, items: [{kind: List, items: []}, {kind: PodList, items: []}]}
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:1:29: error: items[0].kind: a List cannot be an item of a list\n"
        " 1 | {kind: List, items: [{kind: List, items: []}, {kind: PodList, items: []}]}\n"
        "   |                             ^~~~\n"
        "snap.yaml:1:54: error: items[1].kind: a PodList cannot be an item of a list\n"
        " 1 | {kind: List, items: [{kind: List, items: []}, {kind: PodList, items: []}]}\n"
        "   |                                                      ^~~~~~~\n");
  r = parse(R"(
    &l {kind: List, items: [*l, {kind: PodList, items: []}]}
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:1:1: error: document nested more than 256 levels deep (or an alias inside "
        "itself); it is not read\n"
        " 1 | &l {kind: List, items: [*l, {kind: PodList, items: []}]}\n"
        "   | ^\n");
}

TEST_CASE("a stray comma at the top level is a syntax error, not an endless loop") {
  // yaml-cpp 0.7's LoadAll, the reader before libyaml, never returned on
  // these (jbeder/yaml-cpp#1040).
  Parsed r = parse_files({{"a.yaml", "- a\n,\n"}, {"b.yaml", ","}, {"c.yaml", "kind: Pod\n---\n, x\n"}});
  CHECK(r.diagnostics ==
        "a.yaml:2:1: error: invalid YAML: did not find expected '-' indicator, found \",\" (while "
        "parsing a block collection that starts at 1:1)\n"
        " 2 | ,\n"
        "   | ^\n"
        "b.yaml:1:1: error: invalid YAML: did not find expected node content, found \",\"\n"
        " 1 | ,\n"
        "   | ^\n"
        "c.yaml:3:1: error: invalid YAML: did not find expected node content, found \",\"\n"
        " 3 | , x\n"
        "   | ^\n");
}

TEST_CASE("a YAML syntax error names the file and position") {
  Parsed r = parse(R"(
    kind: Pod
    metadata: {name: a
  )");
  CHECK(r.errors == 1);
  INFO(r.diagnostics);
  CHECK(r.diagnostics.rfind("snap.yaml:2:19: error: invalid YAML: did not find expected ',' or '}', found the end of the "
                              "input (the '{' at 2:11 is not closed)", 0) == 0);
}

// --- the lab inventory --------------------------------------------------------

TEST_CASE("the lab inventory fixture is read without diagnostics") {
  Parsed r = parse_files({fixture("lab.yaml")});
  CHECK(r.diagnostics == "");
  CHECK(describe(r.cluster) ==
        "namespace kube-system {kubernetes.io/metadata.name=kube-system}\n"
        "namespace payments {env=lab,kubernetes.io/metadata.name=payments,pci=true,team=payments}\n"
        "namespace shop {env=lab,kubernetes.io/metadata.name=shop,team=shop}\n"
        "pod kube-system/coredns-a {k8s-app=kube-dns} 10.96.1.2 fd00:96::1:2 dns=53/UDP "
        "dns-tcp=53/TCP metrics=9153/TCP\n"
        "pod payments/gateway {app=gateway} 10.244.2.20 fd00:244::2:20 diameter=3868/SCTP "
        "https=443/TCP syslog=514/UDP Running\n"
        "pod payments/node-agent {app=node-agent} 172.18.0.3 hostNetwork\n"
        "pod shop/cart {app=cart} 10.244.1.11 9100/TCP grpc=9090/TCP\n"
        "pod shop/frontend {app=frontend,tier=web} 10.244.1.10 fd00:244::1:10 http=8080/TCP "
        "https=8443/TCP\n"
        "pod shop/report-28391 {app=report} 10.244.1.12 Succeeded\n"
        "dns 10.96.0.10\n"
        "dns fd00:96::a\n");
  const Pod* cart = find_pod(r.cluster, "shop", "cart");
  REQUIRE(cart);
  CHECK(cart->loc == SourceLoc{"fixtures/snapshots/lab.yaml", 18, 3, 9});
}

TEST_CASE("the inventory example of the brief reads as documented") {
  Parsed r = parse(R"(
    apiVersion: netpolc/v1
    kind: Inventory
    namespaces:               # name -> labels (kubernetes.io/metadata.name is implicit)
      x: {ns: x}
      kube-system: {}
    pods:                     # "namespace/name" -> pod
      x/a:
        labels: {pod: a}
        ips: [10.244.1.1, "fd00::1:1"]
        ports: ["serve-80-tcp=80/TCP", "81/UDP", "53"]
        hostNetwork: false
        phase: Running
      x/b:
    dnsServers: [10.96.0.10]
  )");
  CHECK(r.diagnostics == "");
  CHECK(describe(r.cluster) ==
        "namespace kube-system {kubernetes.io/metadata.name=kube-system}\n"
        "namespace x {kubernetes.io/metadata.name=x,ns=x}\n"
        "pod x/a {pod=a} 10.244.1.1 fd00::1:1 53/TCP 81/UDP serve-80-tcp=80/TCP Running\n"
        "pod x/b {}\n"
        "dns 10.96.0.10\n");
}

TEST_CASE("unknown inventory fields are errors with a did-you-mean") {
  Parsed r = parse(R"(
    apiVersion: netpolc/v1
    kind: Inventory
    namespace:
      x: {}
    pods:
      x/a:
        label: {app: a}
        ips: [10.0.0.1]
        hostnetwork: true
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:3:1: error: namespace: unknown field \"namespace\" (did you mean "
        "\"namespaces\"?)\n"
        " 3 | namespace:\n"
        "   | ^~~~~~~~~\n"
        "snap.yaml:7:5: error: pods[\"x/a\"].label: unknown field \"label\" (did you mean "
        "\"labels\"?)\n"
        " 7 |     label: {app: a}\n"
        "   |     ^~~~~\n"
        "snap.yaml:9:5: error: pods[\"x/a\"].hostnetwork: unknown field \"hostnetwork\" (did you "
        "mean \"hostNetwork\"?)\n"
        " 9 |     hostnetwork: true\n"
        "   |     ^~~~~~~~~~~\n"
        "snap.yaml:6:3: warning: pods[\"x/a\"]: namespace \"x\" is not in the snapshot; assuming "
        "it exists with only the label kubernetes.io/metadata.name=x\n"
        " 6 |   x/a:\n"
        "   |   ^~~\n");
}

TEST_CASE("bad inventory port strings are located errors") {
  Parsed r = parse(R"(
    apiVersion: netpolc/v1
    kind: Inventory
    namespaces: {x: {}}
    pods:
      x/a:
        ports: ["80", "http", "http=", "=80", "0", "65536", "080", "80/tcp", "80/", "-web=1", "Web=2", "web=3/UDP/TCP", "1234567", [1]]
  )");
  std::string d = r.diagnostics;
  auto has = [&](const std::string& line) {
    INFO(line);
    CHECK(d.find(line + "\n") != std::string::npos);
  };
  has("snap.yaml:6:19: error: pods[\"x/a\"].ports[1]: invalid port \"http\": expected "
      "[name=]port[/TCP|UDP|SCTP]");
  has("snap.yaml:6:27: error: pods[\"x/a\"].ports[2]: invalid port \"http=\": expected "
      "[name=]port[/TCP|UDP|SCTP]");
  has("snap.yaml:6:36: error: pods[\"x/a\"].ports[3]: invalid port name \"\": must not be empty");
  has("snap.yaml:6:43: error: pods[\"x/a\"].ports[4]: port 0 is out of range 1-65535");
  has("snap.yaml:6:48: error: pods[\"x/a\"].ports[5]: port 65536 is out of range 1-65535");
  has("snap.yaml:6:57: error: pods[\"x/a\"].ports[6]: invalid port \"080\": expected "
      "[name=]port[/TCP|UDP|SCTP]");
  has("snap.yaml:6:64: error: pods[\"x/a\"].ports[7]: unsupported protocol \"tcp\" (expected TCP, "
      "UDP or SCTP)");
  has("snap.yaml:6:74: error: pods[\"x/a\"].ports[8]: unsupported protocol \"\" (expected TCP, UDP "
      "or SCTP)");
  has("snap.yaml:6:81: error: pods[\"x/a\"].ports[9]: invalid port name \"-web\": must not begin or "
      "end with '-'");
  has("snap.yaml:6:91: error: pods[\"x/a\"].ports[10]: invalid port name \"Web\": must contain only "
      "lower-case letters, digits and '-'");
  has("snap.yaml:6:100: error: pods[\"x/a\"].ports[11]: unsupported protocol \"UDP/TCP\" (expected "
      "TCP, UDP or SCTP)");
  has("snap.yaml:6:117: error: pods[\"x/a\"].ports[12]: invalid port \"1234567\": expected "
      "[name=]port[/TCP|UDP|SCTP]");
  has("snap.yaml:6:128: error: pods[\"x/a\"].ports[13]: expected a string, found a list");
  CHECK(r.errors == 13);
  CHECK(describe(r.cluster.pods.at(0)) == "pod x/a {} 80/TCP");
}

TEST_CASE("an inventory port given twice is error-free, a name given twice is not") {
  Parsed r = parse(R"(
    apiVersion: netpolc/v1
    kind: Inventory
    namespaces: {x: {}}
    pods:
      x/a:
        ports: ["web=80", "web=80/TCP", "web=81"]
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:6:37: error: pods[\"x/a\"].ports[2]: duplicate port name \"web\" in pod \"x/a\" "
        "(80/TCP and 81/TCP)\n"
        " 6 |     ports: [\"web=80\", \"web=80/TCP\", \"web=81\"]\n"
        "   |                                     ^~~~~~\n"
        "snap.yaml:6:13: note: pods[\"x/a\"].ports[0]: port name \"web\" first used here\n"
        " 6 |     ports: [\"web=80\", \"web=80/TCP\", \"web=81\"]\n"
        "   |             ^~~~~~\n");
}

TEST_CASE("malformed inventory pod keys and names are errors") {
  Parsed r = parse(R"(
    apiVersion: netpolc/v1
    kind: Inventory
    namespaces:
      Bad_NS: {}
      x: {"bad key!": v, ok: "bad value!"}
    pods:
      no-slash: {}
      x/a/b: {}
      /a: {}
      x/: {}
      x/A: {}
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:4:3: error: namespaces[\"Bad_NS\"]: invalid namespace name \"Bad_NS\": must be "
        "lower-case letters, digits and '-', at most 63, starting and ending with a letter or "
        "digit\n"
        " 4 |   Bad_NS: {}\n"
        "   |   ^~~~~~\n"
        "snap.yaml:5:7: error: namespaces[\"x\"].bad key!: invalid label key \"bad key!\"\n"
        " 5 |   x: {\"bad key!\": v, ok: \"bad value!\"}\n"
        "   |       ^~~~~~~~\n"
        "snap.yaml:5:26: error: namespaces[\"x\"].ok: invalid label value \"bad value!\"\n"
        " 5 |   x: {\"bad key!\": v, ok: \"bad value!\"}\n"
        "   |                          ^~~~~~~~~~\n"
        "snap.yaml:7:3: error: pods[\"no-slash\"]: invalid pod key \"no-slash\": expected "
        "\"namespace/name\" (lower-case letters, digits, '-' and '.')\n"
        " 7 |   no-slash: {}\n"
        "   |   ^~~~~~~~\n"
        "snap.yaml:8:3: error: pods[\"x/a/b\"]: invalid pod key \"x/a/b\": expected "
        "\"namespace/name\" (lower-case letters, digits, '-' and '.')\n"
        " 8 |   x/a/b: {}\n"
        "   |   ^~~~~\n"
        "snap.yaml:9:3: error: pods[\"/a\"]: invalid pod key \"/a\": expected \"namespace/name\" "
        "(lower-case letters, digits, '-' and '.')\n"
        " 9 |   /a: {}\n"
        "   |   ^~\n"
        "snap.yaml:10:3: error: pods[\"x/\"]: invalid pod key \"x/\": expected \"namespace/name\" "
        "(lower-case letters, digits, '-' and '.')\n"
        " 10 |   x/: {}\n"
        "    |   ^~\n"
        "snap.yaml:11:3: error: pods[\"x/A\"]: invalid pod key \"x/A\": expected "
        "\"namespace/name\" (lower-case letters, digits, '-' and '.')\n"
        " 11 |   x/A: {}\n"
        "    |   ^~~\n");
}

TEST_CASE("bad inventory addresses, phases and types are located errors") {
  Parsed r = parse(R"(
    apiVersion: netpolc/v1
    kind: Inventory
    namespaces: {x: {kubernetes.io/metadata.name: y}}
    pods:
      x/a:
        ips: [10.0.0.256, "fd00::1", "fd00::2"]
        phase: running
        hostNetwork: 1
      x/b: [1]
    dnsServers: [10.96.0.10, dns.local]
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:3:47: error: namespaces[\"x\"].kubernetes.io/metadata.name: the label "
        "kubernetes.io/metadata.name is always the namespace name \"x\"\n"
        " 3 | namespaces: {x: {kubernetes.io/metadata.name: y}}\n"
        "   |                                               ^\n"
        "snap.yaml:6:11: error: pods[\"x/a\"].ips[0]: \"10.0.0.256\" is not an IP address\n"
        " 6 |     ips: [10.0.0.256, \"fd00::1\", \"fd00::2\"]\n"
        "   |           ^~~~~~~~~~\n"
        "snap.yaml:6:34: error: pods[\"x/a\"].ips[2]: pod already has an IPv6 address (fd00::1); a "
        "pod has at most one IPv4 and one IPv6 address\n"
        " 6 |     ips: [10.0.0.256, \"fd00::1\", \"fd00::2\"]\n"
        "   |                                  ^~~~~~~\n"
        "snap.yaml:8:18: error: pods[\"x/a\"].hostNetwork: expected true or false, found \"1\"\n"
        " 8 |     hostNetwork: 1\n"
        "   |                  ^\n"
        "snap.yaml:7:12: error: pods[\"x/a\"].phase: unknown phase \"running\" (did you mean "
        "\"Running\"?)\n"
        " 7 |     phase: running\n"
        "   |            ^~~~~~~\n"
        "snap.yaml:9:8: error: pods[\"x/b\"]: expected an object, found a list\n"
        " 9 |   x/b: [1]\n"
        "   |        ^\n"
        "snap.yaml:10:26: error: dnsServers[1]: \"dns.local\" is not an IP address\n"
        " 10 | dnsServers: [10.96.0.10, dns.local]\n"
        "    |                          ^~~~~~~~~\n");
  CHECK(describe(r.cluster) ==
        "namespace x {kubernetes.io/metadata.name=x}\n"
        "pod x/a {} fd00::1\n"
        "pod x/b {}\n"
        "dns 10.96.0.10\n");
}

TEST_CASE("two inventory pods with one address are an error naming both") {
  Parsed r = parse(R"(
    apiVersion: netpolc/v1
    kind: Inventory
    namespaces: {x: {}}
    pods:
      x/a: {ips: [10.0.0.1]}
      x/b: {ips: ["fd00::1", 10.0.0.1]}
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:6:26: error: pods[\"x/b\"].ips[1]: pods \"x/b\" and \"x/a\" both have the "
        "address 10.0.0.1\n"
        " 6 |   x/b: {ips: [\"fd00::1\", 10.0.0.1]}\n"
        "   |                          ^~~~~~~~\n"
        "snap.yaml:5:15: note: pods[\"x/a\"].ips[0]: pod \"x/a\" has it here\n"
        " 5 |   x/a: {ips: [10.0.0.1]}\n"
        "   |               ^~~~~~~~\n");
}

TEST_CASE("a pod in an inventory and in kubectl output is a duplicate") {
  Parsed r = parse_files({
      {"lab.yaml", "apiVersion: netpolc/v1\nkind: Inventory\npods:\n  x/a: {}\n"},
      {"kubectl.yaml", "kind: Pod\napiVersion: v1\nmetadata: {name: a, namespace: x}\n"},
  });
  CHECK(r.diagnostics ==
        "kubectl.yaml:3:18: error: metadata.name: duplicate pod \"x/a\"\n"
        " 3 | metadata: {name: a, namespace: x}\n"
        "   |                  ^\n"
        "lab.yaml:4:3: note: pod \"x/a\" first defined here\n"
        " 4 |   x/a: {}\n"
        "   |   ^~~\n"
        "lab.yaml:4:3: warning: pods[\"x/a\"]: namespace \"x\" is not in the snapshot; assuming it "
        "exists with only the label kubernetes.io/metadata.name=x\n"
        " 4 |   x/a: {}\n"
        "   |   ^~~\n");
}

TEST_CASE("inventories and kubectl output mix in one run") {
  Parsed r = parse_files({fixture("lab.yaml"),
                          {"kubectl.json", R"({"apiVersion": "v1", "kind": "List", "items": [
                              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}},
                              {"apiVersion": "v1", "kind": "Pod",
                               "metadata": {"name": "w", "namespace": "web"},
                               "status": {"podIP": "10.244.9.9"}}]})"},
                          {"more.yaml", "apiVersion: netpolc/v1\nkind: Inventory\n"
                                        "dnsServers: [10.96.0.10, 10.96.0.11]\n"}});
  CHECK(r.diagnostics == "");
  CHECK(r.cluster.namespaces.size() == 4);
  CHECK(r.cluster.pods.size() == 7);
  CHECK(describe(*find_pod(r.cluster, "web", "w")) == "pod web/w {} 10.244.9.9");
  CHECK(r.cluster.dns_servers.size() == 3);
}

TEST_CASE("the inventory apiVersion and kind are checked") {
  Parsed r = parse(R"(
    apiVersion: netpolc/v2
    kind: Inventory
    ---
    apiVersion: netpolc/v1
    kind: Inventroy
    ---
    kind: Inventory
  )");
  CHECK(r.diagnostics ==
        "snap.yaml:1:13: error: apiVersion: unsupported apiVersion \"netpolc/v2\" for kind "
        "Inventory (expected netpolc/v1)\n"
        " 1 | apiVersion: netpolc/v2\n"
        "   |             ^~~~~~~~~~\n"
        "snap.yaml:5:7: error: kind: unsupported kind \"Inventroy\" for apiVersion netpolc/v1 "
        "(expected Inventory)\n"
        " 5 | kind: Inventroy\n"
        "   |       ^~~~~~~~~\n"
        "snap.yaml:7:1: error: apiVersion: missing required field\n"
        " 7 | kind: Inventory\n"
        "   | ^\n");
}

// --- hostile input ----------------------------------------------------------------

std::string repeated(const std::string& s, int n) {
  std::string out = s;
  for (int i = 1; i < n; ++i) out += ", " + s;
  return out;
}

TEST_CASE("an alias bomb in a snapshot is refused once, before it is walked") {
  // 300 pods x 300 containers x 300 ports: 27 million ports once expanded.
  std::string bomb = "apiVersion: v1\nkind: List\nx:\n  pt: &pt {containerPort: 80}\n  ps: &ps [" +
                     repeated("*pt", 300) + "]\n  c: &c {ports: *ps}\n  cs: &cs [" +
                     repeated("*c", 300) +
                     "]\n  p: &p {kind: Pod, metadata: {name: a}, spec: {containers: *cs}}\n"
                     "items: [" +
                     repeated("*p", 300) + "]\n";
  Parsed r = parse_files(std::vector<InputFile>(5, InputFile{"bomb.yaml", bomb}));
  CHECK(r.errors == 1);
  CHECK(r.diagnostics.find("bomb.yaml:1:1: error: input too large once YAML aliases are expanded") == 0);
  CHECK(r.cluster.pods.empty());
}

TEST_CASE("a document nested deeper than the limit is skipped, the next one read") {
  std::string deep = "kind: List\nitems: " + std::string(300, '[') + std::string(300, ']') + "\n";
  Parsed r = parse_files({{"deep.yaml", deep + "---\n{kind: Namespace, metadata: {name: x}}\n"}});
  CHECK(r.errors == 1);
  CHECK(r.diagnostics.find("deep.yaml:1:1: error: document nested more than 256 levels deep") == 0);
  REQUIRE(r.cluster.namespaces.size() == 1);
  CHECK(r.cluster.namespaces[0].name == "x");
}

TEST_CASE("documents past the limit of a run are refused as they are met") {
  // Each document costs a reader something, even an empty one: the limit is
  // counted over every input of the run.
  std::string half(kMaxDocuments / 2 * 4, '-');
  for (size_t i = 3; i < half.size(); i += 4) half[i] = '\n';
  Parsed r = parse_files({{"a.yaml", half}, {"b.yaml", half}, {"c.yaml", "---\n---\n"}});
  CHECK(r.errors == 1);
  CHECK(r.diagnostics.find("c.yaml:1:1: error: more than 1000000 YAML documents in one run") == 0);
}

// --- scale ----------------------------------------------------------------------

TEST_CASE("ten thousand pods are read in one pass") {
  std::string text = "apiVersion: netpolc/v1\nkind: Inventory\nnamespaces: {x: {}}\npods:\n";
  for (int i = 0; i < 10000; ++i) {
    text += "  x/p" + std::to_string(i) + ": {ips: [10.1." + std::to_string(i / 250) + "." +
            std::to_string(i % 250 + 1) + "], ports: [\"http=8080\"]}\n";
  }
  Parsed r = parse_files({{"big.yaml", text}});
  CHECK(r.diagnostics == "");
  CHECK(r.cluster.pods.size() == 10000);
  CHECK(std::is_sorted(r.cluster.pods.begin(), r.cluster.pods.end(),
                       [](const Pod& a, const Pod& b) { return a.name < b.name; }));
}
