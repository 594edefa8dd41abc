// Scenarios for the kernel tests: a cluster, the policies in force, and the
// probes with the verdict each must get. Two sources:
//   fixtures/e2e/*.yaml        upstream conformance cases (steps with truth
//                              tables over the x/y/z x a/b/c model)
//   fixtures/scenarios/*.yaml  the results the seed recipes state
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/evaluator.h"
#include "compiler/ir.h"

namespace netpolc::test {

struct Expectation {
  std::string from;  // "ns/pod" or an address outside the cluster
  std::string to;
  Family family = Family::V4;
  L4 protocol = L4::TCP;
  uint16_t port = 0;
  bool allow = false;
  std::string where;  // "file step 2 80/TCP" for messages
};

struct Scenario {
  std::string name;
  Cluster cluster;
  PolicySet policies;
  bool dns_carve_out = false;
  std::vector<Expectation> expectations;
};

// Loads every scenario of one fixture file (one per e2e step). Fails the
// current test with a message on malformed fixtures.
std::vector<Scenario> load_e2e_case(const std::string& path);
std::vector<Scenario> load_seed_scenario(const std::string& path);

// Every *.yaml of a directory, sorted (README and cluster files excluded).
std::vector<std::string> fixture_files(const std::string& dir);

// The address of "ns/pod" for a family, or the address itself.
bool endpoint_address(const Cluster& cluster, const std::string& who, Family f, IpAddr* out);

}  // namespace netpolc::test
