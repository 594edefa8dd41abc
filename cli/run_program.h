// Running a filter program (Graphviz `dot`) without a shell: input on its
// stdin, its stdout captured.
#pragma once

#include <string>
#include <vector>

namespace netpolc {

// Runs argv[0] (looked up in PATH) with `input` on stdin. Returns true when it
// exits with status 0; `output` gets its stdout, `error` why it failed
// (its stderr, or why it could not start).
bool run_filter(const std::vector<std::string>& argv, const std::string& input, std::string* output,
                std::string* error);

}  // namespace netpolc
