// For the review unit tests: a cluster and policies from inline YAML, parsed
// and resolved, failing the test on any error.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "compiler/policy_parser.h"
#include "compiler/resolve.h"
#include "compiler/snapshot_parser.h"

namespace netpolc::review::test {

struct TestWorld {
  Cluster cluster;
  PolicySet policies;
  Program program;
};

inline std::unique_ptr<TestWorld> make_world(const std::string& cluster_yaml, const std::string& policies_yaml) {
  auto w = std::make_unique<TestWorld>();
  Diagnostics diags;
  SourceFiles sources;
  sources.add("cluster.yaml", cluster_yaml);
  sources.add("policies.yaml", policies_yaml);
  w->cluster = parse_snapshot({{"cluster.yaml", cluster_yaml}}, diags);
  w->policies = parse_policies({{"policies.yaml", policies_yaml}}, diags);
  INFO(format_diagnostics(diags, sources));
  REQUIRE_FALSE(diags.has_errors());
  w->program = resolve(w->cluster, w->policies, ResolveOptions{}, diags);
  return w;
}

}  // namespace netpolc::review::test
