// Kernel tests of the iptables backend: every scenario (upstream conformance
// steps, seed results) with the iptables and ip6tables output, loaded the way
// `netpolc apply-iptables` loads it (load_iptables: sets, rules, jump, stale
// chains and sets removed), in the same lab of network namespaces as nft.
//
// Scenarios run one after the other in one lab while its hosts stay the same,
// so each load is a reload over the previous scenario's output. After every
// gateway load the kernel's NETPOLC-* state is compared with the file: the
// same chains with the same rules (iptables-save prints them exactly as the
// file does), the same ipsets with the same elements, and the one jump.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "backends/ipset_text.h"
#include "backends/iptables_text.h"
#include "cli/apply_iptables.h"
#include "compiler/resolve.h"
#include "tests/kernel_run.h"

using namespace netpolc;
using namespace netpolc::test;

namespace {

struct Variant {
  std::string name;
  Target target;
  bool ipset;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

CommandRunner runner_in(lab::Lab& lab, const std::string& ns) {
  return [&lab, ns](const std::vector<std::string>& argv, const std::string& input, std::string* output) {
    return lab.run_in(ns, argv, input, output);
  };
}

// NETPOLC-* state as text: chain declarations, rules grouped by chain (in
// order within a chain), jumps from built-in chains, and ipset elements.
struct State {
  std::vector<std::string> chains, rules, jumps, sets;

