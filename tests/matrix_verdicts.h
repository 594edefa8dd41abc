// What `netpolc matrix` says about the probes of a scenario: the matrix the
// command builds (ungrouped, every family), read back cell by cell, so that
// the model and kernel tests can hold it to the expectations and to the
// traffic the kernel lets through.
#pragma once

#include <vector>

#include "tests/scenario.h"

namespace netpolc::test {

// Per expectation of `s` (same order): whether the matrix allows it. Empty
// for scenarios with a DNS carve-out, which is not NetworkPolicy and not in
// the matrix.
std::vector<bool> matrix_verdicts(const Scenario& s);

// Checks that folding the scenario's matrix into groups loses nothing: every
// cell between two pods is the cell between their groups.
void check_matrix_groups(const Scenario& s);

}  // namespace netpolc::test
