#include "review/graph.h"

#include <algorithm>

#include "compiler/program_eval.h"
#include "review/grouping.h"

namespace netpolc::review {

namespace {

bool isolated(const std::vector<Dispatch>& table, const Endpoint& e) {
  for (const auto& a : {e.v4, e.v6})
    if (a && find_dispatch(table, *a)) return true;
  return false;
}

// The ports of an edge: the probes allowed, a protocol whose every probe is
// allowed as "all TCP", everything as "any".
std::string edge_label(const std::vector<Probe>& probes, const std::vector<Reach>& cells) {
  auto allowed = [&](size_t i) { return reach_allows_any(cells[i]); };
  bool everything = true;
  for (size_t i = 0; i < probes.size(); ++i) everything = everything && cells[i] == Reach::Allow;
  if (everything) return "any";
  std::vector<std::string> parts;
  std::vector<bool> done(probes.size(), false);
  for (L4 proto : {L4::TCP, L4::UDP, L4::SCTP}) {
    bool all = true, other = false;
    for (size_t i = 0; i < probes.size(); ++i)
      if (probes[i].protocol == proto) {
        all = all && cells[i] == Reach::Allow;
        other = other || probes[i].other;
      }
    if (!all || !other) continue;
    parts.push_back(std::string("all ") + l4_name(proto));
    for (size_t i = 0; i < probes.size(); ++i)
      if (probes[i].protocol == proto) done[i] = true;
  }
  for (size_t i = 0; i < probes.size(); ++i) {
    if (done[i] || !allowed(i)) continue;
    std::string s = probes[i].other && probes[i].protocol != L4::ICMP
                        ? std::string("other ") + l4_name(probes[i].protocol) + " ports"
                        : probes[i].label();
    if (cells[i] == Reach::V4Only) s += " (IPv4)";
    if (cells[i] == Reach::V6Only) s += " (IPv6)";
    parts.push_back(s);
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

std::string isolation(const GraphNode& n) {
  if (n.kind == GraphNode::Kind::Outside) return "";
  if (n.ingress_isolated && n.egress_isolated) return "ingress and egress isolated";
  if (n.ingress_isolated) return "ingress isolated";
  if (n.egress_isolated) return "egress isolated";
  return "not isolated";
}

std::string node_text(const GraphNode& n, const std::string& newline) {
  std::string s = n.kind == GraphNode::Kind::Dns ? "DNS" + newline + n.label : n.label;
  std::string iso = isolation(n);
  return iso.empty() ? s : s + newline + iso;
}

bool open(const GraphNode& n) {
  return n.kind != GraphNode::Kind::Outside && !n.ingress_isolated && !n.egress_isolated;
}

const char* kLegend =
    "edges: flows a policy rule allows (from a pod isolated for egress, or to one isolated for ingress); "
    "pods that are not isolated also reach each other, not drawn";

}  // namespace

Graph build_graph(const Cluster& cluster, const PolicySet& policies, const Program& program, const GraphOptions& opt) {
  Graph g;
  g.policies = policies.policies.size();
  std::vector<Endpoint> eps = pod_endpoints(cluster);
  g.pods = eps.size();
  // DNS: the kube-dns pods, and the servers the snapshot names (pods or not).
  AddrSet named_dns;
  for (const auto& ip : cluster.dns_servers) named_dns = set_union(named_dns, AddrSet::of_ip(ip));
  for (auto& e : eps) {
    const Pod& p = cluster.pods[size_t(e.pod)];
    auto app = p.labels.find("k8s-app");
    bool kube_dns = p.ns == "kube-system" && app != p.labels.end() && app->second == "kube-dns";
    if (kube_dns || (e.v4 && named_dns.contains(*e.v4)) || (e.v6 && named_dns.contains(*e.v6)))
      e.kind = Endpoint::Kind::Dns;
  }
  for (const auto& ip : cluster.dns_servers)
    if (std::none_of(eps.begin(), eps.end(), [&](const Endpoint& e) { return e.v4 == ip || e.v6 == ip; })) {
      Endpoint e = address_endpoint(ip);
      e.kind = Endpoint::Kind::Dns;
      eps.push_back(e);
    }
  for (auto& e : ipblock_endpoints(cluster, {&policies})) eps.push_back(e);

  std::vector<Probe> named = declared_probes(cluster);
  for (const auto& p : policy_probes(policies)) named.push_back(p);
  for (const auto& p : opt.extra_probes) named.push_back(p);
  sort_probes(named);
  std::vector<Probe> probes = named;
  for (const auto& p : other_probes(named, {&policies})) probes.push_back(p);
  sort_probes(probes);

  Evaluator ev(cluster, policies);
  ReachTable t = reach_table(ev, eps, probes, opt.families);
  std::vector<int> kinds;
  for (const auto& e : eps)
    kinds.push_back(int(e.kind) * 4 + (isolated(program.egress, e) ? 2 : 0) + (isolated(program.ingress, e) ? 1 : 0));
  auto classes = twin_classes(t, kinds);

  for (const auto& c : classes) {
    const Endpoint& first = eps[c[0]];
    GraphNode n;
    n.kind = first.kind == Endpoint::Kind::Dns       ? GraphNode::Kind::Dns
             : first.kind == Endpoint::Kind::External ? GraphNode::Kind::Outside
                                                      : GraphNode::Kind::Pods;
    n.label = group_label(cluster, eps, c, 4);
    for (size_t m : c) n.members.push_back(eps[m].name);
    n.egress_isolated = isolated(program.egress, first);
    n.ingress_isolated = isolated(program.ingress, first);
    g.nodes.push_back(std::move(n));
  }
  for (size_t a = 0; a < classes.size(); ++a)
    for (size_t b = 0; b < classes.size(); ++b) {
      if (a == b && classes[a].size() == 1) continue;  // a pod and itself
      if (!g.nodes[a].egress_isolated && !g.nodes[b].ingress_isolated) continue;  // no policy decides
      std::vector<Reach> cells;
      for (size_t p = 0; p < probes.size(); ++p) cells.push_back(block_value(t, p, classes[a], classes[b]));
      if (std::none_of(cells.begin(), cells.end(), reach_allows_any)) continue;
      g.edges.push_back({a, b, edge_label(probes, cells)});
    }
  // Outside ranges nothing reaches or comes from are left out.
  std::vector<bool> used(g.nodes.size(), false);
  for (const auto& e : g.edges) used[e.from] = used[e.to] = true;
  std::vector<size_t> renumber(g.nodes.size());
  std::vector<GraphNode> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    renumber[i] = kept.size();
    if (g.nodes[i].kind != GraphNode::Kind::Outside || used[i]) kept.push_back(g.nodes[i]);
  }
  for (auto& e : g.edges) {
    e.from = renumber[e.from];
    e.to = renumber[e.to];
  }
  g.nodes = std::move(kept);
  for (size_t i = 0; i < g.nodes.size(); ++i) g.nodes[i].id = "n" + std::to_string(i + 1);
  return g;
}

namespace {

std::string dot_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string mermaid_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("#quot;") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string graph_dot(const Graph& g) {
  std::string out = "// netpolc graph: " + std::to_string(g.pods) + " pods, " + std::to_string(g.policies) +
                    " policies; " + kLegend + "\n";
  out += "digraph netpolc {\n";
  out += "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=10, labelloc=b, label=" + dot_quote(kLegend) + "];\n";
  out += "  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=10];\n";
  for (const auto& n : g.nodes) {
    std::string attrs;
    switch (n.kind) {
      case GraphNode::Kind::Pods: attrs = open(n) ? "shape=box, style=\"rounded,dashed\"" : "shape=box, style=rounded"; break;
      case GraphNode::Kind::Dns: attrs = "shape=cylinder"; break;
      case GraphNode::Kind::Outside: attrs = "shape=ellipse, style=filled, fillcolor=\"#eeeeee\""; break;
    }
    out += "  " + n.id + " [label=" + dot_quote(node_text(n, "\n")) + ", " + attrs + "];\n";
  }
  for (const auto& e : g.edges)
    out += "  " + g.nodes[e.from].id + " -> " + g.nodes[e.to].id + " [label=" + dot_quote(e.label) + "];\n";
  return out + "}\n";
}

std::string graph_mermaid(const Graph& g) {
  std::string out = "%% netpolc graph: " + std::to_string(g.pods) + " pods, " + std::to_string(g.policies) +
                    " policies; " + kLegend + "\nflowchart LR\n";
  std::vector<std::string> open_nodes;
  for (const auto& n : g.nodes) {
    std::string text = mermaid_quote(node_text(n, "<br/>"));
    switch (n.kind) {
      case GraphNode::Kind::Pods: out += "  " + n.id + "[" + text + "]\n"; break;
      case GraphNode::Kind::Dns: out += "  " + n.id + "[(" + text + ")]\n"; break;
      case GraphNode::Kind::Outside: out += "  " + n.id + "([" + text + "])\n"; break;
    }
    if (open(n)) open_nodes.push_back(n.id);
  }
  for (const auto& e : g.edges)
    out += "  " + g.nodes[e.from].id + " -->|" + mermaid_quote(e.label) + "| " + g.nodes[e.to].id + "\n";
  if (!open_nodes.empty()) {
    out += "  classDef open stroke-dasharray: 5 5\n  class ";
    for (size_t i = 0; i < open_nodes.size(); ++i) out += (i ? "," : "") + open_nodes[i];
    out += " open\n";
  }
  return out;
}

}  // namespace netpolc::review
