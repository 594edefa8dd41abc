// The observed-flows reader on any bytes: never a crash, a hang or an
// unbounded allocation; every diagnostic located; and what it accepts, turned
// into a suggestion against a small cluster under a default deny, is YAML
// that the policy parser reads back without an error, as many policies.
#include "compiler/policy_parser.h"
#include "compiler/snapshot_parser.h"
#include "fuzz/fuzz_check.h"
#include "suggest/suggestion_yaml.h"

using namespace netpolc;

namespace {

constexpr const char* kCluster = R"(apiVersion: netpolc/v1
kind: Inventory
namespaces: {default: {}, kube-system: {}}
pods:
  kube-system/coredns-0: {labels: {k8s-app: kube-dns}, ips: [10.244.0.10, "fd00::10"], ports: ["dns=53/UDP"]}
  default/web-0: {labels: {app: web, pod-template-hash: a1}, ips: [10.244.1.10, "fd00::1:10"], ports: ["http=80/TCP"]}
  default/web-1: {labels: {app: web, pod-template-hash: a1}, ips: [10.244.1.11, "fd00::1:11"], ports: ["http=80/TCP"]}
  default/test: {labels: {run: test}, ips: [10.244.1.12, "fd00::1:12"]}
)";

constexpr const char* kPolicies = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: default}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputFile in{"fuzz.json", fuzz::as_text(data, size)};
  Diagnostics diags;
  auto flows = suggest::read_observed_flows(in, diags);
  fuzz::check_diagnostics(diags, in.name, in.text);
  FUZZ_CHECK(flows.has_value() == !diags.has_errors());
  if (!flows) return 0;
  for (const auto& f : flows->flows) {
    FUZZ_CHECK(f.src.ip.family == f.dst.ip.family);
    FUZZ_CHECK((f.protocol == L4::ICMP) == (f.port == 0));
    FUZZ_CHECK(f.count >= 1);
  }

  Diagnostics world;
  Cluster cluster = parse_snapshot({{"cluster.yaml", kCluster}}, world);
  PolicySet policies = parse_policies({{"policies.yaml", kPolicies}}, world);
  FUZZ_CHECK(!world.has_errors());
  for (bool icmp : {false, true}) {
    Diagnostics warnings;
    suggest::Suggestion s = suggest::suggest_policies(cluster, policies, *flows, {icmp}, warnings);
    FUZZ_CHECK(!warnings.has_errors());
    FUZZ_CHECK(s.used + s.skipped == flows->flows.size());
    std::string yaml = suggest::suggestion_yaml(s, {"fuzz"});
    Diagnostics back;
    PolicySet read = parse_policies({{"suggestion.yaml", yaml}}, back);
    FUZZ_CHECK(!back.has_errors());
    FUZZ_CHECK(read.policies.size() == s.policies.size());
  }
  return 0;
}
