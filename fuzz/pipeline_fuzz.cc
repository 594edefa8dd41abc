// The whole pipeline: snapshot + policies -> resolve -> nft text. The input is
// a snapshot, the line "#%policies", then policies; without that line, all of
// it is policies, for a small built-in cluster. Checks, all cheap:
//  - the resolved program keeps its invariants: address sets normalized (no
//    overlapping or adjacent intervals), ports merged, dispatch tables sorted
//    with one chain per address, indexes in range;
//  - it lets through exactly what the reference evaluator allows, for the
//    pods' addresses, two outside ones and the edges of the peer sets;
//  - the nft text of both targets is sane: braces balanced outside strings
//    and comments, no control characters, one table.
#include <algorithm>
#include <set>
#include <string_view>

#include "backends/nft_text.h"
#include "compiler/evaluator.h"
#include "compiler/policy_parser.h"
#include "compiler/program_eval.h"
#include "compiler/resolve.h"
#include "compiler/snapshot_parser.h"
#include "fuzz/fuzz_check.h"

using namespace netpolc;

namespace {

constexpr std::string_view kSeparator = "\n#%policies\n";

const char kCluster[] = R"(apiVersion: netpolc/v1
kind: Inventory
namespaces:
  x: {ns: x, team: a}
  y: {ns: y}
  kube-system: {}
pods:
  x/a: {labels: {pod: a, app: web}, ips: [10.0.1.1, "fd00::1:1"], ports: ["http=80/TCP", "dns=53/UDP"]}
  x/b: {labels: {pod: b}, ips: [10.0.1.2], ports: ["http=8080/TCP", "sctp=9000/SCTP"]}
  x/c: {labels: {pod: c}, ips: ["fd00::1:3"], ports: ["81/UDP"]}
  y/a: {labels: {pod: a}, ips: [10.0.2.1, "fd00::2:1"], ports: ["http=80/TCP"]}
  y/h: {labels: {pod: h}, ips: [10.0.0.10], hostNetwork: true}
  y/done: {labels: {pod: a}, ips: [10.0.2.9], phase: Succeeded}
  kube-system/dns: {labels: {k8s-app: kube-dns}, ips: [10.96.0.10], ports: ["dns=53/UDP", "dns-tcp=53/TCP"]}
)";

void check_program(const Program& prog, const Cluster& cluster) {
  fuzz::check_normalized(prog.pod_addresses);
  fuzz::check_normalized(prog.dns_servers);
  for (const CompiledRule& r : prog.rules) {
    for (size_t s : r.peer_sets) FUZZ_CHECK(s < prog.peer_sets.size());
    fuzz::check_merged(r.ports);
    FUZZ_CHECK(std::is_sorted(r.named_targets.begin(), r.named_targets.end()));
    FUZZ_CHECK(std::adjacent_find(r.named_targets.begin(), r.named_targets.end()) == r.named_targets.end());
    FUZZ_CHECK(!(r.any_port && (!r.ports.empty() || r.has_named_ports)));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < prog.chains.size(); ++i) {
    const PodChain& c = prog.chains[i];
    FUZZ_CHECK(names.insert(c.name).second);
    FUZZ_CHECK(i == 0 || prog.chains[i - 1].name < c.name);
    FUZZ_CHECK(std::is_sorted(c.pods.begin(), c.pods.end()) && !c.pods.empty());
    for (const ChainRule& cr : c.rules) {
      FUZZ_CHECK(cr.rule < prog.rules.size());
      FUZZ_CHECK(prog.rules[cr.rule].origin.direction == c.direction);
      fuzz::check_merged(cr.named_ports);
    }
  }
  for (Direction d : {Direction::Ingress, Direction::Egress}) {
    const auto& table = d == Direction::Ingress ? prog.ingress : prog.egress;
    for (size_t i = 0; i < table.size(); ++i) {
      FUZZ_CHECK(i == 0 || table[i - 1].addr < table[i].addr);  // one chain per address
      FUZZ_CHECK(table[i].chain < prog.chains.size() && table[i].pod < cluster.pods.size());
      FUZZ_CHECK(prog.chains[table[i].chain].direction == d);
      FUZZ_CHECK(cluster.pods[table[i].pod].enforced());
    }
  }
}

