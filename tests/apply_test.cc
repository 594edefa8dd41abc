// Kernel tests of `apply` over netlink, each in throwaway network namespaces:
//   round trip    for every fixture under fixtures/cases and fixtures/seeds,
//                 gateway and endpoint (every pod), the table netpolc applies
//                 over netlink is the table `nft -f` of the compiled text
//                 makes, attribute for attribute (user data, handles and set
//                 elements included), and `nft list ruleset` prints the same;
//   atomicity     a foreign table survives; a batch the kernel refuses in its
//                 middle leaves the previous ruleset in force and names the
//                 rule and the policy; --check changes nothing; re-applying is
//                 idempotent; a batch built on a stale generation fails whole.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "backends/apply_state.h"
#include "backends/netlink_apply.h"
#include "backends/netlink_dump.h"
#include "backends/nft_text.h"
#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "compiler/resolve.h"
#include "compiler/snapshot_parser.h"
#include "lab/lab.h"
#include "tests/scenario.h"

using namespace netpolc;

namespace {

std::string root() { return NETPOLC_SOURCE_DIR; }

struct Compiled {
  Cluster cluster;
  PolicySet policies;
  Program program;
};

Compiled compile(const std::string& snapshot, const std::vector<std::string>& policy_files) {
  Compiled c;
  Diagnostics diags;
  SourceFiles sources;
  c.cluster = parse_snapshot(read_inputs({snapshot}, diags, sources), diags);
  c.policies = parse_policies(read_inputs(policy_files, diags, sources), diags);
  c.program = resolve(c.cluster, c.policies, ResolveOptions{}, diags);
  INFO(format_diagnostics(diags, sources));
  REQUIRE_FALSE(diags.has_errors());
  return c;
}

long pod_index(const Cluster& cluster, const std::string& ref) {
  for (size_t i = 0; i < cluster.pods.size(); ++i)
    if (cluster.pods[i].ns + "/" + cluster.pods[i].name == ref) return long(i);
  return -1;
}

struct Config {
  std::string name;
  std::string snapshot;
  NftOptions nft;
};

// The options of a `# golden: NAME: ARGS` header.
Config parse_header(const std::string& line) {
  Config c;
  std::string rest = line.substr(std::string("# golden: ").size());
  c.name = rest.substr(0, rest.find(':'));
  std::istringstream args(rest.substr(rest.find(':') + 1));
  std::string flag, value;
  while (args >> flag) {
    if (flag == "--audit") {
      c.nft.report.audit = true;
      continue;
    }
    if (flag.rfind("--log-denied=", 0) == 0) {
      std::string error;
      c.nft.report.log = parse_rate(flag.substr(flag.find('=') + 1), &error);
      REQUIRE_MESSAGE(c.nft.report.log, error);
      continue;
    }
    bool has_value = bool(args >> value);
    REQUIRE_MESSAGE(has_value, "no value for " << flag << " in " << line);
    if (flag == "--nflog-group")
      c.nft.report.nflog_group = uint16_t(std::stoi(value));
    else if (flag == "-s")
      c.snapshot = root() + "/" + value;
    else if (flag == "--table")
      c.nft.table = value;
    else if (flag == "--dns-carve-out")
      c.nft.dns_carve_out = value == "cluster";
    else if (flag == "--endpoint")
      c.name += "@" + value;  // resolved by the caller
    else
      FAIL("unknown flag in " << line);
  }
  return c;
}

// The golden configurations of a fixture, then the gateway with the DNS
// carve-out and every enforced pod's endpoint ruleset.
std::vector<Config> configs(const std::string& fixture) {
  std::vector<Config> out;
  std::ifstream f(fixture);
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("# golden: ", 0) == 0) out.push_back(parse_header(line));
  if (out.empty()) out.push_back({"gateway", root() + "/fixtures/clusters/seeds-lab.yaml", {}});
  Config dns{"gateway+dns", root() + "/fixtures/clusters/seeds-lab.yaml", {}};
  dns.nft.dns_carve_out = true;
  out.push_back(dns);
  return out;
}

