// The iptables backend without a kernel: the shape of what it writes (names,
// comments, canonical iptables-save form), and that the ipset variant grows
// with the policies, not with the pods. The kernel tests check what the
// rules do.
#include "backends/iptables_text.h"

#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "backends/ipset_text.h"
#include "backends/iptables_rule.h"
#include "compiler/policy_parser.h"
#include "compiler/resolve.h"
#include "compiler/snapshot_parser.h"

using namespace netpolc;

namespace {

// An inventory with `extra` more pods labelled app=web in namespace x.
std::string cluster_text(int extra = 0) {
  std::string s = R"(
apiVersion: netpolc/v1
kind: Inventory
namespaces:
  x: {ns: x}
  kube-system: {}
pods:
  x/a:
    labels: {pod: a, app: web}
    ips: [10.0.1.1, "fd00::1:1"]
    ports: ["http=80/TCP"]
  x/b:
    labels: {pod: b}
    ips: [10.0.1.2, "fd00::1:2"]
  kube-system/dns:
    labels: {k8s-app: kube-dns}
    ips: [10.0.0.10, "fd00::10"]
)";
  for (int i = 0; i < extra; ++i)
    s += "  x/web-" + std::to_string(i) + ":\n    labels: {app: web}\n    ips: [10.0.3." + std::to_string(i + 1) +
         "]\n";
  return s;
}

struct World {
  Cluster cluster;
  Program program;
};

World world(const std::string& policies, int extra_pods = 0) {
  World w;
  Diagnostics diags;
  w.cluster = parse_snapshot({{"cluster.yaml", cluster_text(extra_pods)}}, diags);
  PolicySet set = parse_policies({{"policies.yaml", policies}}, diags);
  w.program = resolve(w.cluster, set, ResolveOptions{}, diags);
  REQUIRE_FALSE(diags.has_errors());
  return w;
}

size_t pod_index(const World& w, const std::string& ref) {
  for (size_t i = 0; i < w.cluster.pods.size(); ++i)
    if (w.cluster.pods[i].ns + "/" + w.cluster.pods[i].name == ref) return i;
  FAIL("no pod " << ref);
  return 0;
}

IptablesOutput emit(const World& w, Family f, bool ipset, Target target = Target::Gateway,
                    const std::string& pod = "x/a", bool dns = false) {
  IptablesOptions o;
  o.family = f;
  o.ipset = ipset;
  o.target = target;
  o.endpoint_pod = pod_index(w, pod);
  o.dns_carve_out = dns;
  return emit_iptables(w.program, w.cluster, o);
}

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

const char* kWebIngress = R"(
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: web, namespace: x}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
    ports: [{port: 80}, {port: 443}, {protocol: UDP, port: 5000, endPort: 5100}]
  - from: [{ipBlock: {cidr: 192.0.2.0/24, except: [192.0.2.128/25, 192.0.2.1/32]}}]
)";

}  // namespace

TEST_CASE("port conditions: one per protocol, multiport split at 15 slots, whole ranges need no port") {
  using P = Protocol;
  auto text = [](const std::vector<PortRange>& ports) {
    std::string s;
    for (const auto& m : port_matches(ports)) s += m.proto + "[" + m.match + "] ";
    return s;
  };
  CHECK(text({{P::TCP, 80, 80}}) == "tcp[-m tcp --dport 80] ");
  CHECK(text({{P::TCP, 80, 90}}) == "tcp[-m tcp --dport 80:90] ");
  CHECK(text({{P::TCP, 80, 80}, {P::TCP, 443, 443}, {P::SCTP, 9, 9}}) ==
        "tcp[-m multiport --dports 80,443] sctp[-m sctp --dport 9] ");
  CHECK(text({{P::UDP, 0, 65535}}) == "udp[] ");
  std::vector<PortRange> many;
  for (uint16_t p = 1; p <= 8; ++p) many.push_back({P::TCP, uint16_t(p * 10), uint16_t(p * 10 + 1)});  // 16 slots
  CHECK(text(many) ==
        "tcp[-m multiport --dports 10:11,20:21,30:31,40:41,50:51,60:61,70:71] tcp[-m multiport --dports 80:81] ");
}

TEST_CASE("rules print as iptables-save prints them") {
  IptRule r;
  r.dst = "10.0.0.0/8";
  r.proto = "tcp";
  r.matches = {"-m set --match-set S src", "-m tcp --dport 80"};
  r.comment = "x/web ingress[0]";
  r.target = "RETURN";
  CHECK(render_rule("C", r) ==
        "-A C -d 10.0.0.0/8 -p tcp -m set --match-set S src -m tcp --dport 80 -m comment --comment \"x/web "
        "ingress[0]\" -j RETURN");
  CHECK(ipt_quote("loopback") == "loopback");
  CHECK(ipt_quote("a \"b\"") == "\"a \\\"b\\\"\"");
  r.comment = std::string(300, 'c');
  CHECK(render_rule("C", r).find(std::string(252, 'c') + "...") != std::string::npos);
}

