// Reading the input paths of a command: files, directories (every *.yaml,
// *.yml and *.json below, in sorted order) and "-" for standard input.
#pragma once

#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/yaml_util.h"

namespace netpolc {

// The most one run reads, every input together (docs/robustness.md has what
// the largest input costs).
constexpr size_t kMaxInputBytes = size_t(128) << 20;

// Reads every input named by `paths`, in order, and records its text in
// `sources` for diagnostics. Unreadable paths are reported, and so is every
// input past `max_bytes` read in all, which is then not read.
std::vector<InputFile> read_inputs(const std::vector<std::string>& paths, Diagnostics& diags,
                                   SourceFiles& sources, size_t max_bytes = kMaxInputBytes);

}  // namespace netpolc
