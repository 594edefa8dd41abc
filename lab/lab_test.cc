#include "lab/lab.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <functional>
#include <sstream>

#include "lab/cleanup.h"

using namespace netpolc;
using namespace netpolc::lab;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kDenyTimeout{300};

// The kernel tests need root and network namespaces. Anywhere else they say
// so, loudly, and pass without running.
bool lab_available() {
  std::string why;
  if (lab_supported(&why)) return true;
  MESSAGE("SKIPPED: kernel lab tests need root and network namespaces: " << why);
  return false;
}

IpAddr ip(const char* text) { return *parse_ip(text); }

enum Host : size_t { A = 0, B = 1, C = 2, EXT = 3 };

// Three dual-stack pods and one external host.
LabSpec three_pods_and_a_host() {
  return {{
      {"default/a", {ip("10.244.1.10"), ip("fd00::1:10")}},
      {"default/b", {ip("10.244.1.11"), ip("fd00::1:11")}},
      {"other/c", {ip("10.244.2.12"), ip("fd00::2:12")}},
      {"example.com", {ip("203.0.113.10"), ip("2001:db8::10")}},
  }};
}

std::unique_ptr<Lab> make_lab(const LabSpec& spec = three_pods_and_a_host()) {
  std::string error;
  std::unique_ptr<Lab> lab = Lab::create(spec, &error);
  INFO(error);
  REQUIRE(lab);
  return lab;
}

// Every ordered pair of distinct hosts, both families, TCP 80 and 8080, UDP
// 53 and 5353, ICMP.
std::vector<Probe> every_probe(size_t hosts) {
  std::vector<Probe> probes;
  for (size_t from = 0; from < hosts; ++from)
    for (size_t to = 0; to < hosts; ++to) {
      if (from == to) continue;
      for (Family f : {Family::V4, Family::V6}) {
        probes.push_back({from, to, f, ProbeKind::TCP, 80});
        probes.push_back({from, to, f, ProbeKind::TCP, 8080});
        probes.push_back({from, to, f, ProbeKind::UDP, 53});
        probes.push_back({from, to, f, ProbeKind::UDP, 5353});
        probes.push_back({from, to, f, ProbeKind::ICMP, 0});
      }
    }
  return probes;
}

const char* outcome_name(ProbeOutcome o) {
  switch (o) {
    case ProbeOutcome::Connected: return "connected";
    case ProbeOutcome::Timeout: return "timeout";
    case ProbeOutcome::Refused: return "refused";
    case ProbeOutcome::Error: return "error";
  }
  return "?";
}

// Probes and checks every outcome against `expected`; lists every mismatch.
void expect_outcomes(Lab& lab, const std::vector<Probe>& probes,
                     const std::function<ProbeOutcome(const Probe&)>& expected,
                     milliseconds timeout = kDenyTimeout) {
  std::vector<ProbeResult> results = lab.probe(probes, timeout);
  REQUIRE(results.size() == probes.size());
  std::ostringstream wrong;
  size_t mismatches = 0;
  for (size_t i = 0; i < probes.size(); ++i) {
    ProbeOutcome want = expected(probes[i]);
    if (results[i].outcome == want) continue;
    ++mismatches;
    wrong << "\n  " << lab.describe(probes[i]) << ": want " << outcome_name(want) << ", got "
          << results[i].detail;
  }
  INFO("unexpected outcomes:" << wrong.str());
  CHECK(mismatches == 0);
}

// This process's lab namespaces that still exist.
std::vector<std::string> namespaces_left(const std::string& prefix = netns_prefix()) {
  std::vector<std::string> left;
  DIR* dir = opendir("/run/netns");
  if (!dir) return left;
  while (dirent* d = readdir(dir))
    if (std::string(d->d_name).rfind(prefix, 0) == 0) left.push_back(d->d_name);
  closedir(dir);
  return left;
}

std::string nft_or_fail(Lab& lab, const std::string& netns, const std::string& ruleset) {
  std::string out;
  bool ok = lab.run_in(netns, {"nft", "-f", "-"}, ruleset, &out);
  INFO(out);
  REQUIRE(ok);
  return out;
}

bool is_to(const Probe& p, size_t host) { return p.to == host; }
ProbeOutcome connected_unless(bool denied) { return denied ? ProbeOutcome::Timeout : ProbeOutcome::Connected; }

}  // namespace