TEST_CASE("inline: except becomes exact CIDRs, ports become conditions, every rule has a comment") {
  World w = world(kWebIngress);
  std::string v4 = emit(w, Family::V4, false).rules;
  CHECK(has_line(v4, "-A NETPOLC-FORWARD -d 10.0.1.1/32 -m comment --comment \"ingress of x/a\" -j " +
                         std::string("NETPOLC-IN-") + w.program.chains[0].name.substr(5)));
  // 192.0.2.0/24 minus .1 and .128/25: .0, .2/31, .4/30, ... .64/26.
  for (const char* cidr : {"192.0.2.0/32", "192.0.2.2/31", "192.0.2.4/30", "192.0.2.64/26"})
    CHECK(v4.find(std::string("-s ") + cidr + " -m comment") != std::string::npos);
  CHECK(v4.find("192.0.2.1/32") == std::string::npos);
  CHECK(v4.find("-s 10.0.1.2/32 -p tcp -m multiport --dports 80,443 ") != std::string::npos);
  CHECK(v4.find("-s 10.0.1.2/32 -p udp -m udp --dport 5000:5100 ") != std::string::npos);
  for (const auto& line : lines_starting(v4, "-A ")) {
    CHECK(line.find(" -m comment --comment ") != std::string::npos);
    CHECK(line.rfind("-A NETPOLC-", 0) == 0);
  }
  // IPv6: the ipBlock says nothing about IPv6, so the rule allows nothing there.
  std::string v6 = emit(w, Family::V6, false).rules;
  CHECK(v6.find("# x/web ingress[1]: allows nothing here (no IPv6 peer address") != std::string::npos);
  CHECK(v6.find("-s fd00::1:2/128 -p tcp -m multiport --dports 80,443 ") != std::string::npos);
}

TEST_CASE("only NETPOLC-* chains, each declared once, within 28 characters, and every jump is declared") {
  World w = world(kWebIngress);
  for (Target t : {Target::Gateway, Target::Endpoint})
    for (bool ipset : {false, true}) {
      std::string rules = emit(w, Family::V4, ipset, t, "x/a", true).rules;
      std::set<std::string> declared;
      for (const auto& d : lines_starting(rules, ":")) {
        std::string name = d.substr(1, d.find(' ') - 1);
        CHECK(name.rfind("NETPOLC-", 0) == 0);
        CHECK(name.size() <= 28);
        CHECK(d == ":" + name + " - [0:0]");
        CHECK(declared.insert(name).second);
      }
      std::regex jump(" -j (NETPOLC-[^ ]+)$");
      for (const auto& line : lines_starting(rules, "-A ")) {
        std::smatch m;
        if (std::regex_search(line, m, jump)) CHECK(declared.count(m[1]) == 1);
      }
      CHECK(rules.find("*filter\n") != std::string::npos);
      CHECK(rules.substr(rules.size() - 7) == "COMMIT\n");
    }
}

TEST_CASE("ipset: every set used is defined, names fit in 31 characters, and rules do not grow with pods") {
  auto rule_count = [](const IptablesOutput& o) { return lines_starting(o.rules, "-A ").size(); };
  World small = world(kWebIngress, 0);
  World large = world(kWebIngress, 200);
  IptablesOutput s = emit(small, Family::V4, true);
  IptablesOutput l = emit(large, Family::V4, true);
  CHECK(rule_count(s) == rule_count(l));
  CHECK(rule_count(emit(large, Family::V4, false)) > rule_count(s) + 200);

  std::set<std::string> created;
  for (const auto& c : lines_starting(l.ipsets, "create ")) {
    std::string name = c.substr(7, c.find(' ', 7) - 7);
    CHECK(name.size() <= 31);
    CHECK(is_netpolc_ipset(name, Family::V4));
    CHECK_FALSE(is_netpolc_ipset(name, Family::V6));
    CHECK(c.substr(c.size() - 7) == " -exist");
    created.insert(name);
  }
  std::regex use("--match-set ([^ ]+) ");
  for (const auto& line : lines_starting(l.rules, "-A ")) {
    std::smatch m;
    if (std::regex_search(line, m, use)) CHECK(created.count(m[1]) == 1);
  }
  CHECK(l.ipsets.find(" 10.0.3.200 comment \"x/web-199\" -exist\n") != std::string::npos);
  // The except, exactly, as nomatch holes in a hash:net set; no /0, which
  // hash:net cannot hold. 192.0.2.0/24 minus .1 and .128/25: two entries.
  CHECK(l.ipsets.find(" 192.0.2.0/25 -exist\n") != std::string::npos);
  CHECK(l.ipsets.find(" 192.0.2.1 nomatch -exist\n") != std::string::npos);
  CHECK(l.ipsets.find("192.0.2.128") == std::string::npos);
  CHECK(l.ipsets.find("/0 ") == std::string::npos);
}

