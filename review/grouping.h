// Folding endpoints that nobody can tell apart, so that a truth table of a
// large cluster stays readable: pods of one deployment, whole namespaces with
// the same policies, collapse into one row and one column.
#pragma once

#include <cstddef>
#include <vector>

#include "review/flows.h"

namespace netpolc::review {

// How every endpoint reaches every endpoint, on every probe.
struct ReachTable {
  size_t size = 0;  // endpoints
  std::vector<Probe> probes;
  std::vector<Reach> cells;  // [probe][from][to]

  Reach at(size_t probe, size_t from, size_t to) const { return cells[(probe * size + from) * size + to]; }
};

ReachTable reach_table(const Evaluator& ev, const std::vector<Endpoint>& endpoints, const std::vector<Probe>& probes,
                       Families families);

// The twin classes of a table. Endpoints a and b are twins when, on every
// probe, a reaches every third endpoint as b does, every third endpoint
// reaches a as it reaches b, and a reaches b as b reaches a; only endpoints of
// equal `kinds` are folded. Twins are an equivalence, and between two classes
// (and inside one, loopback aside) every cell of the table is the same. Each
// class is sorted; classes are ordered by their first member.
std::vector<std::vector<size_t>> twin_classes(const ReachTable& table, const std::vector<int>& kinds);

// The cell between two classes on a probe: any member of `from` to any
// member of `to`; within one class, between two of its members (a class of
// one reaches itself).
Reach block_value(const ReachTable& table, size_t probe, const std::vector<size_t>& from,
                  const std::vector<size_t>& to);

}  // namespace netpolc::review
