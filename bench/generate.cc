// Generates a synthetic cluster (lab inventory) and a policy set with a
// realistic mix, for benchmarks:
//   generate --pods N --out DIR [--seed S]
// writes DIR/cluster.yaml and DIR/policies.yaml. About 100 pods per namespace
// in apps of 4 pods, about one policy per 2 pods: per namespace a default deny
// (both directions), DNS egress to kube-dns, and per app an ingress allow from
// another app on a named port, an egress allow to another app, and (every
// third app) egress to the internet on 443 with except blocks, IPv4 and IPv6.
// A quarter of the pods are dual-stack.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "bench/pod_addresses.h"

namespace {

struct Options {
  long pods = 1000;
  std::string out = ".";
};

using netpolc::bench::ip4;
using netpolc::bench::ip6;

void write_cluster(const Options& o, long namespaces, std::ostream& out) {
  out << "apiVersion: netpolc/v1\nkind: Inventory\nnamespaces:\n  kube-system: {}\n";
  for (long n = 0; n < namespaces; ++n)
    out << "  ns" << n << ": {team: team" << n % 20 << ", env: " << (n % 3 ? "prod" : "dev") << "}\n";
  out << "pods:\n";
  for (int d = 0; d < 2; ++d)
    out << "  kube-system/coredns-" << d << ":\n    labels: {k8s-app: kube-dns}\n    ips: [10.15.0." << 10 + d
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
      long peer = (a + 1) % apps_per_ns;
      policy_header(out, ns, "app" + std::to_string(a) + "-ingress");
      out << "  podSelector: {matchLabels: {app: app" << a << "}}\n  ingress:\n  - from:\n"
          << "    - podSelector: {matchLabels: {app: app" << peer << "}}\n"
          << "    - namespaceSelector: {matchLabels: {team: team" << (ns + 1) % 20 << "}}\n"
          << "      podSelector: {matchExpressions: [{key: tier, operator: In, values: [frontend, backend]}]}\n"
          << "    ports: [{port: http}, {port: 9090}]\n";
      if (a % 2 == 0) {
        policy_header(out, ns, "app" + std::to_string(a) + "-egress");
        out << "  podSelector: {matchLabels: {app: app" << a << "}}\n  policyTypes: [Egress]\n  egress:\n"
            << "  - to: [{podSelector: {matchLabels: {app: app" << peer << "}}}]\n    ports: [{port: http}]\n";
        if (a % 6 == 0)
          out << "  - to:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 169.254.169.254/32]}\n"
              << "    - ipBlock: {cidr: \"::/0\", except: [\"fd00::/8\"]}\n    ports: [{port: 443}]\n";
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--pods") o.pods = std::atol(argv[i + 1]);
    else if (a == "--out") o.out = argv[i + 1];
    else {
      std::cerr << "usage: generate --pods N --out DIR\n";
      return 2;
    }
  }
  long namespaces = (o.pods + 99) / 100;
  std::ofstream cluster(o.out + "/cluster.yaml"), policies(o.out + "/policies.yaml");
  write_cluster(o, namespaces, cluster);
  write_policies(namespaces, 25, policies);
  return cluster && policies ? 0 : 1;
}
