// Reading the input paths of a command: files, directories (every *.yaml,
// *.yml and *.json below, in sorted order) and "-" for standard input.
#pragma once

#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/yaml_util.h"

namespace netpolc {

// Reads every input named by `paths`, in order, and records its text in
// `sources` for diagnostics. Unreadable paths are reported.
std::vector<InputFile> read_inputs(const std::vector<std::string>& paths, Diagnostics& diags,
                                   SourceFiles& sources);

}  // namespace netpolc