TEST_CASE("a lab spec with an address outside the lab ranges or an ambiguous host is refused") {
  auto error_of = [](LabSpec spec) {
    std::string error;
    CHECK_FALSE(Lab::create(spec, &error));
    return error;
  };
  CHECK(error_of({{{"default/a", {ip("8.8.8.8")}}}}) ==
        "host 0 'default/a': address 8.8.8.8 is outside the lab ranges (10.244.0.0/16, fd00::/8, "
        "documentation ranges)");
  CHECK(error_of({{{"default/a", {ip("10.244.0.1"), ip("10.244.0.2")}}}}) ==
        "host 0 'default/a': needs one or two addresses, at most one per family");
  CHECK(error_of({{{"default/a", {}}}}) == "host 0 'default/a': needs one or two addresses, at most one per family");
  CHECK(error_of({{{"default/a", {ip("10.244.0.1")}}, {"default/b", {ip("10.244.0.1")}}}}) ==
        "host 1 'default/b': address 10.244.0.1 is used twice");
  CHECK(error_of({{{"default/a", {ip("10.244.0.1")}}, {"default/a", {ip("10.244.0.2")}}}}) ==
        "host 1 'default/a': duplicate id");
  CHECK(error_of({{{"", {ip("10.244.0.1")}}}}) == "host 0 has no id");
  CHECK(namespaces_left().empty());
}

TEST_CASE("a fresh lab connects every host to every other, TCP, UDP and ICMP, IPv4 and IPv6") {
  if (!lab_available()) return;
  std::string node;
  {
    std::unique_ptr<Lab> lab = make_lab();
    node = lab->node_netns();
    CHECK(node.rfind(netns_prefix(), 0) == 0);
    CHECK(namespaces_left().size() == 5);
    std::vector<Probe> probes = every_probe(4);
    CHECK(probes.size() == 120);
    expect_outcomes(*lab, probes, [](const Probe&) { return ProbeOutcome::Connected; }, milliseconds(3000));
    // A probe needs an address of its family on both ends.
    std::vector<ProbeResult> bad = lab->probe({{A, 9, Family::V4, ProbeKind::TCP, 80}, {A, B, Family::V4, ProbeKind::UDP, 0}},
                                              milliseconds(100));
    CHECK(bad[0].detail == "error: no such host");
    CHECK(bad[1].detail == "error: port 0");
  }
  CHECK(namespaces_left().empty());
}

TEST_CASE("a ruleset in the node drops exactly the traffic it names (gateway mode)") {
  if (!lab_available()) return;
  std::unique_ptr<Lab> lab = make_lab();
  nft_or_fail(*lab, lab->node_netns(), R"(
table inet lab_test {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip daddr 10.244.1.11 tcp dport 80 drop
    ip6 daddr fd00::1:11 tcp dport 80 drop
    ip saddr 10.244.2.12 meta l4proto udp drop
    ip6 saddr fd00::2:12 meta l4proto udp drop
  }
}
)");
  expect_outcomes(*lab, every_probe(4), [](const Probe& p) {
    bool tcp80_to_b = p.kind == ProbeKind::TCP && p.port == 80 && is_to(p, B);
    // The rules are stateless: UDP echoes from c are dropped as well.
    bool udp_from_c = p.kind == ProbeKind::UDP && (p.from == C || p.to == C);
    return connected_unless(tcp80_to_b || udp_from_c);
  });
}

TEST_CASE("replies of allowed connections flow back, new connections the other way time out") {
  if (!lab_available()) return;
  std::unique_ptr<Lab> lab = make_lab();
  // Only a may open connections, and only to b; the external host may reach c.
  nft_or_fail(*lab, lab->node_netns(), R"(
table inet lab_test {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    ip saddr 10.244.1.10 ip daddr 10.244.1.11 accept
    ip6 saddr fd00::1:10 ip6 daddr fd00::1:11 accept
    ip saddr 203.0.113.10 ip daddr 10.244.2.12 accept
    ip6 saddr 2001:db8::10 ip6 daddr fd00::2:12 accept
  }
}
)");
  expect_outcomes(*lab, every_probe(4), [](const Probe& p) {
    bool allowed = (p.from == A && p.to == B) || (p.from == EXT && p.to == C);
    return connected_unless(!allowed);
  });
}

