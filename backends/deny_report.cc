#include "backends/deny_report.h"

#include "compiler/program.h"

#include <cstdio>

namespace netpolc {

namespace {

constexpr const char kPrefixStart[] = "np ";
constexpr const char kCounterStart[] = "deny/";
// nf_tables object names hold at most 255 bytes.
constexpr size_t kMaxObjectName = 255;

}  // namespace

const char* rate_unit_name(RateUnit u) {
  switch (u) {
    case RateUnit::Second: return "second";
    case RateUnit::Minute: return "minute";
    case RateUnit::Hour: return "hour";
    case RateUnit::Day: return "day";
  }
  return "second";
}

uint64_t rate_unit_seconds(RateUnit u) {
  switch (u) {
    case RateUnit::Second: return 1;
    case RateUnit::Minute: return 60;
    case RateUnit::Hour: return 3600;
    case RateUnit::Day: return 86400;
  }
  return 1;
}

std::optional<Rate> parse_rate(const std::string& text, std::string* error) {
  auto fail = [&] {
    *error = "invalid rate '" + text + "': expected COUNT/UNIT, e.g. 10/second (units: second, minute, hour, day)";
    return std::nullopt;
  };
  size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash > 10) return fail();
  uint64_t count = 0;
  for (size_t i = 0; i < slash; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return fail();
    count = count * 10 + uint64_t(c - '0');
  }
  if (count == 0 || count > 0xffffffffULL) return fail();
  const std::string unit = text.substr(slash + 1);
  for (RateUnit u : {RateUnit::Second, RateUnit::Minute, RateUnit::Hour, RateUnit::Day})
    if (unit == rate_unit_name(u)) return Rate{count, u};
  return fail();
}

std::string rate_text(const Rate& r) { return std::to_string(r.count) + "/" + rate_unit_name(r.unit); }

std::string log_prefix(bool audit, const std::string& chain) {
  // nft keeps at most 127 bytes of a prefix; chain names are far shorter
  // ("eg/" + a namespace of at most 63 bytes + "/" + 8 hex digits, "-N").
  std::string p = std::string(kPrefixStart) + (audit ? "A " : "E ") + chain;
  return p.size() <= 127 ? p : p.substr(0, 127);
}

std::optional<DecodedPrefix> decode_log_prefix(const std::string& prefix) {
  if (!prefix.starts_with(kPrefixStart) || prefix.size() < 6 || prefix[4] != ' ') return std::nullopt;
  DecodedPrefix d;
  if (prefix[3] == 'A') d.audit = true;
  else if (prefix[3] != 'E') return std::nullopt;
  d.chain = prefix.substr(5);
  if (d.chain.starts_with("in/")) d.direction = Direction::Ingress;
  else if (d.chain.starts_with("eg/")) d.direction = Direction::Egress;
  else return std::nullopt;
  if (d.chain.size() < 4) return std::nullopt;
  return d;
}

std::string deny_counter_name(const std::string& policy, Direction d) {
  std::string tail = std::string("/") + direction_name(d);
  std::string name = kCounterStart + policy + tail;
  if (name.size() <= kMaxObjectName) return name;
  // Names this long (a 253-byte policy name) keep a prefix and a hash of the rest.
  char hex[18];
  std::snprintf(hex, sizeof hex, "~%016llx", static_cast<unsigned long long>(content_hash(policy)));
  return name.substr(0, kMaxObjectName - tail.size() - 17) + hex + tail;
}

std::optional<DecodedCounter> decode_deny_counter(const std::string& name) {
  if (!name.starts_with(kCounterStart)) return std::nullopt;
  for (Direction d : {Direction::Ingress, Direction::Egress}) {
    std::string tail = std::string("/") + direction_name(d);
    if (!name.ends_with(tail)) continue;
    std::string policy = name.substr(5, name.size() - 5 - tail.size());
    size_t slash = policy.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == policy.size()) return std::nullopt;
    return DecodedCounter{policy, d};
  }
  return std::nullopt;
}

}  // namespace netpolc
