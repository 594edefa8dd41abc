// Reads and parses inputs as `netpolc compile` does, and nothing else, for
// the input benchmarks of bench/run:
//   parse [--snapshot PATH]... [--policies PATH]...
// Prints what was read ("pods=10000 namespaces=101 policies=0") and exits 1
// on bad input (with its diagnostics), so that a benchmark never times a
// failing read.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "compiler/snapshot_parser.h"

int main(int argc, char** argv) {
  using namespace netpolc;
  std::vector<std::string> snapshots, policies;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--snapshot") == 0) snapshots.push_back(argv[i + 1]);
    else if (std::strcmp(argv[i], "--policies") == 0) policies.push_back(argv[i + 1]);
    else {
      std::cerr << "usage: parse [--snapshot PATH]... [--policies PATH]...\n";
      return 2;
    }
  }
  Diagnostics diags;
  SourceFiles sources;
  std::vector<InputFile> snapshot_files = read_inputs(snapshots, diags, sources);
  std::vector<InputFile> policy_files = read_inputs(policies, diags, sources);
  Cluster cluster = parse_snapshot(snapshot_files, diags);
  PolicySet set = parse_policies(policy_files, diags);
  if (diags.has_errors()) {
    std::cerr << format_diagnostics(diags, sources);
    return 1;
  }
  std::cout << "pods=" << cluster.pods.size() << " namespaces=" << cluster.namespaces.size()
            << " policies=" << set.policies.size() << "\n";
  return 0;
}