  std::string text() const {
    std::string s;
    for (const auto* part : {&chains, &rules, &jumps, &sets})
      for (const auto& l : *part) s += l + "\n";
    return s;
  }
};

void add_rule(State& st, const std::string& line) {
  if (starts_with(line, "-A NETPOLC-")) st.rules.push_back(line);
  else if (starts_with(line, "-A ") && line.find(" -j NETPOLC-") != std::string::npos) st.jumps.push_back(line);
}

void normalize(State& st) {
  auto by_chain = [](const std::string& a, const std::string& b) {
    return a.substr(0, a.find(' ', 3)) < b.substr(0, b.find(' ', 3));
  };
  std::stable_sort(st.rules.begin(), st.rules.end(), by_chain);
  std::sort(st.chains.begin(), st.chains.end());
  std::sort(st.jumps.begin(), st.jumps.end());
  std::sort(st.sets.begin(), st.sets.end());
}

// What loading `out` must leave in the kernel.
State expected_state(const IptablesOutput& out, Target target) {
  State st;
  for (const auto& l : lines_of(out.rules)) {
    if (starts_with(l, ":")) st.chains.push_back(l);
    add_rule(st, l);
  }
  for (const auto& [builtin, entry] : iptables_entry_jumps(target)) st.jumps.push_back("-A " + builtin + " -j " + entry);
  for (const auto& l : lines_of(out.ipsets))
    if (starts_with(l, "add ")) st.sets.push_back(l.substr(0, l.size() - std::string(" -exist").size()));
  normalize(st);
  return st;
}

State kernel_state(lab::Lab& lab, const std::string& ns, Family f) {
  State st;
  std::string save, sets;
  CHECK(lab.run_in(ns, {std::string(iptables_command(f)) + "-save", "-t", "filter"}, "", &save));
  for (const auto& l : lines_of(save)) {
    if (starts_with(l, ":NETPOLC-")) st.chains.push_back(l);
    add_rule(st, l);
  }
  CHECK(lab.run_in(ns, {"ipset", "save"}, "", &sets));
  for (const auto& l : lines_of(sets)) {
    if (!starts_with(l, "add ")) continue;
    std::string name = l.substr(4, l.find(' ', 4) - 4);
    if (is_netpolc_ipset(name, f)) st.sets.push_back(l);
  }
  normalize(st);
  return st;
}

IptablesLoad output_for(const Scenario& s, const Program& prog, const Variant& v, Family f, size_t pod,
                        IptablesOutput* out) {
  IptablesOptions o;
  o.family = f;
  o.target = v.target;
  o.endpoint_pod = pod;
  o.dns_carve_out = s.dns_carve_out;
  o.ipset = v.ipset;
  *out = emit_iptables(prog, s.cluster, o);
  return {f, v.target, out->rules, out->ipsets};
}

// Gateway: both families into the node; then the kernel must hold exactly
// the output.
bool load_gateway(KernelRun& run, const Scenario& s, const Program& prog, const Variant& v) {
  const std::string ns = run.lab->node_netns();
  for (Family f : {Family::V4, Family::V6}) {
    IptablesOutput out;
    std::string error;
    if (!load_iptables(output_for(s, prog, v, f, 0, &out), runner_in(*run.lab, ns), &error)) {
      FAIL_CHECK(v.name << ": " << iptables_command(f) << " load refused: " << error);
      return false;
    }
    CHECK_MESSAGE(kernel_state(*run.lab, ns, f).text() == expected_state(out, v.target).text(),
                  v.name << ": the kernel does not hold exactly the " << iptables_command(f) << " output");
  }
  return true;
}

// Endpoint: each pod host its own output, all hosts at once (they are
// independent namespaces, and the time goes into the kernel's commits, not
// into the CPU). Checks run on this thread afterwards: doctest's are not
// thread-safe.
bool load_endpoints(KernelRun& run, const Scenario& s, const Program& prog, const Variant& v) {
  struct Job {
    std::string ns;
    std::vector<IptablesLoad> loads;
    std::vector<IptablesOutput> outputs{2};
    std::string error;
  };
  std::vector<Job> jobs;
  for (size_t h = 0; h < run.ids.size(); ++h) {
    if (run.pod_of_host[h] < 0) continue;
    Job& job = jobs.emplace_back();
    job.ns = run.lab->host_netns(h);
    for (Family f : {Family::V4, Family::V6})
      job.loads.push_back(output_for(s, prog, v, f, size_t(run.pod_of_host[h]), &job.outputs[size_t(f)]));
  }
  std::vector<std::thread> threads;
  for (Job& job : jobs)
    threads.emplace_back([&run, &job] {
      for (const IptablesLoad& load : job.loads)
        if (!load_iptables(load, runner_in(*run.lab, job.ns), &job.error)) return;
    });
  for (auto& t : threads) t.join();
  bool ok = true;
  for (const Job& job : jobs)
    if (!job.error.empty()) {
      FAIL_CHECK(v.name << ": load refused in " << job.ns << ": " << job.error);
      ok = false;
    }
  return ok;
}

void run_variant(const Variant& v) {
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
    Program prog = resolve(s.cluster, s.policies, ResolveOptions{}, diags);
    bool loaded = v.target == Target::Gateway ? load_gateway(run, s, prog, v) : load_endpoints(run, s, prog, v);
    if (loaded) probe_and_compare(run, s, v.name);
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE(v.name << ": " << scenarios << " scenarios, " << run.probes << " probes, " << run.labs_built
                 << " labs, in " << secs << " s");
}

}  // namespace

TEST_CASE("kernel-iptables: gateway, addresses inline") {
  run_variant({"iptables gateway inline", Target::Gateway, false});
}

TEST_CASE("kernel-iptables: gateway, with ipsets") {
  run_variant({"iptables gateway ipset", Target::Gateway, true});
}

TEST_CASE("kernel-iptables: endpoint, addresses inline") {
  run_variant({"iptables endpoint inline", Target::Endpoint, false});
}

TEST_CASE("kernel-iptables: endpoint, with ipsets") {
  run_variant({"iptables endpoint ipset", Target::Endpoint, true});
}

TEST_CASE("kernel-iptables: a reload leaves exactly the newer state, a refused one the older") {
  std::string why;
  if (!lab::lab_supported(&why)) {
    MESSAGE("SKIPPED LOUDLY: kernel tests need network namespaces: " << why);
    return;
  }
  // Upstream's edited policy (allow-all, then the same policy denying all)
  // and deleted policies (then none at all), one step after the other.
  std::vector<Scenario> steps;
  for (const auto& f : fixture_files("fixtures/e2e"))
    if (f.find("should-enforce-updated-policy") != std::string::npos ||
        f.find("should-stop-enforcing-policies-after-they-are-deleted") != std::string::npos)
      for (auto& s : load_e2e_case(f)) steps.push_back(std::move(s));
  REQUIRE(steps.size() == 4);
  for (bool ipset : {false, true}) {
    Variant gw{ipset ? "reload with ipsets" : "reload inline", Target::Gateway, ipset};
    KernelRun run;
    Diagnostics diags;
    for (const Scenario& s : steps) {
      INFO(gw.name << ": " << s.name);
      REQUIRE(prepare_lab(run, s));
      REQUIRE(load_gateway(run, s, resolve(s.cluster, s.policies, ResolveOptions{}, diags), gw));
      probe_and_compare(run, s, gw.name);
    }
    REQUIRE(run.labs_built == 1);
    const std::string node = run.lab->node_netns();

    // A load that the kernel refuses leaves the older state, sets included.
    const std::string before = kernel_state(*run.lab, node, Family::V4).text();
    IptablesOutput out;
    IptablesLoad bad = output_for(steps[0], resolve(steps[0].cluster, steps[0].policies, {}, diags), gw,
                                  Family::V4, 0, &out);
    bad.rules.replace(bad.rules.rfind("COMMIT"), 6, "-A NETPOLC-FORWARD -m comment --comment x -j NETPOLC-MISSING\nCOMMIT");
    std::string error;
    CHECK_FALSE(load_iptables(bad, runner_in(*run.lab, node), &error));
    CHECK(error.find("iptables-restore refused the rules") != std::string::npos);
    CHECK(kernel_state(*run.lab, node, Family::V4).text() == before);

    // Switching the target: the endpoint output replaces the gateway one, its
    // FORWARD jump included; and back.
    const Scenario& s = steps[0];
    Program prog = resolve(s.cluster, s.policies, {}, diags);
    Variant ep{gw.name + " endpoint", Target::Endpoint, ipset};
    IptablesLoad load = output_for(s, prog, ep, Family::V4, size_t(run.pod_of_host[0]), &out);
    REQUIRE(load_iptables(load, runner_in(*run.lab, node), &error));
    CHECK(kernel_state(*run.lab, node, Family::V4).text() == expected_state(out, Target::Endpoint).text());
    CHECK(load_gateway(run, s, prog, gw));
  }
}
