// The policy frontend on any bytes: never a crash, a hang or an unbounded
// allocation; every diagnostic located inside the input; and every policy it
// keeps is valid as the API server defines it.
#include "compiler/labels.h"
#include "compiler/policy_parser.h"
#include "fuzz/fuzz_check.h"

using namespace netpolc;

static void check_port(const PortSpec& p) {
  FUZZ_CHECK(!(p.port && !p.name.empty()));
  if (p.port) FUZZ_CHECK(*p.port >= 1 && *p.port <= 65535);
  if (!p.name.empty()) FUZZ_CHECK(!check_port_name(p.name));
  if (p.end_port) FUZZ_CHECK(p.port && *p.port <= *p.end_port && *p.end_port <= 65535);
}

static void check_peer(const Peer& peer) {
  FUZZ_CHECK(peer.ip_block || peer.pod_selector || peer.namespace_selector);
  if (!peer.ip_block) return;
  FUZZ_CHECK(!peer.pod_selector && !peer.namespace_selector);
  const Cidr& outer = peer.ip_block->cidr;
  FUZZ_CHECK(!cidr_has_host_bits(outer));
  for (const Cidr& e : peer.ip_block->except) FUZZ_CHECK(contains(outer, e) && e.prefix > outer.prefix);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputFile in{"fuzz.yaml", fuzz::as_text(data, size)};
  Diagnostics diags;
  PolicySet set = parse_policies({in}, diags);
  fuzz::check_diagnostics(diags, in.name, in.text);
  for (size_t i = 0; i < set.policies.size(); ++i) {
    const Policy& p = set.policies[i];
    FUZZ_CHECK(!check_dns1123_label(p.ns) && !check_dns1123_subdomain(p.name));
    if (i > 0) {
      const Policy& q = set.policies[i - 1];
      FUZZ_CHECK(q.ns < p.ns || (q.ns == p.ns && q.name < p.name));
    }
    for (Direction d : {Direction::Ingress, Direction::Egress}) {
      for (const Rule& r : p.rules(d)) {
        for (const Peer& peer : r.peers) check_peer(peer);
        for (const PortSpec& port : r.ports) check_port(port);
      }
    }
  }
  return 0;
}