TEST_CASE("ipset names come from content: same content, same name; other content, other name") {
  IpsetRegistry a(Family::V4), b(Family::V4);
  std::vector<IpRange> r1 = {{0x0a000000, 0x0a0000ff}}, r2 = {{0x0a000000, 0x0a0001ff}};
  CHECK(a.net(r1) == b.net(r1));
  CHECK(a.net(r1) != a.net(r2));
  CHECK(a.net(r1).rfind("NETPOLC-NET4-", 0) == 0);
  CHECK(a.addr_ports({{IpAddr{Family::V4, 0x0a000001}, Protocol::TCP, 80}}).size() <= 31);
  CHECK(a.render("").find("add " + a.net(r1) + " 10.0.0.0/24 -exist\n") != std::string::npos);
  CHECK(is_netpolc_ipset("NETPOLC-PORT6-0123456789abcdef", Family::V6));
  CHECK_FALSE(is_netpolc_ipset("KUBE-NETPOLC-NET4-0", Family::V4));
}

TEST_CASE("no ports = every protocol; named egress ports become address,protocol:port") {
  World w = world(R"(
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: out, namespace: x}
spec:
  podSelector: {matchLabels: {pod: b}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {pod: a}}}]
    ports: [{port: http}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{protocol: SCTP}]
  - {}
)");
  IptablesOutput o = emit(w, Family::V4, true);
  CHECK(o.ipsets.find(" 10.0.1.1,tcp:80 -exist") != std::string::npos);
  CHECK(o.rules.find(" dst,dst -m comment --comment \"x/out egress[0]\" -j RETURN") != std::string::npos);
  // 0.0.0.0/0: every IPv4 address, so no address condition at all.
  CHECK(o.rules.find("-p sctp -m comment --comment \"x/out egress[1] to[0]\" -j RETURN") != std::string::npos);
  CHECK(o.rules.find("-A NETPOLC-EG-") != std::string::npos);
  CHECK(lines_starting(o.rules, "-A ").size() == 6);  // replies, dispatch, 3 rules, drop
  std::string inl = emit(w, Family::V4, false).rules;
  CHECK(inl.find("-d 10.0.1.1/32 -p tcp -m tcp --dport 80 -m comment --comment \"x/out egress[0]\"") !=
        std::string::npos);
  CHECK(has_line(inl, "-A " + lines_starting(inl, ":NETPOLC-EG-")[0].substr(1, 19) +
                          " -m comment --comment \"x/out egress[2]\" -j RETURN"));
}

TEST_CASE("endpoint: loopback and replies first, IPv6 neighbour discovery, then the pod's chains") {
  World w = world(kWebIngress);
  std::string v6 = emit(w, Family::V6, false, Target::Endpoint, "x/a", true).rules;
  auto input = lines_starting(v6, "-A NETPOLC-INPUT ");
  REQUIRE(input.size() == 7);
  CHECK(input[0] == "-A NETPOLC-INPUT -i lo -m comment --comment loopback -j ACCEPT");
  CHECK(input[1].find("--ctstate RELATED,ESTABLISHED") != std::string::npos);
  CHECK(input[2].find("-p ipv6-icmp -m icmp6 --icmpv6-type 133 ") != std::string::npos);
  CHECK(input[6].find("-j NETPOLC-IN-") != std::string::npos);
  CHECK(v6.find(":NETPOLC-FORWARD") == std::string::npos);
  // Egress is not isolated: only loopback, replies, ND and the DNS carve-out.
  auto output = lines_starting(v6, "-A NETPOLC-OUTPUT ");
  CHECK(output.size() == 8);
  CHECK(output.back() == "-A NETPOLC-OUTPUT -d fd00::10/128 -p tcp -m tcp --dport 53 -m comment --comment "
                         "\"--dns-carve-out cluster\" -j ACCEPT");
  std::string v4 = emit(w, Family::V4, false, Target::Endpoint).rules;
  CHECK(v4.find("icmp6") == std::string::npos);
  // The DNS server takes queries from every pod.
  std::string dns = emit(w, Family::V4, false, Target::Endpoint, "kube-system/dns", true).rules;
  CHECK(has_line(dns, "-A NETPOLC-INPUT -p udp -m udp --dport 53 -m comment --comment \"--dns-carve-out cluster\" "
                      "-j NETPOLC-DNS-CLIENTS"));
  CHECK(has_line(dns, "-A NETPOLC-DNS-CLIENTS -s 10.0.1.1/32 -m comment --comment \"--dns-carve-out cluster: from "
                      "a pod\" -j ACCEPT"));
}

TEST_CASE("output is deterministic and a pod added changes only its own lines") {
  World a = world(kWebIngress, 3), b = world(kWebIngress, 4);
  CHECK(emit(a, Family::V4, true).rules == emit(a, Family::V4, true).rules);
  CHECK(emit(a, Family::V4, true).ipsets == emit(a, Family::V4, true).ipsets);
  auto before = lines_starting(emit(a, Family::V4, false).rules, "-A ");
  auto after = lines_starting(emit(b, Family::V4, false).rules, "-A ");
  REQUIRE(after.size() == before.size() + 1);
  size_t same = 0;
  for (const auto& l : before) same += std::count(after.begin(), after.end(), l);
  CHECK(same == before.size());
}
