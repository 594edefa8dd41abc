// The nftables ruleset netpolc installs, as plain values: one `inet` table
// with its sets, verdict maps and chains. Built once from a Program; the text
// backend prints it (`nft -f` script) and the netlink backend sends it, so the
// two cannot drift apart.
//
// Gateway target (forward hook):
//   replies of allowed connections pass first; then the source's egress chain
//   (by address, through a verdict map) and the destination's ingress chain;
//   each chain `return`s when a rule allows the packet and drops otherwise.
//   With --log-denied the drop is preceded by a rate-limited nflog rule for
//   new connections and counts the packet in a named counter per isolating
//   policy; with --audit it `return`s instead of dropping (deny_report.h).
//   Addresses that are not isolated pods have no map entry and pass untouched.
// Endpoint target (input/output hooks of the pod itself): the same chains,
//   jumped to directly; loopback and IPv6 neighbour discovery pass.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "backends/deny_report.h"
#include "backends/target.h"
#include "compiler/ir.h"
#include "compiler/program.h"

namespace netpolc {

struct NftOptions {
  std::string table = "netpolc";
  Target target = Target::Gateway;
  size_t endpoint_pod = 0;  // with Target::Endpoint: index into Cluster::pods
  bool dns_carve_out = false;
  DenyReport report;  // --audit, --log-denied, --nflog-group
};

namespace nft {

// What a named set holds:
//   Ranges     `type ipv4_addr; flags interval`   address ranges (ipBlocks)
//   Addresses  `type ipv4_addr`                   single addresses: pods only.
//              A hash set: a lookup costs the same for 10 or 100 000 pods, and
//              adding a pod costs the kernel one element, where an interval set
//              is rebuilt whole on every change.
//   AddrPorts  `type ipv4_addr . inet_proto . inet_service`
enum class SetKind { Ranges, Addresses, AddrPorts };

struct NamedSet {
  std::string name;
  Family family = Family::V4;
  SetKind kind = SetKind::Ranges;
  // Ranges: sorted, disjoint, not adjacent. Addresses: one range per address
  // (lo == hi), sorted.
  std::vector<IpRange> ranges;
  std::vector<AddrPort> addr_ports;  // AddrPorts: sorted

  size_t size() const { return kind == SetKind::AddrPorts ? addr_ports.size() : ranges.size(); }

  friend bool operator==(const NamedSet&, const NamedSet&) = default;
};

// `10.244.1.10 comment "default/web" : jump in/default/b8062222`
struct MapEntry {
  IpAddr addr;
  std::string comment;
  std::string chain;

  friend bool operator==(const MapEntry&, const MapEntry&) = default;
};

// `map egress-v4 { type ipv4_addr : verdict; ... }`
struct VerdictMap {
  std::string name;
  Family family = Family::V4;
  std::vector<MapEntry> entries;  // sorted by address

  friend bool operator==(const VerdictMap&, const VerdictMap&) = default;
};

// An address of the packet: `ip saddr`, `ip6 daddr`, ...
struct AddrKey {
  Family family = Family::V4;
  bool source = true;
};

// --- the matches a rule is made of ---

// `ct state established,related`
struct CtEstablished {};
// `ct state new`
struct CtNew {};
// `iif "lo"` (input) or `oif "lo"` (output)
struct Loopback {
  bool input = true;
};
// `icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }`
struct NeighbourDiscovery {};
// `ip saddr @set`
struct AddrInSet {
  AddrKey key;
  std::string set;
};
// `ip daddr . meta l4proto . th dport @set`
struct DestPortInSet {
  Family family = Family::V4;
  std::string set;
};
// The ports of a rule, in one of three shapes (see port_shape()):
//   `meta l4proto tcp`, `meta l4proto @ports/tcp/udp`    every port of the protocols
//   `tcp dport 80`, `tcp dport @ports/tcp-80/tcp-443`    one protocol
//   `meta l4proto . th dport @ports/tcp-80/udp-53`       several protocols
// One protocol, or one port (range) of one protocol, is matched inline; a
// list, through the PortSet named `set`.
struct PortMatch {
  std::vector<PortRange> ports;  // sorted and merged
  std::string set;               // empty: inline
};

using Match = std::variant<CtEstablished, CtNew, Loopback, NeighbourDiscovery, AddrInSet, DestPortInSet, PortMatch>;

enum class PortShape { Protocols, OneProtocol, Concat };
PortShape port_shape(const std::vector<PortRange>& ports);
// The protocols of a port list, each once, in the order TCP, UDP, SCTP.
std::vector<Protocol> distinct_protocols(const std::vector<PortRange>& ports);
// A range of more than one port among the ports of a list that is not whole
// protocols: its set has `flags interval`.
bool port_intervals(const std::vector<PortRange>& ports);

// A port list that is more than one protocol or one port (range), as a set
// named after its content, which every rule with the same list shares:
//   set ports/tcp-80/tcp-443 { type inet_service; ... }                   tcp dport @...
//   set ports/tcp-80/tcp-8000-8080 { type inet_service; flags interval; }
//   set ports/tcp-53/udp-53 { type inet_proto . inet_service; }           meta l4proto . th dport @...
//   set ports/tcp/udp { type inet_proto; }                                meta l4proto @...
// (An anonymous set per rule was 11,400 sets for 11 distinct lists at 10k
// pods, and the kernel's transaction cost grows with the number of sets.)
struct PortSet {
  std::string name;
  std::vector<PortRange> ports;  // sorted and merged

