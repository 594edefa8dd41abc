// Generates a synthetic cluster (lab inventory) and a policy set with a
// realistic mix, for benchmarks:
//   generate --pods N --out DIR
// writes DIR/cluster.yaml and DIR/policies.yaml. About 100 pods per namespace
// in apps of 4 pods, about one policy per 2 pods: per namespace a default deny
// (both directions), DNS egress to kube-dns, and per app an ingress allow from
// the previous app (and from frontends and backends of another team) on a
// named port, per app an egress allow to the next app, and (every sixth app)
// egress to the internet on 443 with except blocks, IPv4 and IPv6: 52
// policies per 100 pods.
// A quarter of the pods are dual-stack. Pods are 10.244.0.0/16 (up to 65000).
//
// It also writes the traffic of the packet-path benchmark (bench/packet-path),
// IPv4 flows `SRC DST udp|tcp PORT` between addresses of the cluster, spread
// over all its namespaces:
//   DIR/flows-allowed.txt  app 2k -> app 2k+1 on its named port (both pods'
//                          chains allow), and pod -> kube-dns on 53/UDP
//   DIR/flows-denied.txt   pod -> a pod of another app (its egress chain drops),
//                          and 198.51.100.0/24 -> pod (its ingress chain drops)
// `--flow-pods N` draws the flows from the first N pods only (default: all):
// clusters of different sizes compared with the same working set.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "bench/pod_addresses.h"

namespace {

struct Options {
  long pods = 1000;
  long flow_pods = 0;  // the traffic's pods: the first N (0: all)
  std::string out = ".";
};

constexpr long kMaxPods = 65000;  // the addresses of bench/pod_addresses.h
constexpr long kAppsPerNamespace = 25;

using netpolc::bench::ip4;
using netpolc::bench::ip6;

void write_cluster(const Options& o, long namespaces, std::ostream& out) {
  out << "apiVersion: netpolc/v1\nkind: Inventory\nnamespaces:\n  kube-system: {}\n";
  for (long n = 0; n < namespaces; ++n)
    out << "  ns" << n << ": {team: team" << n % 20 << ", env: " << (n % 3 ? "prod" : "dev") << "}\n";
  out << "pods:\n";
  for (int d = 0; d < 2; ++d)
    out << "  kube-system/coredns-" << d << ":\n    labels: {k8s-app: kube-dns}\n    ips: [10.244.255." << 10 + d
        << "]\n    ports: [\"dns=53/UDP\", \"dns-tcp=53/TCP\"]\n";
  for (long i = 0; i < o.pods; ++i) {
    long ns = i / 100, app = (i % 100) / 4;
    out << "  ns" << ns << "/app" << app << "-" << i % 4 << ":\n";
    out << "    labels: {app: app" << app << ", tier: " << (app % 3 == 0 ? "frontend" : app % 3 == 1 ? "backend" : "db")
        << ", version: v" << i % 2 << "}\n";
    out << "    ips: [" << ip4(i);
    if (i % 4 == 0) out << ", \"" << ip6(i) << "\"";
    out << "]\n    ports: [\"http=" << 8000 + app % 10 << "/TCP\", \"metrics=9090/TCP\"]\n";
  }
}

void policy_header(std::ostream& out, long ns, const std::string& name) {
  out << "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " << name
      << ", namespace: ns" << ns << "}\nspec:\n";
}

void write_policies(long namespaces, long apps_per_ns, std::ostream& out) {
  for (long ns = 0; ns < namespaces; ++ns) {
    policy_header(out, ns, "default-deny");
    out << "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n";
    policy_header(out, ns, "allow-dns");
    out << "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n"
           "    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n"
           "      podSelector: {matchLabels: {k8s-app: kube-dns}}\n"
           "    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n";
    for (long a = 0; a < apps_per_ns; ++a) {
      long peer = (a + 1) % apps_per_ns, previous = (a + apps_per_ns - 1) % apps_per_ns;
      policy_header(out, ns, "app" + std::to_string(a) + "-ingress");
      out << "  podSelector: {matchLabels: {app: app" << a << "}}\n  ingress:\n  - from:\n"
          << "    - podSelector: {matchLabels: {app: app" << previous << "}}\n"
          << "    - namespaceSelector: {matchLabels: {team: team" << (ns + 1) % 20 << "}}\n"
          << "      podSelector: {matchExpressions: [{key: tier, operator: In, values: [frontend, backend]}]}\n"
          << "    ports: [{port: http}, {port: 9090}]\n";
      policy_header(out, ns, "app" + std::to_string(a) + "-egress");
      out << "  podSelector: {matchLabels: {app: app" << a << "}}\n  policyTypes: [Egress]\n  egress:\n"
          << "  - to: [{podSelector: {matchLabels: {app: app" << peer << "}}}]\n    ports: [{port: http}]\n";
      if (a % 6 == 0)
        out << "  - to:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 169.254.169.254/32]}\n"
            << "    - ipBlock: {cidr: \"::/0\", except: [\"fd00::/8\"]}\n    ports: [{port: 443}]\n";
    }
  }
}

// Pod i's app, and the pod of app `app` in the same namespace with i's place in its app.
long app_of(long i) { return (i % 100) / 4; }
long pod_of_app(long i, long app) { return i / 100 * 100 + app * 4 + i % 4; }

std::string http_port(long pod) { return std::to_string(8000 + app_of(pod) % 10); }

void write_flows(const Options& o, std::ostream& allowed, std::ostream& denied) {
  // Pods visited in a scattered order (a stride coprime with the count), 4096 flows each.
  const long flows = 4096, stride = 7919;
  const long among = o.flow_pods > 0 && o.flow_pods < o.pods ? o.flow_pods : o.pods;
  for (long j = 0; j < flows; ++j) {
    long i = (j * stride) % among;
    long a = app_of(i);
    if (j % 2 == 0) {
      long src = pod_of_app(i, a - a % 2), dst = pod_of_app(i, (a - a % 2 + 1) % kAppsPerNamespace);
      if (src < o.pods && dst < o.pods) allowed << ip4(src) << " " << ip4(dst) << " tcp " << http_port(dst) << "\n";
    } else {
      allowed << ip4(i) << " 10.244.255." << 10 + j % 4 / 2 << " udp 53\n";
    }
    if (j % 2 == 0) {
      long dst = pod_of_app(i, (a + 2) % kAppsPerNamespace);
      if (dst < o.pods) denied << ip4(i) << " " << ip4(dst) << " udp " << http_port(dst) << "\n";
    } else {
      denied << "198.51.100." << 1 + j % 254 << " " << ip4(i) << " tcp " << http_port(i) << "\n";
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--pods") o.pods = std::atol(argv[i + 1]);
    else if (a == "--flow-pods") o.flow_pods = std::atol(argv[i + 1]);
    else if (a == "--out") o.out = argv[i + 1];
    else {
      std::cerr << "usage: generate --pods N [--flow-pods N] --out DIR\n";
      return 2;
    }
  }
  if (o.pods < 1 || o.pods > kMaxPods) {
    std::cerr << "generate: --pods must be 1 to " << kMaxPods << "\n";
    return 2;
  }
  long namespaces = (o.pods + 99) / 100;
  std::ofstream cluster(o.out + "/cluster.yaml"), policies(o.out + "/policies.yaml");
  std::ofstream allowed(o.out + "/flows-allowed.txt"), denied(o.out + "/flows-denied.txt");
  write_cluster(o, namespaces, cluster);
  write_policies(namespaces, kAppsPerNamespace, policies);
  write_flows(o, allowed, denied);
  return cluster && policies && allowed && denied ? 0 : 1;
}
