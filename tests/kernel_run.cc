#include "tests/kernel_run.h"

#include "tests/matrix_verdicts.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "compiler/resolve.h"

namespace netpolc::test {

std::vector<Scenario> all_scenarios() {
  std::vector<Scenario> out;
  for (const auto& f : fixture_files("fixtures/e2e"))
    for (auto& s : load_e2e_case(f)) out.push_back(std::move(s));
  for (const auto& f : fixture_files("fixtures/scenarios"))
    for (auto& s : load_seed_scenario(f)) out.push_back(std::move(s));
  return out;
}

std::string verdict(bool allow) { return allow ? "allow" : "deny"; }

bool prepare_lab(KernelRun& run, const Scenario& s) {
  lab::LabSpec spec;
  std::vector<std::string> ids;
  std::vector<long> pods;
  for (size_t i = 0; i < s.cluster.pods.size(); ++i) {
    const Pod& p = s.cluster.pods[i];
    if (!p.enforced()) continue;
    spec.hosts.push_back({p.ns + "/" + p.name, p.ips});
    ids.push_back(p.ns + "/" + p.name);
    pods.push_back(long(i));
  }
  for (const auto& e : s.expectations)
    for (const auto& who : {e.from, e.to})
      if (auto ip = parse_ip(who); ip && std::find(ids.begin(), ids.end(), who) == ids.end()) {
        spec.hosts.push_back({who, {*ip}});
        ids.push_back(who);
        pods.push_back(-1);
      }
  std::string sig;
  for (const auto& h : spec.hosts) {
    sig += h.id;
    for (const auto& ip : h.ips) sig += " " + format_ip(ip);
    sig += ";";
  }
  if (run.lab && sig == run.signature) return true;
  run.lab.reset();
  std::string error;
  run.lab = lab::Lab::create(spec, &error);
  if (!run.lab) {
    FAIL_CHECK("cannot build the lab: " << error);
    return false;
  }
  run.signature = sig;
  ++run.labs_built;
  run.ids = ids;
  run.pod_of_host = pods;
  run.host_of.clear();
  for (size_t i = 0; i < ids.size(); ++i) run.host_of[ids[i]] = i;
  run.loaded.clear();
  return true;
}

ProbePlan plan_probes(const KernelRun& run, const Scenario& s) {
  ProbePlan plan;
  for (const auto& e : s.expectations) {
    if (e.protocol == L4::SCTP) continue;
    lab::Probe p;
    p.from = run.host_of.at(e.from);
    p.to = run.host_of.at(e.to);
    p.family = e.family;
    p.kind = e.protocol == L4::TCP ? lab::ProbeKind::TCP
             : e.protocol == L4::UDP ? lab::ProbeKind::UDP
                                     : lab::ProbeKind::ICMP;
    p.port = e.port;
    plan.probes.push_back(p);
    plan.expected.push_back(&e);
  }
  return plan;
}

void probe_and_compare(KernelRun& run, const Scenario& s, const std::string& target) {
  // What `netpolc matrix` says of each probe (empty with a DNS carve-out).
  const std::vector<bool> matrix_all = matrix_verdicts(s);
  std::vector<bool> matrix;
  for (size_t k = 0; k < s.expectations.size(); ++k)
    if (s.expectations[k].protocol != L4::SCTP && !matrix_all.empty()) matrix.push_back(matrix_all[k]);
  const ProbePlan plan = plan_probes(run, s);
  const std::vector<lab::Probe>& probes = plan.probes;
  const std::vector<const Expectation*>& expected = plan.expected;
  // Answers across the lab's veths take well under a millisecond; a dropped
  // probe costs the whole wait, and the scenarios have hundreds of steps.
  auto results = run.lab->probe(probes, std::chrono::milliseconds(250));
  REQUIRE(results.size() == probes.size());
  for (size_t i = 0; i < probes.size(); ++i) {
    const Expectation& e = *expected[i];
    const auto& r = results[i];
    bool ok = e.allow ? r.connected() : r.outcome == lab::ProbeOutcome::Timeout;
    CHECK_MESSAGE(ok, target << ": " << e.where << ": " << run.lab->describe(probes[i]) << " expected "
                             << verdict(e.allow) << ", got " << r.detail);
    if (!matrix.empty())
      CHECK_MESSAGE(matrix[i] == r.connected(), target << ": " << e.where << ": " << run.lab->describe(probes[i])
                                                       << ": netpolc matrix says " << verdict(matrix[i])
                                                       << ", the kernel " << r.detail);
  }
  run.probes += probes.size();
}

void run_scenarios(const std::string& what, const ScenarioBody& body) {
  std::string why;
  if (!lab::lab_supported(&why)) {
    MESSAGE("SKIPPED LOUDLY: kernel tests need network namespaces: " << why);
    return;
  }
  KernelRun run;
  size_t scenarios = 0;
  auto started = std::chrono::steady_clock::now();
  for (const auto& s : all_scenarios()) {
    INFO(s.name);
    if (!prepare_lab(run, s)) return;
    ++scenarios;
    Diagnostics diags;
    body(run, s, resolve(s.cluster, s.policies, ResolveOptions{}, diags));
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE(what << ": " << scenarios << " scenarios, " << run.probes << " probes, " << run.labs_built << " labs, in "
               << secs << " s");
}

}  // namespace netpolc::test
