// Loading an iptables / ip6tables output into the kernel, in the order that
// never leaves a moment without enforcement:
//
//   1. `ipset restore` of its sets (new names only: a loaded set never
//      changes, see backends/ipset_text.h);
//   2. `iptables-restore --noflush` of its rules: one atomic commit that
//      replaces the NETPOLC-* chains it declares;
//   3. the jump from the built-in chain, once (-C before -I);
//   4. the NETPOLC-* chains of an older output that this one does not
//      declare, with the rules jumping to them, in one atomic commit;
//   5. the NETPOLC-* ipsets of this family that this output does not create.
//
// A failure in 1 or 2 leaves the previous rules in force (sets created by
// step 1 are destroyed again); a failure later leaves the new rules in force
// and says what could not be cleaned up.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backends/iptables_text.h"

namespace netpolc {

// Runs a program (no shell) with `stdin_text` as its input; *output gets its
// stdout and stderr. True when it exits with status 0.
using CommandRunner = std::function<bool(const std::vector<std::string>& argv, const std::string& stdin_text,
                                         std::string* output)>;

// A runner for programs inside the network namespace `netns_fd` (-1: the
// caller's).
CommandRunner runner_in(int netns_fd);

struct IptablesLoad {
  Family family = Family::V4;
  Target target = Target::Gateway;
  std::string rules;   // IptablesOutput::rules
  std::string ipsets;  // IptablesOutput::ipsets; empty: no ipsets
};

// Steps 1 to 5 above. False with *error set when a step fails.
bool load_iptables(const IptablesLoad& load, const CommandRunner& run, std::string* error);

// The kernel's verdict on an output without loading it where it matters:
// `ipset restore` of the sets and `iptables-restore --noflush` of the rules,
// for real, through `run`, which must run them in a scratch network
// namespace. (`iptables-restore --test` alone misses, for one, jumps to
// chains that do not exist.) False with *error set when either is refused.
bool check_iptables(const IptablesLoad& load, const CommandRunner& run, std::string* error);

// `netpolc apply-iptables` (and `apply -b iptables|ip6tables`): emits the
// program for `options` and loads it into the current network namespace, or
// into /run/netns/NETNS when `netns` is not empty; with `check`, only asks
// the kernel whether it would take it (check_iptables) and changes nothing.
// Reports to stderr; returns the exit status (0, or 1 when refused).
int apply_iptables(const Program& prog, const Cluster& cluster, const IptablesOptions& options,
                   const std::string& netns, bool check = false);

}  // namespace netpolc