// Two empty namespaces: one for `nft -f`, one for apply.
struct Pair {
  std::unique_ptr<lab::Lab> nft;
  std::unique_ptr<lab::Lab> netlink;
  std::string a() const { return nft->node_netns(); }
  std::string b() const { return netlink->node_netns(); }
};

std::unique_ptr<lab::Lab> empty_namespace() {
  std::string error;
  auto lab = lab::Lab::create({}, &error);
  REQUIRE_MESSAGE(lab, error);
  return lab;
}

bool kernel_supported() {
  std::string why;
  if (lab::lab_supported(&why)) return true;
  MESSAGE("SKIPPED LOUDLY: apply tests need network namespaces: " << why);
  return false;
}

std::string run(lab::Lab& lab, const std::string& ns, const std::vector<std::string>& argv,
                const std::string& input = "") {
  std::string out;
  bool ok = lab.run_in(ns, argv, input, &out);
  REQUIRE_MESSAGE(ok, "`" << argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << "` failed in " << ns << ": " << out);
  return out;
}

std::string dump(const std::string& ns, const std::string& table, bool handles = true) {
  std::string error;
  auto sock = nl::NftSocket::open(ns, &error);
  REQUIRE_MESSAGE(sock, error);
  nl::KernelTable t;
  REQUIRE_MESSAGE(nl::read_table(*sock, table, &t, &error), error);
  nl::DescribeOptions opt;
  opt.handles = handles;
  return nl::describe(t, opt);
}

nl::ApplyReport apply(const nft::Ruleset& rs, const std::string& ns, Diagnostics& diags, nl::ApplyOptions opt = {}) {
  opt.netns = ns;
  return nl::apply_ruleset(rs, opt, diags);
}

void apply_ok(const nft::Ruleset& rs, const std::string& ns) {
  Diagnostics diags;
  nl::ApplyReport r = apply(rs, ns, diags);
  INFO(format_diagnostics(diags, SourceFiles{}));
  REQUIRE(r.ok);
}

}  // namespace

