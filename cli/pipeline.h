// The stages every command starts with: read the inputs, parse the snapshot
// and the policies, and report every diagnostic once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/ir.h"

namespace netpolc {

struct InputOptions {
  std::vector<std::string> snapshots;
  std::vector<std::string> policies;
};

struct Inputs {
  Cluster cluster;
  PolicySet policies;
};

// Reads and parses both inputs. Prints every diagnostic to stderr; returns
// nullopt when any of them is an error.
std::optional<Inputs> load_inputs(const InputOptions& options, SourceFiles& sources, Diagnostics& diags);

// Prints the diagnostics collected so far to stderr.
void print_diagnostics(const Diagnostics& diags, const SourceFiles& sources);

// Writes `text` to `path` ("-" or empty: stdout) through a temporary file and
// a rename (write_file_atomically), so that neither a failure nor SIGINT or
// SIGTERM ever leaves a partial file. Reports failures.
bool write_output(const std::string& path, const std::string& text);

// Finds "ns/pod" in the cluster; reports (as about `flag`) and returns -1
// when absent.
long find_pod(const Cluster& cluster, const std::string& ref, Diagnostics& diags,
              const std::string& flag = "--endpoint");

}  // namespace netpolc
