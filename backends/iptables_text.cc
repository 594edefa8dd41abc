#include "backends/iptables_text.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <set>

#include "backends/ipset_text.h"
#include "backends/iptables_rule.h"

namespace netpolc {

namespace {

constexpr char kForward[] = "NETPOLC-FORWARD";
constexpr char kInput[] = "NETPOLC-INPUT";
constexpr char kOutput[] = "NETPOLC-OUTPUT";
constexpr char kDns[] = "NETPOLC-DNS";
constexpr char kDnsClients[] = "NETPOLC-DNS-CLIENTS";
constexpr size_t kMaxChainName = 28;  // xt_table's limit, without the NUL
constexpr int kNeighbourDiscovery[] = {133, 134, 135, 136};  // router/neighbour solicit/advert
constexpr char kDnsNote[] = "--dns-carve-out cluster";

const char* family_name(Family f) { return f == Family::V4 ? "IPv4" : "IPv6"; }

std::string count(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string host_cidr(const IpAddr& ip) { return format_cidr({ip, family_bits(ip.family)}); }

// One address condition: a CIDR for -s/-d, or an ipset match; neither
// means every address.
struct AddrMatch {
  std::string cidr;
  std::string set;

  void apply(IptRule& r, bool source) const {
    if (!cidr.empty()) (source ? r.src : r.dst) = cidr;
    if (!set.empty()) r.matches.push_back("-m set --match-set " + set + (source ? " src" : " dst"));
  }
};

// "x/deny-all" or "2 policies".
std::string isolated_by(const PodChain& c) {
  return c.isolated_by.size() == 1 ? c.isolated_by[0] : count(c.isolated_by.size(), "policy", "policies");
}

std::string chain_description(const PodChain& c) {
  return std::string(direction_name(c.direction)) + " of pods in " + c.ns + " isolated by " + isolated_by(c);
}

std::string pod_name(const Pod& p) { return p.ns + "/" + p.name; }

IptRule verdict_rule(std::string comment, std::string target) {
  IptRule r;
  r.comment = std::move(comment);
  r.target = std::move(target);
  return r;
}

class Emitter {
 public:
  Emitter(const Program& prog, const Cluster& cluster, const IptablesOptions& opt)
      : prog_(prog), cluster_(cluster), opt_(opt), f_(opt.family), sets_(opt.family) {}

  IptablesOutput run();

 private:
  void name_chains();
  std::vector<size_t> used_chains() const;
  std::vector<AddrMatch> addresses(const std::vector<IpRange>& ranges);
  void emit_chain(size_t ci);
  void emit_rule(const PodChain& c, const std::string& chain, const ChainRule& cr);
  bool emit_named_targets(const std::string& chain, const CompiledRule& r);
  void emit_gateway();
  void emit_dispatch(Direction d);
  void emit_endpoint(Direction d);
  void emit_dns_chains(bool carve_out_chain);
  bool endpoint_serves_dns() const;
  void accept_dns_queries(const std::string& chain, const std::vector<AddrMatch>& servers,
                          const std::string& target);
  void add_replies(const std::string& chain);
  void begin_chain(const std::string& chain, const std::string& description) {
    chains_.push_back(chain);
    body_ += "\n# " + chain + ": " + description + "\n";
  }
  void add(const std::string& chain, const IptRule& r) { body_ += render_rule(chain, r) + "\n"; }
  void note(const std::string& text) { body_ += "# " + text + "\n"; }
  std::string header(size_t chains) const;

  const Program& prog_;
  const Cluster& cluster_;
  const IptablesOptions& opt_;
  const Family f_;
  IpsetRegistry sets_;
  std::vector<std::string> chain_names_;  // per Program::chains entry
  std::vector<std::string> chains_;       // declared, in order
  std::string body_;
};

// NETPOLC-IN-<hash> / NETPOLC-EG-<hash>: the hash part of the program's chain
// name ("in/default/b8062222"), unique within the output.
void Emitter::name_chains() {
  std::set<std::string> used;
  for (const PodChain& c : prog_.chains) {
    std::string base = std::string("NETPOLC-") + (c.direction == Direction::Ingress ? "IN-" : "EG-") +
                       c.name.substr(c.name.rfind('/') + 1);
    std::string name = base;
    for (int n = 2; !used.insert(name).second; ++n) name = base + "-" + std::to_string(n);
    assert(name.size() <= kMaxChainName);
    chain_names_.push_back(name);
  }
}

// Gateway: the chains some address of this family dispatches to. Endpoint:
// the chains of the pod.
std::vector<size_t> Emitter::used_chains() const {
  std::vector<bool> used(prog_.chains.size());
  for (const auto* table : {&prog_.egress, &prog_.ingress})
    for (const Dispatch& e : *table)
      if (opt_.target == Target::Gateway && e.addr.family == f_) used[e.chain] = true;
  std::vector<size_t> out;
  for (size_t i = 0; i < prog_.chains.size(); ++i) {
    const auto& pods = prog_.chains[i].pods;
    if (opt_.target == Target::Endpoint ? std::binary_search(pods.begin(), pods.end(), opt_.endpoint_pod)
                                        : bool(used[i]))
      out.push_back(i);
  }
  return out;
}

// An address set of this family as conditions: none when empty, one without
// condition when it is every address, one ipset, or one CIDR each.
std::vector<AddrMatch> Emitter::addresses(const std::vector<IpRange>& ranges) {
  if (ranges.empty()) return {};
  const u128 last = f_ == Family::V4 ? u128(0xffffffffu) : ~u128(0);
  if (ranges.size() == 1 && ranges[0].lo == 0 && ranges[0].hi == last) return {AddrMatch{}};
  if (opt_.ipset) return {AddrMatch{"", sets_.net(ranges)}};
  std::vector<AddrMatch> out;
  for (const auto& r : ranges)
    for (const Cidr& c : range_to_cidrs(f_, r)) out.push_back({format_cidr(c), ""});
  return out;
}

bool Emitter::emit_named_targets(const std::string& chain, const CompiledRule& r) {
  std::vector<AddrPort> mine;
  for (const auto& t : r.named_targets)
    if (t.addr.family == f_) mine.push_back(t);
  if (mine.empty()) return false;
  const std::string label = r.origin.label();
  if (opt_.ipset) {
    IptRule x = verdict_rule(label, "RETURN");
    x.matches.push_back("-m set --match-set " + sets_.addr_ports(mine) + " dst,dst");
    add(chain, x);
    return true;
  }
  // One condition per destination and protocol.
  std::map<std::pair<IpAddr, Protocol>, std::vector<PortRange>> by_dest;
  for (const auto& t : mine) by_dest[{t.addr, t.protocol}].push_back({t.protocol, t.port, t.port});
  for (const auto& [dest, ports] : by_dest)
    for (const PortMatch& pm : port_matches(ports)) {
      IptRule x = verdict_rule(label, "RETURN");
      x.dst = host_cidr(dest.first);
      x.proto = pm.proto;
      x.matches.push_back(pm.match);
      add(chain, x);
    }
  return true;
}

// A policy rule in a chain: RETURN (allowed on this side) when the peer and
// the port match, as peers x port conditions.
void Emitter::emit_rule(const PodChain& c, const std::string& chain, const ChainRule& cr) {
  const CompiledRule& r = prog_.rules[cr.rule];
  const std::string label = r.origin.label();
  std::vector<PortRange> ports = r.ports;
  ports.insert(ports.end(), cr.named_ports.begin(), cr.named_ports.end());
  merge_port_ranges(ports);
  bool emitted = false;
  if (r.any_port || !ports.empty()) {
    const auto conditions = r.any_port ? std::vector<PortMatch>{PortMatch{}} : port_matches(ports);
    auto allow = [&](const AddrMatch& a, const std::string& comment) {
      for (const PortMatch& pm : conditions) {
        IptRule x = verdict_rule(comment, "RETURN");
        a.apply(x, c.direction == Direction::Ingress);
        x.proto = pm.proto;
        if (!pm.match.empty()) x.matches.push_back(pm.match);
        add(chain, x);
        emitted = true;
      }
    };
    if (r.any_peer) allow(AddrMatch{}, label);
    // One rule per peer (OR), each naming its peer; peers of one rule that
    // stand for the same addresses need only the first.
    for (size_t i = 0; i < r.peer_sets.size(); ++i) {
      auto first = r.peer_sets.begin() + long(i);
      if (std::find(r.peer_sets.begin(), first, *first) != first) continue;
      for (const AddrMatch& a : addresses(prog_.peer_sets[*first].addresses.of(f_))) allow(a, r.origin.peer_label(i));
    }
  }
  if (emit_named_targets(chain, r)) emitted = true;
  if (!emitted)
    note(label + ": allows nothing here (no " + family_name(f_) + " peer address or no matching port)");
}

void Emitter::emit_chain(size_t ci) {
  const PodChain& c = prog_.chains[ci];
  const std::string& chain = chain_names_[ci];
  begin_chain(chain, chain_description(c));
  if (c.isolated_by.size() > 1)
    for (const auto& p : c.isolated_by) note("isolated by " + p);
  for (const ChainRule& cr : c.rules) emit_rule(c, chain, cr);
  add(chain, verdict_rule(std::string(direction_name(c.direction)) + " not allowed by " + isolated_by(c), "DROP"));
}

void Emitter::add_replies(const std::string& chain) {
  IptRule x = verdict_rule("replies of allowed connections", "ACCEPT");
  x.matches.push_back("-m conntrack --ctstate RELATED,ESTABLISHED");
  add(chain, x);
}

// DNS queries (53/UDP, 53/TCP) to `servers` go to `target`.
void Emitter::accept_dns_queries(const std::string& chain, const std::vector<AddrMatch>& servers,
                                 const std::string& target) {
  for (const AddrMatch& a : servers)
    for (const char* proto : {"udp", "tcp"}) {
      IptRule x = verdict_rule(kDnsNote, target);
      a.apply(x, false);
      x.proto = proto;
      x.matches.push_back(std::string("-m ") + proto + " --dport 53");
      add(chain, x);
    }
}

// NETPOLC-DNS (gateway only): queries to the cluster DNS servers go on to
// NETPOLC-DNS-CLIENTS, which accepts them when they come from a pod.
void Emitter::emit_dns_chains(bool carve_out_chain) {
  const auto servers = addresses(prog_.dns_servers.of(f_));
  if (carve_out_chain) {
    begin_chain(kDns, "every pod reaches the cluster DNS servers on 53, whatever the policies say");
    if (servers.empty()) note(std::string("no cluster DNS server has an ") + family_name(f_) + " address");
    accept_dns_queries(kDns, servers, kDnsClients);
  }
  if (servers.empty()) return;
  begin_chain(kDnsClients, "DNS queries to the cluster DNS servers pass when they come from a pod");
  for (const AddrMatch& a : addresses(prog_.pod_addresses.of(f_))) {
    IptRule x = verdict_rule(std::string(kDnsNote) + ": from a pod", "ACCEPT");
    a.apply(x, true);
    add(kDnsClients, x);
  }
}

// Whether the endpoint pod is a cluster DNS server (and so gets the queries
// of every pod with --dns-carve-out cluster).
bool Emitter::endpoint_serves_dns() const {
  if (!opt_.dns_carve_out || opt_.target != Target::Endpoint) return false;
  for (const auto& ip : cluster_.pods[opt_.endpoint_pod].ips)
    if (prog_.dns_servers.contains(ip)) return true;
  return false;
}

// One rule per pod address (inline) or per chain (ipset) sends a packet to
// the chain of its source (egress) or destination (ingress).
void Emitter::emit_dispatch(Direction d) {
  const bool source = d == Direction::Egress;
  const auto& table = source ? prog_.egress : prog_.ingress;
  std::map<size_t, std::vector<IpsetEntry>> by_chain;
  for (const Dispatch& e : table) {
    if (e.addr.family != f_) continue;
    const std::string who = pod_name(cluster_.pods[e.pod]);
    if (opt_.ipset) {
      by_chain[e.chain].push_back({e.addr, who});
      continue;
    }
    IptRule x = verdict_rule(std::string(direction_name(d)) + " of " + who, chain_names_[e.chain]);
    AddrMatch{host_cidr(e.addr), ""}.apply(x, source);
    add(kForward, x);
  }
  for (const auto& [ci, entries] : by_chain) {
    IptRule x = verdict_rule(chain_description(prog_.chains[ci]), chain_names_[ci]);
    AddrMatch{"", sets_.pods(entries)}.apply(x, source);
    add(kForward, x);
  }
}

void Emitter::emit_gateway() {
  begin_chain(kForward, "jumped to from FORWARD; egress of the source pod, then ingress of the destination pod");
  add_replies(kForward);
  if (opt_.dns_carve_out) add(kForward, verdict_rule(kDnsNote, kDns));
  emit_dispatch(Direction::Egress);
  emit_dispatch(Direction::Ingress);
  if (opt_.dns_carve_out) emit_dns_chains(true);
}

void Emitter::emit_endpoint(Direction d) {
  const bool in = d == Direction::Ingress;
  const std::string chain = in ? kInput : kOutput;
  const Pod& pod = cluster_.pods[opt_.endpoint_pod];
  begin_chain(chain, std::string("jumped to from ") + (in ? "INPUT" : "OUTPUT") + "; " + direction_name(d) +
                         " of " + pod_name(pod));
  IptRule lo = verdict_rule("loopback", "ACCEPT");
  (in ? lo.in_iface : lo.out_iface) = "lo";
  add(chain, lo);
  add_replies(chain);
  if (f_ == Family::V6)
    for (int type : kNeighbourDiscovery) {
      IptRule x = verdict_rule("IPv6 neighbour discovery", "ACCEPT");
      x.proto = "ipv6-icmp";
      x.matches.push_back("-m icmp6 --icmpv6-type " + std::to_string(type));
      add(chain, x);
    }
  if (opt_.dns_carve_out && !prog_.dns_servers.of(f_).empty()) {
    if (!in) accept_dns_queries(chain, addresses(prog_.dns_servers.of(f_)), "ACCEPT");
    else if (endpoint_serves_dns()) accept_dns_queries(chain, {AddrMatch{}}, kDnsClients);
  }
  for (size_t ci : used_chains())
    if (prog_.chains[ci].direction == d)
      add(chain, verdict_rule(std::string(direction_name(d)) + " of " + pod_name(pod), chain_names_[ci]));
}

std::string Emitter::header(size_t chains) const {
  const std::string cmd = iptables_command(f_);
  std::string out = "# netpolc " + cmd + " ";
  if (opt_.target == Target::Gateway) {
    out += "gateway ruleset: " + count(prog_.pod_count, "pod", "pods") + ", ";
  } else {
    out += "endpoint ruleset for " + pod_name(cluster_.pods[opt_.endpoint_pod]) + ": ";
  }
  out += count(prog_.policy_count, "policy", "policies") + ", " + count(chains, "chain", "chains") + "\n";
  out += "# Load " + std::string(opt_.ipset ? "after its ipsets " : "") + "with `" + cmd +
         "-restore --noflush FILE`; then, once:\n";
  for (const auto& [builtin, entry] : iptables_entry_jumps(opt_.target))
    out += "#   " + cmd + " -I " + builtin + " -j " + entry + "\n";
  out += "# Declaring a chain flushes it: only the NETPOLC-* chains below change.\n";
  return out;
}

IptablesOutput Emitter::run() {
  name_chains();
  const auto used = used_chains();
  if (opt_.target == Target::Gateway) {
    emit_gateway();
  } else {
    emit_endpoint(Direction::Ingress);
    emit_endpoint(Direction::Egress);
    if (endpoint_serves_dns()) emit_dns_chains(false);
  }
  for (size_t ci : used) emit_chain(ci);

  IptablesOutput out;
  out.rules = header(used.size()) + "*filter\n";
  for (const auto& c : chains_) out.rules += ":" + c + " - [0:0]\n";
  out.rules += body_ + "\nCOMMIT\n";
  if (opt_.ipset) {
    out.ipsets = "# netpolc ipsets for " + std::string(iptables_command(f_)) +
                 ": load with `ipset restore -f FILE` before the rules.\n"
                 "# A set's name comes from its content, so a loaded set never changes;\n"
                 "# -exist makes loading a set that is already there harmless.\n";
    out.ipsets = sets_.render(out.ipsets);
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> iptables_entry_jumps(Target target) {
  if (target == Target::Gateway) return {{"FORWARD", kForward}};
  return {{"INPUT", kInput}, {"OUTPUT", kOutput}};
}

const char* iptables_command(Family family) { return family == Family::V4 ? "iptables" : "ip6tables"; }

IptablesOutput emit_iptables(const Program& prog, const Cluster& cluster, const IptablesOptions& options) {
  return Emitter(prog, cluster, options).run();
}

}  // namespace netpolc