  PortShape shape() const { return port_shape(ports); }
  bool intervals() const { return port_intervals(ports); }

  friend bool operator==(const PortSet&, const PortSet&) = default;
};

// --- the statements a rule runs after its matches, before its verdict ---

// `limit rate 10/second` (burst 5 packets, nft's default)
struct Limit {
  Rate rate;
};
// `log prefix "np E eg/default/5e19d2c9" group 100`
struct Log {
  std::string prefix;
  uint16_t group = 0;
};
// `counter name "deny/default/web/ingress"`
struct CounterRef {
  std::string name;
};

using Statement = std::variant<Limit, Log, CounterRef>;

// Continue: no verdict, the next rule runs.
enum class VerdictKind { Accept, Drop, Return, Jump, Vmap, Continue };

// `accept`, `drop`, `return`, `jump CHAIN`, `ip saddr vmap @MAP`, or none.
struct Verdict {
  VerdictKind kind = VerdictKind::Accept;
  std::string target;  // the chain (Jump) or the map (Vmap)
  AddrKey key;         // Vmap only
};

struct Rule {
  std::vector<Match> matches;
  std::vector<Statement> statements;
  Verdict verdict;
  std::string comment;               // as stored by nft; empty: none
  std::optional<RuleOrigin> origin;  // the policy rule it enforces, if any
};

// A comment line of the script (`# ...`); nothing in the kernel.
struct Note {
  std::string text;
};

using ChainItem = std::variant<Rule, Note>;

enum class Hook { Forward, Input, Output };

// `type filter hook forward priority filter; policy accept;`
struct BaseHook {
  Hook hook = Hook::Forward;
};

struct Chain {
  std::string name;
  std::string comment;            // empty: none
  std::optional<BaseHook> hook;   // a base chain
  std::vector<ChainItem> items;   // rules and notes, in order
  std::optional<size_t> pod_chain;  // index into Program::chains, for messages
};

// `counter deny/default/web/ingress { comment "..." }`: a named counter.
struct CounterObject {
  std::string name;
  std::string comment;

  friend bool operator==(const CounterObject&, const CounterObject&) = default;
};

struct Ruleset {
  std::string table;                 // family inet
  std::string comment;               // the table's comment
  std::vector<std::string> header;   // the script's leading comment lines
  std::vector<CounterObject> counters;  // sorted by name
  std::vector<PortSet> port_sets;    // sorted by name
  std::vector<NamedSet> sets;        // sorted by name
  std::vector<VerdictMap> maps;      // gateway: egress-v4, egress-v6, ingress-v4, ingress-v6
  std::vector<Chain> chains;         // in the order they are defined
};

// How nft stores a comment: at most 127 bytes, and no double quote.
std::string sanitize_comment(std::string text);

Ruleset build_ruleset(const Program& prog, const Cluster& cluster, const NftOptions& options);

}  // namespace nft
}  // namespace netpolc