TEST_CASE("a rejecting rule shows as refused, not as a silent drop") {
  if (!lab_available()) return;
  std::unique_ptr<Lab> lab = make_lab();
  nft_or_fail(*lab, lab->node_netns(), R"(
table inet lab_test {
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip daddr 10.244.1.11 tcp dport 80 reject with tcp reset
    ip6 daddr fd00::1:11 tcp dport 80 reject with tcp reset
    meta nfproto { ipv4, ipv6 } udp dport 53 reject with icmpx admin-prohibited
    icmp type echo-request reject
    icmpv6 type echo-request reject
  }
}
)");
  std::vector<Probe> probes;
  for (Family f : {Family::V4, Family::V6}) {
    probes.push_back({A, B, f, ProbeKind::TCP, 80});
    probes.push_back({A, B, f, ProbeKind::TCP, 8080});
    probes.push_back({A, C, f, ProbeKind::UDP, 53});
    probes.push_back({A, C, f, ProbeKind::UDP, 5353});
    probes.push_back({A, EXT, f, ProbeKind::ICMP, 0});
  }
  std::vector<ProbeResult> r = lab->probe(probes, kDenyTimeout);
  for (size_t i = 0; i < r.size(); ++i) INFO(lab->describe(probes[i]) << ": " << r[i].detail);
  for (size_t f = 0; f < 2; ++f) {
    CAPTURE(f);
    CHECK(r[5 * f + 0].detail == "refused");
    CHECK(r[5 * f + 1].connected());
    CHECK(r[5 * f + 2].outcome == ProbeOutcome::Refused);
    CHECK(r[5 * f + 2].detail.rfind("unreachable: ", 0) == 0);
    CHECK(r[5 * f + 3].connected());
    CHECK(r[5 * f + 4].outcome == ProbeOutcome::Refused);
  }
  CHECK(r[4].detail == "unreachable: icmp type 3 code 3");
  CHECK(r[9].detail == "unreachable: icmp type 1 code 4");
}

TEST_CASE("a ruleset in a host namespace filters that host's input and output (endpoint mode)") {
  if (!lab_available()) return;
  std::unique_ptr<Lab> lab = make_lab();
  // b takes no TCP on 8080 and starts no UDP flow to c (but answers c's).
  nft_or_fail(*lab, lab->host_netns(B), R"(
table inet lab_test {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 8080 drop
  }
  chain output {
    type filter hook output priority 0; policy accept;
    ct state new ip daddr 10.244.2.12 meta l4proto udp drop
    ct state new ip6 daddr fd00::2:12 meta l4proto udp drop
  }
}
)");
  expect_outcomes(*lab, every_probe(4), [](const Probe& p) {
    bool tcp8080_to_b = p.kind == ProbeKind::TCP && p.port == 8080 && is_to(p, B);
    bool udp_b_to_c = p.kind == ProbeKind::UDP && p.from == B && p.to == C;
    return connected_unless(tcp8080_to_b || udp_b_to_c);
  });
  // The node is untouched: its ruleset is empty.
  std::string out;
  CHECK(lab->run_in(lab->node_netns(), {"nft", "list", "ruleset"}, "", &out));
  CHECK(out == "");
}

TEST_CASE("a probe never rides on the conntrack entry an earlier probe left") {
  if (!lab_available()) return;
  std::unique_ptr<Lab> lab = make_lab();
  std::vector<Probe> probes;
  for (Family f : {Family::V4, Family::V6})
    for (ProbeKind k : {ProbeKind::TCP, ProbeKind::UDP, ProbeKind::ICMP}) probes.push_back({A, B, f, k, 80});
  expect_outcomes(*lab, probes, [](const Probe&) { return ProbeOutcome::Connected; });
  // Established flows still pass, new ones do not: the same probes again are
  // new flows (fresh source ports and echo identifiers), so they time out.
  nft_or_fail(*lab, lab->node_netns(), R"(
table inet lab_test {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
  }
}
)");
  expect_outcomes(*lab, probes, [](const Probe&) { return ProbeOutcome::Timeout; });
}

TEST_CASE("iptables rules in the node take effect as well") {
  if (!lab_available()) return;
  std::unique_ptr<Lab> lab = make_lab();
  std::string out;
  bool v4 = lab->run_in(lab->node_netns(), {"iptables-restore"},
                        "*filter\n-A FORWARD -d 10.244.1.11/32 -p tcp --dport 80 -j DROP\nCOMMIT\n", &out);
  INFO(out);
  REQUIRE(v4);
  bool v6 = lab->run_in(lab->node_netns(), {"ip6tables-restore"},
                        "*filter\n-A FORWARD -s fd00::2:12/128 -p udp -j DROP\nCOMMIT\n", &out);
  INFO(out);
  REQUIRE(v6);
  expect_outcomes(*lab, every_probe(4), [](const Probe& p) {
    bool tcp80_to_b_v4 = p.family == Family::V4 && p.kind == ProbeKind::TCP && p.port == 80 && is_to(p, B);
    bool udp_from_c_v6 = p.family == Family::V6 && p.kind == ProbeKind::UDP && (p.from == C || p.to == C);
    return connected_unless(tcp80_to_b_v4 || udp_from_c_v6);
  });
}

