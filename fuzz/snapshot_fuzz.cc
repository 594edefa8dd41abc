// The snapshot frontend (kubectl YAML and JSON, lab inventories) on any
// bytes: never a crash, a hang or an unbounded allocation; every diagnostic
// located; and the cluster it returns without errors keeps its promises.
#include <set>

#include "compiler/snapshot_parser.h"
#include "fuzz/fuzz_check.h"

using namespace netpolc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputFile in{"fuzz.yaml", fuzz::as_text(data, size)};
  Diagnostics diags;
  Cluster cluster = parse_snapshot({in}, diags);
  fuzz::check_diagnostics(diags, in.name, in.text);
  if (diags.has_errors()) return 0;

  std::set<std::string> namespaces;
  for (size_t i = 0; i < cluster.namespaces.size(); ++i) {
    const Namespace& ns = cluster.namespaces[i];
    FUZZ_CHECK(i == 0 || cluster.namespaces[i - 1].name < ns.name);
    auto label = ns.labels.find("kubernetes.io/metadata.name");
    FUZZ_CHECK(label != ns.labels.end() && label->second == ns.name);
    namespaces.insert(ns.name);
  }
  std::set<IpAddr> enforced_ips;
  for (size_t i = 0; i < cluster.pods.size(); ++i) {
    const Pod& p = cluster.pods[i];
    if (i > 0) {
      const Pod& q = cluster.pods[i - 1];
      FUZZ_CHECK(q.ns < p.ns || (q.ns == p.ns && q.name < p.name));
    }
    FUZZ_CHECK(namespaces.count(p.ns));
    FUZZ_CHECK(p.ips.size() <= 2);
    if (p.ips.size() == 2) FUZZ_CHECK(p.ips[0].family == Family::V4 && p.ips[1].family == Family::V6);
    for (const ContainerPort& cp : p.ports) FUZZ_CHECK(cp.port >= 1 && cp.port <= 65535);
    if (p.enforced())
      for (const IpAddr& ip : p.ips) FUZZ_CHECK(enforced_ips.insert(ip).second);
  }
  return 0;
}
