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

CommandRunner runner_in(lab::Lab& lab, const std::string& ns) {
  return [&lab, ns](const std::vector<std::string>& argv, const std::string& input, std::string* output) {
    return lab.run_in(ns, argv, input, output);
  };
}

// NETPOLC-* state as text: chain declarations, rules grouped by chain (in
// order within a chain), jumps from built-in chains, and ipset elements.
struct State {
  std::vector<std::string> chains, rules, jumps, sets;

  // From iptables-save or an output file.
  void add_rules(const std::string& text) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
      if (l.rfind(":NETPOLC-", 0) == 0) chains.push_back(l);
      else if (l.rfind("-A NETPOLC-", 0) == 0) rules.push_back(l);
      else if (l.rfind("-A ", 0) == 0 && l.find(" -j NETPOLC-") != std::string::npos) jumps.push_back(l);
    }
  }

  // From `ipset save` or an output file: the elements of our sets of family f.
  void add_sets(const std::string& text, Family f) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
      if (l.rfind("add ", 0) != 0 || !is_netpolc_ipset(l.substr(4, l.find(' ', 4) - 4), f)) continue;
      const std::string exist = " -exist";
      if (l.size() > exist.size() && l.compare(l.size() - exist.size(), exist.size(), exist) == 0)
        l.resize(l.size() - exist.size());
      sets.push_back(l);
    }
  }

  std::string text() {
    auto by_chain = [](const std::string& a, const std::string& b) {
      return a.substr(0, a.find(' ', 3)) < b.substr(0, b.find(' ', 3));
    };
    std::stable_sort(rules.begin(), rules.end(), by_chain);
    std::sort(chains.begin(), chains.end());
    std::sort(jumps.begin(), jumps.end());
    std::sort(sets.begin(), sets.end());
    std::string s;
    for (const auto* part : {&chains, &rules, &jumps, &sets})
      for (const auto& l : *part) s += l + "\n";
    return s;
  }
};

// What loading `out` must leave in the kernel.
std::string expected_state(const IptablesOutput& out, Family f, Target target) {
  State st;
  st.add_rules(out.rules);
  for (const auto& [builtin, entry] : iptables_entry_jumps(target)) st.jumps.push_back("-A " + builtin + " -j " + entry);
  st.add_sets(out.ipsets, f);
  return st.text();
}

std::string kernel_state(lab::Lab& lab, const std::string& ns, Family f) {
  State st;
  std::string save, sets;
  CHECK(lab.run_in(ns, {std::string(iptables_command(f)) + "-save", "-t", "filter"}, "", &save));
  st.add_rules(save);
  CHECK(lab.run_in(ns, {"ipset", "save"}, "", &sets));
  st.add_sets(sets, f);
  return st.text();
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
    CHECK_MESSAGE(kernel_state(*run.lab, ns, f) == expected_state(out, f, v.target),
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
  run_scenarios(v.name, [&v](KernelRun& run, const Scenario& s, const Program& prog) {
    bool loaded = v.target == Target::Gateway ? load_gateway(run, s, prog, v) : load_endpoints(run, s, prog, v);
    if (loaded) probe_and_compare(run, s, v.name);
  });
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
    const std::string before = kernel_state(*run.lab, node, Family::V4);
    IptablesOutput out;
    IptablesLoad bad = output_for(steps[0], resolve(steps[0].cluster, steps[0].policies, {}, diags), gw,
                                  Family::V4, 0, &out);
    bad.rules.replace(bad.rules.rfind("COMMIT"), 6, "-A NETPOLC-FORWARD -m comment --comment x -j NETPOLC-MISSING\nCOMMIT");
    std::string error;
    // --check sees it too, in a namespace of its own (a lab host's, which
    // the gateway does not use), and takes the good one.
    const std::string scratch = run.lab->host_netns(0);
    CHECK_FALSE(check_iptables(bad, runner_in(*run.lab, scratch), &error));
    CHECK(error.find("iptables-restore refused the rules") != std::string::npos);
    bad.rules = out.rules;
    CHECK(check_iptables(bad, runner_in(*run.lab, scratch), &error));
    bad.rules.replace(bad.rules.rfind("COMMIT"), 6, "-A NETPOLC-FORWARD -m comment --comment x -j NETPOLC-MISSING\nCOMMIT");
    error.clear();
    CHECK_FALSE(load_iptables(bad, runner_in(*run.lab, node), &error));
    CHECK(error.find("iptables-restore refused the rules") != std::string::npos);
    CHECK(kernel_state(*run.lab, node, Family::V4) == before);

    // Switching the target: the endpoint output replaces the gateway one, its
    // FORWARD jump included; and back.
    const Scenario& s = steps[0];
    Program prog = resolve(s.cluster, s.policies, {}, diags);
    Variant ep{gw.name + " endpoint", Target::Endpoint, ipset};
    IptablesLoad load = output_for(s, prog, ep, Family::V4, size_t(run.pod_of_host[0]), &out);
    REQUIRE(load_iptables(load, runner_in(*run.lab, node), &error));
    CHECK(kernel_state(*run.lab, node, Family::V4) == expected_state(out, Family::V4, Target::Endpoint));
    CHECK(load_gateway(run, s, prog, gw));
  }
}
