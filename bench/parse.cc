// Reads and parses inputs as `netpolc compile` does, and nothing else, for
// the input benchmarks of bench/run:
//   parse [--snapshot PATH]... [--policies PATH]...
// Prints what was read ("pods=10000 namespaces=101 policies=0") and exits 1
// on bad input (with its diagnostics), so that a benchmark never times a
// failing read.
//   parse --yaml-events PATH
// Only reads the file and runs libyaml's event parser over it, as the YAML
// reader does, building nothing: the floor under any YAML input's time.
// Prints "events=N".
#include <yaml.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "compiler/snapshot_parser.h"

namespace {

int count_yaml_events(const char* path) {
  netpolc::Diagnostics diags;
  netpolc::SourceFiles sources;
  std::vector<netpolc::InputFile> files = netpolc::read_inputs({path}, diags, sources);
  if (diags.has_errors() || files.size() != 1) {
    std::cerr << netpolc::format_diagnostics(diags, sources) << "\nparse --yaml-events: one file\n";
    return 1;
  }
  const std::string& s = files[0].text;
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  long events = 0;
  for (bool end = false; !end; ++events) {
    yaml_event_t e;
    if (!yaml_parser_parse(&parser, &e)) {
      std::cerr << path << ": invalid YAML\n";
      yaml_parser_delete(&parser);
      return 1;
    }
    end = e.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&e);
  }
  yaml_parser_delete(&parser);
  std::cout << "events=" << events << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace netpolc;
  if (argc == 3 && std::strcmp(argv[1], "--yaml-events") == 0) return count_yaml_events(argv[2]);
  std::vector<std::string> snapshots, policies;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--snapshot") == 0) snapshots.push_back(argv[i + 1]);
    else if (std::strcmp(argv[i], "--policies") == 0) policies.push_back(argv[i + 1]);
    else {
      std::cerr << "usage: parse [--snapshot PATH]... [--policies PATH]... | --yaml-events PATH\n";
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
