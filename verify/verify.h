// netpolc verify: the compiled rules, as a user would deploy them, checked
// with real traffic. A lab of network namespaces is built from the snapshot
// (lab/lab.h: one namespace per enforced pod and per external host, all
// routed through a node namespace); the rules are applied over netlink, the
// gateway ruleset in the node or, in endpoint mode, each pod's own ruleset in
// its namespace; every planned probe (plan.h) runs; every result is compared
// with the reference evaluator's verdict. The lab is gone afterwards, also
// after an error or a signal (lab/cleanup.h).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "backends/nft_ruleset.h"
#include "compiler/diagnostics.h"
#include "lab/probe.h"
#include "verify/plan.h"

namespace netpolc::verify {

struct Options {
  PlanOptions plan;
  NftOptions nft;              // the table name and the DNS carve-out
  bool endpoint_mode = false;  // each pod's endpoint ruleset instead of the gateway's
  std::chrono::milliseconds timeout{500};
  size_t probes_per_round = 4000;  // probes run at once
  // Loads other rules than the nftables ruleset over netlink (`-b iptables`)
  // into one namespace: the gateway's (in the node) or, with
  // `target.target == Target::Endpoint`, the pod `target.endpoint_pod`'s.
  // False with *error when they cannot be loaded.
  std::function<bool(const std::string& netns, const NftOptions& target, std::string* error)> load_rules;
  std::string backend = "nft";  // what load_rules loads, for the report
  // Test hook: every `return` of the ruleset (a rule that allows) becomes
  // `drop`, so that the rules no longer do what the policies say.
  bool break_rules = false;
  // Called as the run goes on: a stage name, and probes done of the total.
  std::function<void(const std::string& stage, size_t done, size_t total)> progress;
};

struct Outcome {
  PlannedProbe planned;
  std::string from;  // host ids
  std::string to;
  lab::ProbeResult got;
};

struct Result {
  bool ok = false;      // every probe matched
  std::string target;   // "gateway" or "endpoint"
  std::string backend;  // "nft", "iptables"
  size_t pods = 0;      // pods in the lab
  size_t externals = 0;
  size_t pods_skipped = 0;
  size_t probed = 0;
  size_t matched = 0;
  std::vector<Outcome> differences;
  std::vector<Outcome> not_probed;  // SCTP
  double build_ms = 0, apply_ms = 0, probe_ms = 0;
};

// Builds, applies, probes, compares. False when it could not run (the lab or
// an apply failed): the reasons are in `diags`. A run with differences
// returns true with result->ok false.
bool run(const Cluster& cluster, const PolicySet& policies, const Program& prog, const Options& options, Result* result,
         Diagnostics& diags);

// "expected allow (allowed by x/p ingress[0]), got timeout" lines, and counts.
std::string text_report(const Result& r);
std::string json_report(const Result& r);

}  // namespace netpolc::verify
