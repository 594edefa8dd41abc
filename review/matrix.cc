#include "review/matrix.h"

#include <algorithm>

namespace netpolc::review {

std::string group_id(size_t index) {
  std::string s;
  for (size_t n = index + 1; n > 0; n = (n - 1) / 26) s.insert(s.begin(), char('A' + (n - 1) % 26));
  return s;
}

Matrix build_matrix(const Cluster& cluster, const PolicySet& policies, const MatrixOptions& opt) {
  Matrix m;
  m.policies = policies.policies.size();
  m.endpoints = pod_endpoints(cluster);
  m.pods = m.endpoints.size();
  for (const auto& ip : opt.externals) m.endpoints.push_back(address_endpoint(ip));
  std::vector<Probe> probes = opt.probes.empty() ? declared_probes(cluster) : opt.probes;
  sort_probes(probes);
  Evaluator ev(cluster, policies);
  m.table = reach_table(ev, m.endpoints, probes, opt.families);

  std::vector<std::vector<size_t>> classes;
  if (opt.group) {
    std::vector<int> kinds;
    for (const auto& e : m.endpoints) kinds.push_back(int(e.kind));
    classes = twin_classes(m.table, kinds);
  } else {
    for (size_t i = 0; i < m.endpoints.size(); ++i) classes.push_back({i});
  }
  for (size_t g = 0; g < classes.size(); ++g)
    m.groups.push_back({group_id(g), group_label(cluster, m.endpoints, classes[g], 6), classes[g]});

  // Probes with equal grids share one.
  auto same_grid = [&](size_t p, size_t q) {
    for (const auto& a : m.groups)
      for (const auto& b : m.groups)
        if (block_value(m.table, p, a.members, b.members) != block_value(m.table, q, a.members, b.members))
          return false;
    return true;
  };
  for (size_t p = 0; p < probes.size(); ++p) {
    auto it = std::find_if(m.grids.begin(), m.grids.end(), [&](const auto& g) { return same_grid(g[0], p); });
    if (it != m.grids.end()) it->push_back(p);
    else m.grids.push_back({p});
  }
  for (Reach r : m.table.cells) m.mixed_cells = m.mixed_cells || (r != Reach::Allow && r != Reach::Deny);
  return m;
}

namespace {

std::string grid_ports(const Matrix& m, const std::vector<size_t>& grid) {
  std::string s;
  for (size_t i = 0; i < grid.size(); ++i) s += (i ? ", " : "") + m.table.probes[grid[i]].label();
  return s;
}

std::string summary(const Matrix& m) {
  std::string s = plural(m.pods, "pod", "pods");
  if (m.endpoints.size() > m.pods) s += ", " + plural(m.endpoints.size() - m.pods, "address", "addresses");
  s += ", " + plural(m.policies, "policy", "policies") + ", " + plural(m.table.probes.size(), "port", "ports");
  s += "; " + plural(m.groups.size(), "group", "groups");
  bool folded = std::any_of(m.groups.begin(), m.groups.end(), [](const auto& g) { return g.members.size() > 1; });
  if (folded) s += " (pods that reach and are reached alike are one group; a group's own cell is between two of its pods, and a pod always reaches itself)";
  return s;
}

const char* kLegendExtra = "4 IPv4 only, 6 IPv6 only, - no address family in common";

}  // namespace

std::string matrix_text(const Matrix& m) {
  std::string out = summary(m) + "\n";
  size_t width = 0;
  for (const auto& g : m.groups) width = std::max(width, g.id.size());
  auto pad = [&](const std::string& s) { return s + std::string(width - s.size(), ' '); };
  for (const auto& g : m.groups) out += "  " + pad(g.id) + "  " + g.label + "\n";
  if (m.table.probes.empty()) out += "\nno ports to show: no pod declares a port (use --port)\n";
  for (const auto& grid : m.grids) {
    out += "\n" + grid_ports(m, grid) + "  (rows from, columns to; . allowed, X denied";
    out += std::string(m.mixed_cells ? "; " : "") + (m.mixed_cells ? kLegendExtra : "") + ")\n";
    out += "  " + std::string(width, ' ');
    for (const auto& g : m.groups) out += " " + pad(g.id);
    out += "\n";
    for (const auto& from : m.groups) {
      out += "  " + pad(from.id);
      for (const auto& to : m.groups)
        out += " " + pad(std::string(1, reach_char(block_value(m.table, grid[0], from.members, to.members))));
      out += "\n";
    }
  }
  return out;
}

std::string matrix_markdown(const Matrix& m) {
  auto cell = [](Reach r) -> std::string {
    switch (r) {
      case Reach::Allow: return "✓";
      case Reach::Deny: return "✗";
      case Reach::V4Only: return "IPv4";
      case Reach::V6Only: return "IPv6";
      case Reach::NoPath: return "–";
    }
    return "?";
  };
  std::string out = "**" + summary(m) + "**\n\n| group | members |\n| --- | --- |\n";
  for (const auto& g : m.groups) out += "| " + g.id + " | `" + g.label + "` |\n";
  for (const auto& grid : m.grids) {
    out += "\n**" + grid_ports(m, grid) + "** (rows from, columns to; ✓ allowed, ✗ denied)\n\n| from \\ to |";
    for (const auto& g : m.groups) out += " " + g.id + " |";
    out += "\n| --- |";
    for (size_t i = 0; i < m.groups.size(); ++i) out += " :-: |";
    out += "\n";
    for (const auto& from : m.groups) {
      out += "| **" + from.id + "** |";
      for (const auto& to : m.groups) out += " " + cell(block_value(m.table, grid[0], from.members, to.members)) + " |";
      out += "\n";
    }
  }
  return out;
}

Json matrix_json(const Matrix& m) {
  Json root = Json::object();
  root.set("pods", m.pods);
  root.set("addresses", m.endpoints.size() - m.pods);
  root.set("policies", m.policies);
  Json& ports = root.set("ports", Json::array());
  for (const auto& p : m.table.probes) ports.push(p.label());
  Json& groups = root.set("groups", Json::array());
  for (const auto& g : m.groups) {
    Json& j = groups.push(Json::object());
    j.set("id", g.id);
    j.set("label", g.label);
    Json& members = j.set("members", Json::array());
    for (size_t i : g.members) members.push(m.endpoints[i].name);
  }
  Json& tables = root.set("tables", Json::array());
  for (const auto& grid : m.grids) {
    Json& t = tables.push(Json::object());
    Json& tp = t.set("ports", Json::array());
    for (size_t p : grid) tp.push(m.table.probes[p].label());
    Json& rows = t.set("rows", Json::array());
    for (const auto& from : m.groups) {
      Json& row = rows.push(Json::array());
      for (const auto& to : m.groups) row.push(reach_name(block_value(m.table, grid[0], from.members, to.members)));
    }
  }
  return root;
}

}  // namespace netpolc::review
