// Programming a ruleset into the kernel over netlink, in one transaction, in
// the caller's network namespace or a named one.
//
// The generation of the namespace's ruleset is read first and sent with the
// batch: when anything changed in between, the kernel refuses the batch as a
// whole. The kernel is asked for errors only (and for one acknowledgement, of
// the last message, as proof that it read the batch to the end). Whatever
// fails, the previous ruleset stays in force, and every error is reported
// against the object the kernel refused and the policy rule behind it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "backends/nft_ruleset.h"
#include "compiler/diagnostics.h"

namespace netpolc::nl {

struct ApplyOptions {
  std::string netns;   // "" = the caller's namespace; else /run/netns/NAME
  bool check = false;  // validate only: the batch without its end message
  // Replace the whole table even when only set elements changed.
  bool full = false;
  // Where the incremental update keeps what it needs to know about the last
  // apply ("" = no incremental updates).
  std::string state_dir;
  // Test hooks: break one rule (see BuildOptions::break_rule); run something
  // between reading the generation and sending the batch.
  std::optional<size_t> break_rule;
  std::function<void()> before_send;
};

struct ApplyReport {
  enum class Kind { Replaced, Updated, Unchanged, Checked };
  bool ok = false;
  Kind kind = Kind::Replaced;
  size_t messages = 0;        // messages that change something (not BEGIN/END)
  size_t bytes = 0;           // the batch's size
  size_t elements_added = 0;  // an update's element changes
  size_t elements_removed = 0;
  bool read_back = false;   // an update read the kernel's sets (the generation had moved)
  double read_ms = 0;       // finding what the table holds (for an update)
  double kernel_ms = 0;     // sending the batch and reading the kernel's answer
  double total_ms = 0;      // everything, from opening the socket
  uint32_t generation = 0;  // read before the batch was built
};

// Applies `rs`; every failure is reported to `diags`, at the policy rule's
// location when the kernel refused a rule. With a state directory, and when
// the table's structure is what the last apply left (nft_update.h), only the
// set and map elements that changed are sent.
ApplyReport apply_ruleset(const nft::Ruleset& rs, const ApplyOptions& options, Diagnostics& diags);

}  // namespace netpolc::nl
