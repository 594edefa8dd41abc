// The names the report rules write and observe/stats read back.
#include "backends/deny_report.h"

#include <doctest/doctest.h>

#include "backends/nft_ruleset.h"
#include "backends/nft_text.h"
#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "compiler/program.h"
#include "compiler/resolve.h"
#include "compiler/snapshot_parser.h"

using namespace netpolc;

TEST_CASE("report: rates are COUNT/UNIT, nothing else") {
  std::string error;
  CHECK(parse_rate("10/second", &error) == Rate{10, RateUnit::Second});
  CHECK(parse_rate("100/minute", &error) == Rate{100, RateUnit::Minute});
  CHECK(parse_rate("5/hour", &error) == Rate{5, RateUnit::Hour});
  CHECK(parse_rate("1/day", &error) == Rate{1, RateUnit::Day});
  CHECK(parse_rate("4294967295/second", &error) == Rate{4294967295ULL, RateUnit::Second});
  for (const char* bad : {"", "10", "/second", "0/second", "10/sec", "10/seconds", "-1/second", "1 /second",
                          "4294967296/second", "10/", "x/second", "10/second/"}) {
    error.clear();
    CHECK_MESSAGE(!parse_rate(bad, &error), bad);
    CHECK(error.find("expected COUNT/UNIT") != std::string::npos);
  }
  CHECK(rate_text({100, RateUnit::Minute}) == "100/minute");
  CHECK(rate_unit_seconds(RateUnit::Day) == 86400);
}

TEST_CASE("report: a log prefix names the mode and the chain, and reads back") {
  CHECK(log_prefix(false, "eg/default/5e19d2c9") == "np E eg/default/5e19d2c9");
  CHECK(log_prefix(true, "in/app/d3876d60-2") == "np A in/app/d3876d60-2");
  auto d = decode_log_prefix("np A in/app/d3876d60-2");
  REQUIRE(d);
  CHECK(d->audit);
  CHECK(d->chain == "in/app/d3876d60-2");
  CHECK(d->direction == Direction::Ingress);
  auto e = decode_log_prefix(log_prefix(false, "eg/x/1"));
  REQUIRE(e);
  CHECK(!e->audit);
  CHECK(e->direction == Direction::Egress);
  for (const char* bad : {"", "np", "np E", "np E ", "np X eg/a/b", "np E xx/a/b", "npE eg/a/b", "NP E eg/a/b",
                          "np E eg/", "iptables: eg/a/b"})
    CHECK_MESSAGE(!decode_log_prefix(bad), bad);
  std::string long_ns(63, 'n');
  CHECK(log_prefix(true, "eg/" + long_ns + "/5e19d2c9-12").size() <= 127);
}

TEST_CASE("report: counter names carry the policy and direction, and read back") {
  CHECK(deny_counter_name("default/web", Direction::Ingress) == "deny/default/web/ingress");
  auto d = decode_deny_counter("deny/default/web/egress");
  REQUIRE(d);
  CHECK(d->policy == "default/web");
  CHECK(d->direction == Direction::Egress);
  for (const char* bad : {"deny/default/web", "deny//egress", "deny/web/egress", "deny/default//egress",
                          "drop/default/web/egress", "deny/default/web/ingres"})
    CHECK_MESSAGE(!decode_deny_counter(bad), bad);
  // A 253-byte policy name: still at most 255 bytes, distinct, and readable.
  std::string a = "default/" + std::string(253, 'a'), b = "default/" + std::string(252, 'a') + "b";
  std::string na = deny_counter_name(a, Direction::Ingress), nb = deny_counter_name(b, Direction::Ingress);
  CHECK(na.size() <= 255);
  CHECK(na != nb);
  CHECK(decode_deny_counter(na));
}

namespace {

struct Compiled {
  Cluster cluster;
  Program program;
};

Compiled compile_fixture(const std::string& policies) {
  const std::string root = NETPOLC_SOURCE_DIR;
  SourceFiles sources;
  Diagnostics diags;
  Compiled c;
  c.cluster = parse_snapshot(read_inputs({root + "/fixtures/clusters/seeds-lab.yaml"}, diags, sources), diags);
  PolicySet set = parse_policies(read_inputs({root + "/" + policies}, diags, sources), diags);
  c.program = resolve(c.cluster, set, ResolveOptions{}, diags);
  REQUIRE(!diags.has_errors());
  return c;
}

// Every rule of the pod chains but the last two (the report and the verdict).
std::vector<std::string> allow_rules(const nft::Ruleset& rs, size_t tail) {
  std::vector<std::string> out;
  for (const auto& c : rs.chains) {
    if (c.hook || !c.pod_chain) continue;
    REQUIRE(c.items.size() >= tail);
    for (size_t i = 0; i + tail < c.items.size(); ++i)
      if (const auto* r = std::get_if<nft::Rule>(&c.items[i])) out.push_back(c.name + ": " + nft::rule_text(*r));
  }
  return out;
}

}  // namespace

TEST_CASE("report: audit and logging only change how a pod chain ends, never what it allows") {
  Compiled c = compile_fixture("fixtures/cases/audit.yaml");
  NftOptions plain, audit, logged;
  audit.report.audit = true;
  logged.report.log = Rate{5, RateUnit::Minute};
  logged.report.nflog_group = 9;
  nft::Ruleset p = nft::build_ruleset(c.program, c.cluster, plain);
  nft::Ruleset a = nft::build_ruleset(c.program, c.cluster, audit);
  nft::Ruleset l = nft::build_ruleset(c.program, c.cluster, logged);
  CHECK(p.counters.empty());
  CHECK(allow_rules(a, 2) == allow_rules(p, 1));
  CHECK(allow_rules(l, 2) == allow_rules(p, 1));
  CHECK(a.sets == p.sets);
  CHECK(a.maps == p.maps);
  // One counter per isolating policy and direction, sorted by name.
  std::vector<std::string> names;
  for (const auto& k : a.counters) names.push_back(k.name);
  CHECK(names == std::vector<std::string>{"deny/app/audit-default-deny/egress", "deny/app/audit-default-deny/ingress",
                                          "deny/default/audit-foo-egress-web-only/egress",
                                          "deny/default/audit-web-from-foo/ingress",
                                          "deny/default/audit-web-from-monitoring/ingress"});
  CHECK(l.counters.size() == a.counters.size());
  for (const auto& chain : a.chains) {
    if (!chain.pod_chain) continue;
    const auto& last = std::get<nft::Rule>(chain.items.back());
    const auto& log = std::get<nft::Rule>(chain.items[chain.items.size() - 2]);
    CHECK(last.verdict.kind == nft::VerdictKind::Return);
    CHECK(last.comment.rfind("audit: ", 0) == 0);
    CHECK(log.verdict.kind == nft::VerdictKind::Continue);
    CHECK(nft::rule_text(log) ==
          "ct state new limit rate 10/second log prefix \"np A " + chain.name + "\" group 100");
  }
  for (const auto& chain : l.chains) {
    if (!chain.pod_chain) continue;
    CHECK(std::get<nft::Rule>(chain.items.back()).verdict.kind == nft::VerdictKind::Drop);
    CHECK(nft::rule_text(std::get<nft::Rule>(chain.items[chain.items.size() - 2])) ==
          "ct state new limit rate 5/minute log prefix \"np E " + chain.name + "\" group 9");
  }
}
