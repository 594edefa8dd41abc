// The one piece of process-wide state in the lab: a cleanup registry that
// removes this process's lab namespaces when the process dies of a signal or
// exits without destroying its labs.
//
// The registry is a name prefix, not a list. Every namespace the lab makes is
// named `npl<pid>-...` (see netns_prefix()), so the cleanup removes every entry
// of /run/netns that starts with the prefix: umount2(MNT_DETACH) + unlink, the
// same two system calls `ip netns del` makes, both async-signal-safe. There is
// nothing to register or unregister per namespace, so a namespace created
// halfway through a failed build is covered as well.
//
// The handlers (SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGABRT) clean up, then hand
// the signal to whatever handler was installed before them (or the default
// action), so the process still dies of the same signal. install_cleanup() is
// called by every Lab::create and re-installs the handlers when someone
// replaced them since (doctest swaps its own in and out around test cases).
// A forked child never cleans up its parent's namespaces: the handlers and the
// exit hook only act in the process that installed them.
#pragma once

#include <string>

namespace netpolc::lab {

// "npl<pid>-": the prefix of every namespace this process creates.
std::string netns_prefix();

// "npl<pid>-<n>-" with a fresh n: the prefix for one lab's namespaces. The
// counter behind n is the registry's only other state.
std::string next_lab_prefix();

// Installs the signal handlers and the exit hook (idempotent).
void install_cleanup();

// Removes every namespace in /run/netns whose name starts with `prefix`.
// Async-signal-safe. Returns how many were removed.
int remove_netns_with_prefix(const char* prefix);

// Removes the labs of processes that are gone: a process killed with SIGKILL
// (or by the OOM killer) cannot clean up, so every new lab first removes the
// namespaces named `npl<pid>-...` whose process no longer exists. (It assumes
// that the processes sharing /run/netns share this process's pid namespace,
// as on one machine they do.) Returns how many were removed.
int remove_stale_labs();

}  // namespace netpolc::lab
