// What the fuzz targets share: the input as text, an invariant check that
// stops the run (libFuzzer then keeps the input as a crash), and the
// invariants of normalized address sets and port lists.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "compiler/address.h"
#include "compiler/diagnostics.h"
#include "compiler/program.h"

// Unlike assert, also on in release builds.
#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);     \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace netpolc::fuzz {

inline std::string as_text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Sorted, each lo <= hi, inside the family, neither overlapping nor adjacent:
// what normalize() promises and the nft interval sets require.
inline void check_normalized(Family f, const std::vector<IpRange>& ranges) {
  const u128 max = f == Family::V4 ? u128(0xffffffffu) : ~u128(0);
  for (size_t i = 0; i < ranges.size(); ++i) {
    FUZZ_CHECK(ranges[i].lo <= ranges[i].hi);
    FUZZ_CHECK(ranges[i].hi <= max);
    if (i > 0) FUZZ_CHECK(ranges[i - 1].hi < ranges[i].lo && ranges[i - 1].hi + 1 < ranges[i].lo);
  }
}

inline void check_normalized(const AddrSet& s) {
  check_normalized(Family::V4, s.v4);
  check_normalized(Family::V6, s.v6);
}

// Sorted by protocol, each lo <= hi, no two of a protocol overlapping or
// adjacent: what merge_port_ranges() promises.
inline void check_merged(const std::vector<PortRange>& ports) {
  for (size_t i = 0; i < ports.size(); ++i) {
    FUZZ_CHECK(ports[i].lo <= ports[i].hi);
    if (i == 0 || ports[i - 1].protocol != ports[i].protocol) continue;
    FUZZ_CHECK(ports[i - 1].protocol < ports[i].protocol || ports[i - 1].hi + 1 < ports[i].lo);
  }
}

// Every diagnostic points inside its input (or at no line at all), and
// formatting them does not fail.
inline void check_diagnostics(const Diagnostics& diags, const std::string& file,
                              const std::string& text) {
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  for (const auto& d : diags.items()) {
    if (d.loc.file != file) continue;
    FUZZ_CHECK(d.loc.line >= 0 && size_t(d.loc.line) <= lines);
    FUZZ_CHECK(d.loc.line == 0 || d.loc.col >= 1);
    FUZZ_CHECK(!d.message.empty());
  }
  SourceFiles sources;
  sources.add(file, text);
  (void)format_diagnostics(diags, sources);
}

}  // namespace netpolc::fuzz
