#include "cli/pipeline.h"

#include <iostream>

#include "cli/output_file.h"
#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "compiler/snapshot_parser.h"

namespace netpolc {

void print_diagnostics(const Diagnostics& diags, const SourceFiles& sources) {
  for (const auto& d : diags.items()) std::cerr << format_diagnostic(d, sources);
  if (size_t n = diags.error_count()) std::cerr << n << (n == 1 ? " error" : " errors") << "\n";
}

std::optional<Inputs> load_inputs(const InputOptions& options, SourceFiles& sources, Diagnostics& diags) {
  Inputs in;
  // kMaxInputBytes for the whole run, snapshots and policies together.
  auto snapshot_files = read_inputs(options.snapshots, diags, sources);
  size_t snapshot_bytes = 0;
  for (const auto& f : snapshot_files) snapshot_bytes += f.text.size();
  auto policy_files = read_inputs(options.policies, diags, sources, kMaxInputBytes - snapshot_bytes);
  in.cluster = parse_snapshot(snapshot_files, diags);
  in.policies = parse_policies(policy_files, diags);
  if (diags.has_errors()) return std::nullopt;
  return in;
}

bool write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return bool(std::cout);
  }
  if (auto error = write_file_atomically(path, text)) {
    std::cerr << path << ": error: cannot write output file: " << *error << "\n";
    return false;
  }
  return true;
}

long find_pod(const Cluster& cluster, const std::string& ref, Diagnostics& diags, const std::string& flag) {
  auto slash = ref.find('/');
  std::string ns = slash == std::string::npos ? "default" : ref.substr(0, slash);
  std::string name = slash == std::string::npos ? ref : ref.substr(slash + 1);
  for (size_t i = 0; i < cluster.pods.size(); ++i)
    if (cluster.pods[i].ns == ns && cluster.pods[i].name == name) return long(i);
  std::vector<std::string> names;
  for (const auto& p : cluster.pods) names.push_back(p.ns + "/" + p.name);
  std::string msg = "no pod " + ns + "/" + name + " in the snapshot";
  std::string hint = closest_match(ns + "/" + name, names);
  if (!hint.empty()) msg += " (did you mean " + hint + "?)";
  diags.error({flag}, "", msg);
  return -1;
}

}  // namespace netpolc
