// netpolc graph: the allowed-flow graph. Nodes are groups of pods that reach
// and are reached alike (as in `matrix`), the cluster DNS, and the outside
// address ranges the ipBlocks name; an edge is a flow some policy rule allows
// (its source isolated for egress or its destination for ingress), labelled
// with its ports. Flows between pods that no policy isolates are not drawn:
// the nodes say they are open.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir.h"
#include "compiler/program.h"
#include "review/flows.h"

namespace netpolc::review {

struct GraphOptions {
  std::vector<Probe> extra_probes;
  Families families = Families::Both;
};

struct GraphNode {
  enum class Kind : uint8_t { Pods, Dns, Outside };
  Kind kind = Kind::Pods;
  std::string id;  // "n1", "n2", ... in the order of the nodes
  std::string label;
  std::vector<std::string> members;
  bool ingress_isolated = false, egress_isolated = false;
};

struct GraphEdge {
  size_t from = 0, to = 0;  // indexes into Graph::nodes
  std::string label;        // "53/TCP, 53/UDP", "all TCP", "any"
};

struct Graph {
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  size_t pods = 0, policies = 0;
};

Graph build_graph(const Cluster& cluster, const PolicySet& policies, const Program& program, const GraphOptions& options);

std::string graph_dot(const Graph& g);
std::string graph_mermaid(const Graph& g);

}  // namespace netpolc::review
