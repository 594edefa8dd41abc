// How netpolc reports what its rules deny (compile|apply --audit and
// --log-denied): the options, and the names both the rules and the readers
// (`observe`, `stats`) use, so that each reads what the other writes.
//
//   log prefix "np E eg/default/5e19d2c9"     E: enforced (dropped), A: audit (let through);
//                                             then the pod chain that denied it
//   counter deny/default/web-policy/ingress   one per policy and direction that isolates a pod
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/ir.h"

namespace netpolc {

enum class RateUnit { Second, Minute, Hour, Day };

// `limit rate 10/second`
struct Rate {
  uint64_t count = 10;
  RateUnit unit = RateUnit::Second;

  friend bool operator==(const Rate&, const Rate&) = default;
};

// "10/second", "100/minute", "5/hour", "1/day" (count 1 to 2^32-1). nullopt
// and *error on anything else.
std::optional<Rate> parse_rate(const std::string& text, std::string* error);
std::string rate_text(const Rate& r);
const char* rate_unit_name(RateUnit u);
// The unit in seconds, as nft_limit takes it.
uint64_t rate_unit_seconds(RateUnit u);

struct DenyReport {
  bool audit = false;           // the final verdict of a pod chain is `return`, not `drop`
  std::optional<Rate> log;      // log new denied connections to nflog at this rate
  uint16_t nflog_group = 100;

  bool on() const { return audit || log.has_value(); }
};

// The log prefix of a pod chain's denied packets: "np E eg/default/5e19d2c9".
std::string log_prefix(bool audit, const std::string& chain);

// A prefix read back from nflog. nullopt unless it is one log_prefix() made.
struct DecodedPrefix {
  bool audit = false;
  std::string chain;
  Direction direction = Direction::Ingress;  // from the chain name ("in/" or "eg/")
};
std::optional<DecodedPrefix> decode_log_prefix(const std::string& prefix);

// "deny/default/web-policy/ingress" for policy "default/web-policy".
std::string deny_counter_name(const std::string& policy, Direction d);

// A counter name read back. nullopt unless deny_counter_name() made it.
struct DecodedCounter {
  std::string policy;  // "ns/name"
  Direction direction = Direction::Ingress;
};
std::optional<DecodedCounter> decode_deny_counter(const std::string& name);

}  // namespace netpolc