TEST_CASE("labs are independent: two at once, and one after another") {
  if (!lab_available()) return;
  std::unique_ptr<Lab> first = make_lab();
  std::unique_ptr<Lab> second = make_lab();
  CHECK(first->node_netns() != second->node_netns());
  // The same addresses live in both; a ruleset in one does not touch the other.
  nft_or_fail(*first, first->node_netns(),
              "table inet t {\n  chain f { type filter hook forward priority 0; policy drop; }\n}\n");
  std::vector<Probe> probes = {{A, B, Family::V4, ProbeKind::TCP, 80}, {A, B, Family::V6, ProbeKind::UDP, 53}};
  for (const ProbeResult& r : first->probe(probes, kDenyTimeout)) CHECK(r.detail == "timeout");
  for (const ProbeResult& r : second->probe(probes, kDenyTimeout)) CHECK(r.detail == "ok");
  // Responders stay up between calls; a moved lab keeps working.
  Lab moved = std::move(*second);
  second.reset();
  for (const ProbeResult& r : moved.probe(probes, kDenyTimeout)) CHECK(r.detail == "ok");
  first.reset();
  CHECK(namespaces_left().size() == 5);
}

TEST_CASE("a lab build that fails halfway leaves nothing behind") {
  if (!lab_available()) return;
  for (int stage = 1; stage <= 5; ++stage) {
    CAPTURE(stage);
    std::string error;
    LabBuildOptions options;
    options.fail_after_stage = stage;
    CHECK_FALSE(Lab::create(three_pods_and_a_host(), &error, options));
    CHECK(error == "failing after build stage " + std::to_string(stage) + " as asked");
    CHECK(namespaces_left().empty());
  }
  // And a lab builds fine right after.
  std::unique_ptr<Lab> lab = make_lab();
  CHECK(lab->probe({{A, EXT, Family::V6, ProbeKind::ICMP, 0}}, kDenyTimeout)[0].connected());
}

TEST_CASE("run_in runs a program inside a namespace and reports its failure") {
  if (!lab_available()) return;
  std::unique_ptr<Lab> lab = make_lab();
  std::string out;
  CHECK(lab->run_in(lab->host_netns(C), {"ip", "-o", "addr", "show", "dev", "eth0"}, "", &out));
  CHECK(out.find("10.244.2.12/32") != std::string::npos);
  CHECK(out.find("fd00::2:12/128") != std::string::npos);
  CHECK(lab->run_in(lab->node_netns(), {"cat"}, "echo me", &out));
  CHECK(out == "echo me");
  CHECK_FALSE(lab->run_in(lab->node_netns(), {"nft", "-f", "-"}, "this is not nft\n", &out));
  CHECK(out.find("Error") != std::string::npos);
  CHECK_FALSE(lab->run_in(lab->node_netns(), {"/nonexistent/program"}, "", &out));
  CHECK(out.find("cannot execute /nonexistent/program") != std::string::npos);
  CHECK_FALSE(lab->run_in("no-such-namespace", {"true"}, "", &out));
}

TEST_CASE("a process killed by SIGTERM or SIGINT removes its lab namespaces on the way out") {
  if (!lab_available()) return;
  for (int sig : {SIGTERM, SIGINT}) {
    CAPTURE(sig);
    int ready[2];
    REQUIRE(pipe(ready) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // The child: no doctest handlers, a lab, then wait to be killed.
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      close(ready[0]);
      std::string error;
      std::unique_ptr<Lab> lab = Lab::create(three_pods_and_a_host(), &error);
      std::string message = lab ? "y" : "n" + error;
      (void)!write(ready[1], message.data(), message.size());
      close(ready[1]);
      for (;;) pause();
    }
    close(ready[1]);
    std::string message;
    char buf[512];
    for (ssize_t n; (n = read(ready[0], buf, sizeof buf)) > 0;) message.append(buf, size_t(n));
    close(ready[0]);
    std::string child_prefix = "npl" + std::to_string(pid) + "-";
    CHECK(message == "y");
    CHECK(namespaces_left(child_prefix).size() == 5);
    kill(pid, sig);
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == sig);
    CHECK(namespaces_left(child_prefix).empty());
  }
}

TEST_CASE("the lab of a process killed with SIGKILL is removed by the next lab") {
  if (!lab_available()) return;
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(ready[0]);
    std::string error;
    std::unique_ptr<Lab> lab = Lab::create(three_pods_and_a_host(), &error);
    (void)!write(ready[1], lab ? "y" : "n", 1);
    close(ready[1]);
    for (;;) pause();
  }
  close(ready[1]);
  char c = 0;
  CHECK(read(ready[0], &c, 1) == 1);
  close(ready[0]);
  CHECK(c == 'y');
  kill(pid, SIGKILL);  // no handler runs: the namespaces stay
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  std::string child_prefix = "npl" + std::to_string(pid) + "-";
  CHECK(namespaces_left(child_prefix).size() == 5);
  std::unique_ptr<Lab> lab = make_lab();
  CHECK(namespaces_left(child_prefix).empty());
  CHECK(namespaces_left().size() == 5);  // this lab's own
}