TEST_CASE("apply: the netlink ruleset is the nft -f ruleset, for every fixture, gateway and endpoint") {
  if (!kernel_supported()) return;
  Pair ns{empty_namespace(), empty_namespace()};
  std::vector<std::string> fixtures = test::fixture_files("fixtures/cases");
  for (const auto& f : test::fixture_files("fixtures/seeds"))
    if (std::filesystem::path(f).filename().string().rfind("bad-", 0) != 0) fixtures.push_back(f);
  size_t compared = 0;
  auto started = std::chrono::steady_clock::now();
  for (const auto& fixture : fixtures) {
    for (Config cfg : configs(fixture)) {
      Compiled c = compile(cfg.snapshot, {fixture});
      std::vector<std::pair<std::string, NftOptions>> targets;
      if (auto at = cfg.name.find('@'); at != std::string::npos) {
        long pod = pod_index(c.cluster, cfg.name.substr(at + 1));
        REQUIRE(pod >= 0);
        cfg.nft.target = Target::Endpoint;
        cfg.nft.endpoint_pod = size_t(pod);
      }
      targets.push_back({cfg.name, cfg.nft});
      if (cfg.name == "gateway+dns") {
        // Every enforced pod's own ruleset, with the carve-out (DNS servers
        // get the rules that let them answer).
        for (size_t p = 0; p < c.cluster.pods.size(); ++p) {
          if (!c.cluster.pods[p].enforced()) continue;
          NftOptions ep = cfg.nft;
          ep.target = Target::Endpoint;
          ep.endpoint_pod = p;
          targets.push_back({"endpoint " + c.cluster.pods[p].ns + "/" + c.cluster.pods[p].name, ep});
        }
      }
      for (const auto& target : targets) {
        const auto& [name, opt] = target;
        INFO(fixture << " " << target.first);
        // No flush in between: each load replaces the table the previous one
        // left, in both namespaces alike, so handles stay comparable.
        nft::Ruleset rs = nft::build_ruleset(c.program, c.cluster, opt);
        run(*ns.nft, ns.a(), {"nft", "-f", "-"}, nft::print_ruleset(rs));
        apply_ok(rs, ns.b());
        CHECK(dump(ns.a(), opt.table) == dump(ns.b(), opt.table));
        CHECK(run(*ns.nft, ns.a(), {"nft", "list", "ruleset"}) == run(*ns.netlink, ns.b(), {"nft", "list", "ruleset"}));
        ++compared;
      }
    }
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("apply round trip: " << fixtures.size() << " fixtures, " << compared << " rulesets in " << secs << " s");
}

namespace {

const char kForeign[] =
    "table ip netpolc {\n"
    "\tchain forward {\n"
    "\t\ttype filter hook forward priority -10; policy accept;\n"
    "\t\tip daddr 172.17.0.2 tcp dport 80 accept comment \"someone else's\"\n"
    "\t}\n"
    "}\n"
    "table inet docker {\n"
    "\tset published { type ipv4_addr; elements = { 172.17.0.2 } }\n"
    "}\n";

std::string fixture(const std::string& rel) { return root() + "/" + rel; }

nft::Ruleset ruleset(const std::string& policies) {
  Compiled c = compile(fixture("fixtures/clusters/seeds-lab.yaml"), {fixture(policies)});
  return nft::build_ruleset(c.program, c.cluster, NftOptions{});
}

// The rule with this batch number, its chain and position.
const nft::Rule* nth_rule(const nft::Ruleset& rs, size_t n, std::string* chain, size_t* position) {
  for (const auto& c : rs.chains) {
    size_t pos = 0;
    for (const auto& item : c.items) {
      const nft::Rule* r = std::get_if<nft::Rule>(&item);
      if (!r) continue;
      if (n-- == 0) {
        *chain = c.name;
        *position = pos;
        return r;
      }
      ++pos;
    }
  }
  return nullptr;
}

// The batch number of a rule in the middle of the ruleset that enforces a
// policy rule.
size_t middle_policy_rule(const nft::Ruleset& rs) {
  size_t total = 0;
  for (const auto& c : rs.chains)
    for (const auto& item : c.items) total += std::holds_alternative<nft::Rule>(item);
  std::string chain;
  size_t pos = 0;
  for (size_t n = total / 2; n < total; ++n)
    if (nth_rule(rs, n, &chain, &pos)->origin) return n;
  FAIL("no policy rule in the second half");
  return 0;
}

struct Snapshot {
  std::string table;
  std::string ruleset;
};

Snapshot snapshot(lab::Lab& lab, const std::string& ns) {
  return {dump(ns, "netpolc"), run(lab, ns, {"nft", "list", "ruleset"})};
}

void check_unchanged(const Snapshot& before, lab::Lab& lab, const std::string& ns) {
  Snapshot now = snapshot(lab, ns);
  CHECK(now.table == before.table);
  CHECK(now.ruleset == before.ruleset);
}

}  // namespace

TEST_CASE("apply: only its own table changes; a foreign table survives every apply, failed or not") {
  if (!kernel_supported()) return;
  auto lab = empty_namespace();
  const std::string ns = lab->node_netns();
  run(*lab, ns, {"nft", "-f", "-"}, kForeign);
  std::string foreign = run(*lab, ns, {"nft", "list", "table", "ip", "netpolc"}) +
                        run(*lab, ns, {"nft", "list", "table", "inet", "docker"});
  auto foreign_now = [&] {
    return run(*lab, ns, {"nft", "list", "table", "ip", "netpolc"}) +
           run(*lab, ns, {"nft", "list", "table", "inet", "docker"});
  };
  nft::Ruleset a = ruleset("fixtures/cases/peers.yaml");
  apply_ok(a, ns);
  CHECK(foreign_now() == foreign);
  Diagnostics diags;
  nl::ApplyOptions broken;
  broken.break_rule = middle_policy_rule(a);
  CHECK_FALSE(apply(a, ns, diags, broken).ok);
  CHECK(foreign_now() == foreign);
  nl::ApplyOptions check;
  check.check = true;
  CHECK(apply(ruleset("fixtures/cases/ports.yaml"), ns, diags, check).ok);
  CHECK(foreign_now() == foreign);
}

TEST_CASE("apply: a batch refused in its middle leaves the old rules in force and names the rule and policy") {
  if (!kernel_supported()) return;
  auto lab = empty_namespace();
  const std::string ns = lab->node_netns();
  apply_ok(ruleset("fixtures/cases/peers.yaml"), ns);
  Snapshot before = snapshot(*lab, ns);

  nft::Ruleset b = ruleset("fixtures/cases/rule-shapes.yaml");
  nl::ApplyOptions opt;
  opt.break_rule = middle_policy_rule(b);
  std::string chain;
  size_t position = 0;
  const nft::Rule* refused = nth_rule(b, *opt.break_rule, &chain, &position);
  Diagnostics diags;
  nl::ApplyReport r = apply(b, ns, diags, opt);
  CHECK_FALSE(r.ok);
  std::string text = format_diagnostics(diags, SourceFiles{});
  INFO(text);
  REQUIRE(diags.has_errors());
  const Diagnostic& first = diags.items()[0];
  CHECK(first.message.find("rule " + std::to_string(position + 1) + " of chain " + chain) != std::string::npos);
  CHECK(first.message.find(refused->origin->label()) != std::string::npos);
  // meta nfproto, cmp, payload, then the lookup of the missing set.
  CHECK(first.message.find("expression 4 (lookup)") != std::string::npos);
  CHECK(first.message.find("No such file or directory") != std::string::npos);
  CHECK(first.loc == refused->origin->loc);
  CHECK(first.loc.file.find("rule-shapes.yaml") != std::string::npos);
  CHECK(text.find("the previous ruleset is still in force") != std::string::npos);
  check_unchanged(before, *lab, ns);
}

TEST_CASE("apply: --check validates and changes nothing") {
  if (!kernel_supported()) return;
  auto lab = empty_namespace();
  const std::string ns = lab->node_netns();
  nft::Ruleset a = ruleset("fixtures/cases/peers.yaml");
  nl::ApplyOptions check;
  check.check = true;
  Diagnostics diags;
  nl::ApplyReport r = apply(a, ns, diags, check);
  CHECK(r.ok);
  CHECK(r.kind == nl::ApplyReport::Kind::Checked);
  CHECK(dump(ns, "netpolc") == "no table\n");

  apply_ok(a, ns);
  Snapshot before = snapshot(*lab, ns);
  CHECK(apply(ruleset("fixtures/cases/rule-shapes.yaml"), ns, diags, check).ok);
  check_unchanged(before, *lab, ns);

  nft::Ruleset b = ruleset("fixtures/cases/rule-shapes.yaml");
  check.break_rule = middle_policy_rule(b);
  CHECK_FALSE(apply(b, ns, diags, check).ok);
  CHECK(diags.has_errors());
  check_unchanged(before, *lab, ns);
}

TEST_CASE("apply: applying the same ruleset again changes nothing but handles") {
  if (!kernel_supported()) return;
  auto lab = empty_namespace();
  const std::string ns = lab->node_netns();
  nft::Ruleset a = ruleset("fixtures/cases/rule-shapes.yaml");
  apply_ok(a, ns);
  std::string first = dump(ns, "netpolc", false);
  std::string listed = run(*lab, ns, {"nft", "list", "ruleset"});
  apply_ok(a, ns);
  apply_ok(a, ns);
  CHECK(dump(ns, "netpolc", false) == first);
  CHECK(run(*lab, ns, {"nft", "list", "ruleset"}) == listed);
}

TEST_CASE("apply: a batch built on a stale generation fails as a whole") {
  if (!kernel_supported()) return;
  auto lab = empty_namespace();
  const std::string ns = lab->node_netns();
  apply_ok(ruleset("fixtures/cases/peers.yaml"), ns);
  std::string before = dump(ns, "netpolc");
  nl::ApplyOptions opt;
  // Someone else changes the ruleset between our read and our send.
  opt.before_send = [&] { run(*lab, ns, {"nft", "add", "table", "inet", "intruder"}); };
  Diagnostics diags;
  nl::ApplyReport r = apply(ruleset("fixtures/cases/rule-shapes.yaml"), ns, diags, opt);
  CHECK_FALSE(r.ok);
  std::string text = format_diagnostics(diags, SourceFiles{});
  CHECK(text.find("the ruleset changed since netpolc read it") != std::string::npos);
  CHECK(dump(ns, "netpolc") == before);
  CHECK(dump(ns, "intruder") != "no table\n");
}

TEST_CASE("apply: a namespace that does not exist is an error, not a crash") {
  Diagnostics diags;
  nl::ApplyOptions opt;
  opt.netns = "netpolc-test-no-such-namespace";
  nl::ApplyReport r = nl::apply_ruleset(ruleset("fixtures/cases/peers.yaml"), opt, diags);
  CHECK_FALSE(r.ok);
  CHECK(format_diagnostics(diags, SourceFiles{}).find("netpolc-test-no-such-namespace") != std::string::npos);
}

namespace {

// A state directory of its own, removed afterwards.
struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/netpolc-state-XXXXXX";
    REQUIRE(mkdtemp(name));
    path = name;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

const std::vector<std::string> kUpdatePolicies = {"fixtures/seeds/zero-trust", "fixtures/cases/rule-shapes.yaml"};

nft::Ruleset ruleset_for(Cluster cluster) {
  Diagnostics diags;
  SourceFiles sources;
  std::vector<std::string> files;
  for (const auto& p : kUpdatePolicies) files.push_back(fixture(p));
  PolicySet policies = parse_policies(read_inputs(files, diags, sources), diags);
  Program prog = resolve(cluster, policies, ResolveOptions{}, diags);
  REQUIRE_FALSE(diags.has_errors());
  return nft::build_ruleset(prog, cluster, NftOptions{});
}

Pod& pod(Cluster& c, const std::string& ref) {
  long i = pod_index(c, ref);
  REQUIRE(i >= 0);
  return c.pods[size_t(i)];
}

void add_pod(Cluster& c, const std::string& ns, const std::string& name, Labels labels, std::vector<IpAddr> ips) {
  Pod p;
  p.ns = ns;
  p.name = name;
  p.labels = std::move(labels);
  p.ips = std::move(ips);
  p.ports.push_back({"http", 80, Protocol::TCP});
  c.pods.push_back(p);
  std::sort(c.pods.begin(), c.pods.end(),
            [](const Pod& a, const Pod& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
}

}  // namespace

TEST_CASE("apply: when only pods change, an update sends just the element changes and ends where a full apply ends") {
  if (!kernel_supported()) return;
  auto lab_a = empty_namespace();
  auto lab_b = empty_namespace();
  const std::string inc = lab_a->node_netns(), full = lab_b->node_netns();
  TempDir state;
  Cluster cluster = compile(fixture("fixtures/clusters/seeds-lab.yaml"), {}).cluster;

  // Applies to `inc` (incrementally when it can) and, for comparison, a full
  // replacement to `full`; both must end the same.
  auto step = [&](const Cluster& c, const char* what) {
    INFO(what);
    nft::Ruleset rs = ruleset_for(c);
    Diagnostics diags;
    nl::ApplyOptions opt;
    opt.state_dir = state.path;
    nl::ApplyReport r = apply(rs, inc, diags, opt);
    INFO(format_diagnostics(diags, SourceFiles{}));
    REQUIRE(r.ok);
    nl::ApplyOptions replace;
    replace.full = true;
    REQUIRE(apply(rs, full, diags, replace).ok);
    CHECK(dump(inc, "netpolc", false) == dump(full, "netpolc", false));
    const std::vector<std::string> list = {"nft", "list", "table", "inet", "netpolc"};
    CHECK(run(*lab_a, inc, list) == run(*lab_b, full, list));
    return r;
  };
  using Kind = nl::ApplyReport::Kind;
  CHECK(step(cluster, "first apply").kind == Kind::Replaced);
  CHECK(step(cluster, "again").kind == Kind::Unchanged);

  // Next to app/netshoot (.12): pods' addresses are hash sets, one element
  // each, so the pod is only added (an interval set's range .10-.12 would
  // have been removed and added again as .10-.13).
  add_pod(cluster, "app", "new", {{"app", "web"}}, {*parse_ip("10.244.2.13"), *parse_ip("fd00::2:13")});
  nl::ApplyReport added = step(cluster, "a pod added");
  CHECK(added.kind == Kind::Updated);
  CHECK(added.elements_removed == 0);
  CHECK(added.elements_added > 0);
  CHECK(added.messages < 20);
  CHECK_FALSE(added.read_back);  // nothing else changed: the saved state is the kernel's

  pod(cluster, "app/new").labels = {{"app", "checkout"}};
  CHECK(step(cluster, "the pod relabelled: another chain").kind == Kind::Updated);

  pod(cluster, "app/new").ips = {*parse_ip("10.244.2.30"), *parse_ip("fd00::2:30")};
  CHECK(step(cluster, "the pod moved").kind == Kind::Updated);

  cluster.pods.erase(cluster.pods.begin() + pod_index(cluster, "app/new"));
  CHECK(step(cluster, "the pod removed").kind == Kind::Updated);

  SUBCASE("an element removed by hand comes back with an update") {
    run(*lab_a, inc, {"nft", "delete", "element", "inet", "netpolc", "egress-v4", "{", "10.244.2.10", "}"});
    nl::ApplyReport repaired = step(cluster, "repaired");
    CHECK(repaired.kind == Kind::Updated);
    CHECK(repaired.read_back);
    CHECK(repaired.elements_added == 1);
  }
  SUBCASE("another table's change moves the generation: the update reads the sets back") {
    run(*lab_a, inc, {"nft", "add", "table", "inet", "other"});
    run(*lab_b, full, {"nft", "add", "table", "inet", "other"});
    add_pod(cluster, "default", "late", {{"app", "late"}}, {*parse_ip("10.244.1.50")});
    nl::ApplyReport r = step(cluster, "read back");
    CHECK(r.kind == Kind::Updated);
    CHECK(r.read_back);
  }
  SUBCASE("a damaged state file only costs a replacement") {
    std::string error;
    std::string file = nl::state_path(state.path, inc, "netpolc", &error);
    REQUIRE_MESSAGE(!file.empty(), error);
    std::ofstream(file) << "netpolc-apply-state 1\ngarbage\n";
    add_pod(cluster, "default", "late", {{"app", "late"}}, {*parse_ip("10.244.1.50")});
    CHECK(step(cluster, "replaced").kind == Kind::Replaced);
    CHECK(step(cluster, "state rewritten").kind == Kind::Unchanged);
  }
  SUBCASE("a rule added by hand makes the next apply replace the table") {
    run(*lab_a, inc, {"nft", "add", "rule", "inet", "netpolc", "forward", "accept"});
    CHECK(step(cluster, "replaced").kind == Kind::Replaced);
  }
  SUBCASE("a new policy changes the structure: the table is replaced") {
    cluster.pods.erase(cluster.pods.begin() + pod_index(cluster, "app/checkout"));
    // app/allow-egress-payments selects no pod any more: its rules go.
    CHECK(step(cluster, "structure changed").kind == Kind::Replaced);
  }
}