// Braces balanced outside "strings" and # comments; tabs and newlines are the
// only control characters; one table, closed at the end.
void check_nft_text(const std::string& text) {
  int depth = 0;
  bool in_string = false, in_comment = false;
  for (char c : text) {
    FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n');
    if (c == '\n') {
      FUZZ_CHECK(!in_string);
      in_comment = false;
    } else if (in_comment) {
    } else if (c == '"') {
      in_string = !in_string;
    } else if (in_string) {
    } else if (c == '#') {
      in_comment = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      FUZZ_CHECK(--depth >= 0);
    }
  }
  FUZZ_CHECK(depth == 0 && !in_string);
  FUZZ_CHECK(text.size() >= 2 && text.compare(text.size() - 2, 2, "}\n") == 0);
}

// The gateway program against the reference evaluator, on a few addresses,
// protocols and ports taken from the input itself.
void check_against_evaluator(const Program& prog, const Cluster& cluster, const PolicySet& policies) {
  std::vector<IpAddr> addrs = {*parse_ip("192.0.2.1"), *parse_ip("2001:db8::1")};
  for (const Pod& p : cluster.pods)
    if (p.enforced() && addrs.size() < 10) addrs.insert(addrs.end(), p.ips.begin(), p.ips.end());
  std::set<uint16_t> ports = {80};
  for (size_t i = 0; i < prog.rules.size() && i < 6; ++i) {
    const CompiledRule& r = prog.rules[i];
    const AddrSet peers = rule_peers(prog, r);
    for (Family f : {Family::V4, Family::V6})
      if (!peers.of(f).empty()) addrs.push_back({f, peers.of(f).front().lo});
    for (const PortRange& p : r.ports) ports.insert({p.lo, p.hi});
    for (const AddrPort& t : r.named_targets) ports.insert(t.port);
  }
  while (ports.size() > 6) ports.erase(std::prev(ports.end()));
  Evaluator eval(cluster, policies);
  for (const IpAddr& src : addrs) {
    for (const IpAddr& dst : addrs) {
      if (src.family != dst.family) continue;
      long s = eval.pod_by_ip(src);
      if (src == dst || (s >= 0 && s == eval.pod_by_ip(dst))) continue;  // loopback
      for (L4 proto : {L4::TCP, L4::UDP, L4::SCTP, L4::ICMP}) {
        for (uint16_t port : ports) {
          Flow flow{src, dst, proto, proto == L4::ICMP ? uint16_t(0) : port};
          if (eval.evaluate(flow).allowed != program_allows(prog, flow)) {
            std::fprintf(stderr, "%s -> %s %s/%u\n", format_ip(src).c_str(), format_ip(dst).c_str(),
                         l4_name(proto), unsigned(flow.port));
            FUZZ_CHECK(!"the program and the evaluator disagree");
          }
          if (proto == L4::ICMP) break;
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text = fuzz::as_text(data, size);
  size_t split = text.find(kSeparator);
  InputFile snapshot{"cluster.yaml", split == std::string::npos ? kCluster : text.substr(0, split)};
  InputFile policies_in{"policies.yaml", split == std::string::npos ? text : text.substr(split + kSeparator.size())};
  Diagnostics diags;
  Cluster cluster = parse_snapshot({snapshot}, diags);
  PolicySet policies = parse_policies({policies_in}, diags);
  if (diags.has_errors()) return 0;

  Program prog = resolve(cluster, policies, ResolveOptions{}, diags);
  check_program(prog, cluster);
  check_against_evaluator(prog, cluster, policies);

  NftOptions gateway;
  gateway.dns_carve_out = size % 2 == 1;
  check_nft_text(emit_nft(prog, cluster, gateway));
  for (size_t i = 0; i < cluster.pods.size(); ++i) {
    if (!cluster.pods[i].enforced()) continue;
    NftOptions endpoint = gateway;
    endpoint.target = Target::Endpoint;
    endpoint.endpoint_pod = i;
    check_nft_text(emit_nft(prog, cluster, endpoint));
    break;
  }
  return 0;
}
