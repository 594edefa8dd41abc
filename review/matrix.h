// netpolc matrix: the truth table of who reaches whom, per port and protocol,
// from the reference evaluator, with pods that reach and are reached alike
// folded into groups.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir.h"
#include "review/grouping.h"
#include "review/json.h"

namespace netpolc::review {

struct MatrixOptions {
  std::vector<Probe> probes;      // empty: every port an enforced pod declares
  std::vector<IpAddr> externals;  // outside addresses, rows and columns after the pods
  bool group = true;              // fold twins; false: one row per endpoint
  Families families = Families::Both;
};

struct MatrixGroup {
  std::string id;     // "A", "B", ... "AA"
  std::string label;  // "x/{a,b}"
  std::vector<size_t> members;  // indexes into Matrix::endpoints
};

struct Matrix {
  std::vector<Endpoint> endpoints;
  ReachTable table;
  std::vector<MatrixGroup> groups;
  // Probes (indexes into table.probes) whose grids are equal, shown as one.
  std::vector<std::vector<size_t>> grids;
  size_t pods = 0;
  size_t policies = 0;
  bool mixed_cells = false;  // whether a 4, 6 or - cell occurs anywhere
};

Matrix build_matrix(const Cluster& cluster, const PolicySet& policies, const MatrixOptions& options);

// "A", "B", ..., "Z", "AA", "AB", ...
std::string group_id(size_t index);

std::string matrix_text(const Matrix& m);
std::string matrix_markdown(const Matrix& m);
Json matrix_json(const Matrix& m);

}  // namespace netpolc::review
