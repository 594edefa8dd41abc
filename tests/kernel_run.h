// What every kernel test of a backend shares: the scenarios, a lab of network
// namespaces for a scenario (reused while the hosts stay the same), and
// probing it against the scenario's expectations.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compiler/program.h"
#include "lab/lab.h"
#include "tests/scenario.h"

namespace netpolc::test {

// The upstream conformance steps, then the seed scenarios.
std::vector<Scenario> all_scenarios();

std::string verdict(bool allow);

struct KernelRun {
  std::unique_ptr<lab::Lab> lab;
  std::string signature;
  std::vector<std::string> ids;           // host index -> "ns/pod" or address
  std::vector<long> pod_of_host;          // host index -> pod index, or -1
  std::map<std::string, size_t> host_of;  // id -> host index
  std::vector<std::string> loaded;        // namespaces holding rules
  size_t probes = 0;
  size_t labs_built = 0;
};

// The lab for a scenario: a host per enforced pod and per outside address the
// scenario probes. Reused while the hosts stay the same. False (and the test
// failed) when it cannot be built.
bool prepare_lab(KernelRun& run, const Scenario& s);

// The probes of every expectation but SCTP (this kernel has none), each with
// its expectation.
struct ProbePlan {
  std::vector<lab::Probe> probes;
  std::vector<const Expectation*> expected;
};
ProbePlan plan_probes(const KernelRun& run, const Scenario& s);

// Probes every expectation but SCTP (this kernel has none) at once and checks
// each verdict; `target` names the ruleset in messages.
void probe_and_compare(KernelRun& run, const Scenario& s, const std::string& target);

// Runs `body` for every scenario, in its lab, with its resolved program;
// skips loudly where no lab can be built; reports the counts and the time
// under `what`.
using ScenarioBody = std::function<void(KernelRun& run, const Scenario& s, const Program& prog)>;
void run_scenarios(const std::string& what, const ScenarioBody& body);

}  // namespace netpolc::test
