// What the kernel tests of audit mode and of the rollout share: a scenario's
// ruleset applied in the lab's node with its reports on (--audit or
// --log-denied, one nflog group), probes run while nflog is read through the
// code path of `netpolc observe`, and the table read back.
#pragma once

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "backends/netlink_dump.h"
#include "compiler/program.h"
#include "lab/lab.h"
#include "observe/flows.h"
#include "tests/kernel_run.h"

namespace netpolc::test {

// A flow as the probes and nflog both see it (the side left out).
using FlowId = std::tuple<IpAddr, IpAddr, L4, uint16_t>;
FlowId flow_id(const observe::FlowKey& k);

// The probed flow of an expectation.
Flow probe_flow(const Scenario& s, const Expectation& e);

// Applies the program in the lab's node, reporting to the tests' nflog group:
// in audit mode, or enforcing with --log-denied.
void apply_in_node(KernelRun& run, const Scenario& s, const Program& prog, bool audit);

struct ReportedRun {
  std::vector<lab::ProbeResult> results;  // one per probe
  observe::Observations obs;
  nl::KernelTable table;
};

// Applies the ruleset, binds nflog, runs `probes`, and reads the reports and
// the table back.
ReportedRun probe_with_reports(KernelRun& run, const Scenario& s, const Program& prog,
                               const std::vector<lab::Probe>& probes, bool audit);

std::set<FlowId> reported(const observe::Observations& obs);
std::string describe(const std::set<FlowId>& flows);

}  // namespace netpolc::test
