#include "review/flow_diff.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "backends/nft_text.h"
#include "compiler/resolve.h"
#include "review/explain.h"
#include "review/grouping.h"
#include "review/line_diff.h"

namespace netpolc::review {

namespace {

std::string policy_list(const PolicySet& ps, const std::vector<size_t>& policies) {
  std::string s;
  for (size_t i = 0; i < policies.size(); ++i)
    s += (i ? ", " : "") + ps.policies[policies[i]].ns + "/" + ps.policies[policies[i]].name;
  return s;
}

// Why a flow changed, from the verdicts before and after: the sides that
// decide the new outcome, by rule or by policy.
std::pair<std::string, SourceLoc> reason_of(bool now_allowed, const std::optional<Verdict>& before,
                                            const std::optional<Verdict>& after, const PolicySet& after_ps) {
  if (!before || !after) return {"an address of the other family exists in one snapshot only", {}};
  std::string out;
  SourceLoc loc;
  for (Direction d : {Direction::Egress, Direction::Ingress}) {
    const SideVerdict& was = d == Direction::Egress ? before->egress : before->ingress;
    const SideVerdict& now = d == Direction::Egress ? after->egress : after->ingress;
    std::string part;
    SourceLoc part_loc;
    if (now_allowed && !was.allowed()) {
      if (now.allowed_by) {
        part = std::string(direction_name(d)) + " allowed by " + rule_label(after_ps.policies[now.allowed_by->policy], d, now.allowed_by->rule);
        part_loc = after_ps.policies[now.allowed_by->policy].rules(d)[now.allowed_by->rule].loc;
      } else {
        part = std::string(direction_name(d)) + " no longer isolated";
      }
    } else if (!now_allowed && !now.allowed()) {
      part = std::string(direction_name(d)) + " denied: no rule of " + policy_list(after_ps, now.isolating) + " allows it";
      part_loc = after_ps.policies[now.isolating[0]].pod_selector.loc;
    }
    if (part.empty()) continue;
    out += (out.empty() ? "" : "; ") + part;
    if (loc.file.empty()) loc = part_loc;
  }
  return {out, loc};
}

std::vector<Probe> merged(std::vector<Probe> a, const std::vector<Probe>& b) {
  a.insert(a.end(), b.begin(), b.end());
  sort_probes(a);
  return a;
}

// Folds the flows of a group into lines. The changed flows, as a table of
// endpoints by endpoints per port, are folded into twin classes (as `matrix`
// folds pods), so that every pair of classes changed alike; then destination
// classes with the same ports from one source class share a line, and so do
// source classes with the same destinations and ports.
void fold(const Cluster& cluster, const std::vector<Endpoint>& endpoints, size_t pods,
          const std::vector<std::vector<Probe>>& probes_to, ChangeGroup& g) {
  std::vector<std::pair<Probe, std::string>> ports;  // (probe, family note)
  for (const auto& f : g.flows) ports.push_back({f.probe, f.family});
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  ReachTable t;
  t.size = endpoints.size();
  t.probes.resize(ports.size());
  t.cells.assign(ports.size() * t.size * t.size, Reach::Deny);
  for (const auto& f : g.flows) {
    size_t p = size_t(std::lower_bound(ports.begin(), ports.end(), std::pair{f.probe, f.family}) - ports.begin());
    t.cells[(p * t.size + f.from) * t.size + f.to] = Reach::Allow;  // Allow: changed
  }
  std::vector<int> kinds;
  for (size_t i = 0; i < t.size; ++i) kinds.push_back(i < pods ? 0 : 1);
  auto classes = twin_classes(t, kinds);

  auto port_names = [&](const std::vector<size_t>& ps, size_t to) {
    if (to >= pods && ps.size() == probes_to[to].size() &&
        std::all_of(ps.begin(), ps.end(), [&](size_t p) { return ports[p].second.empty(); }))
      return std::vector<std::string>{"every port and protocol"};
    std::vector<std::string> out;
    for (size_t p : ps) out.push_back(ports[p].first.label() + (ports[p].second.empty() ? "" : " (" + ports[p].second + ")"));
    return out;
  };
  auto pairs = [&](size_t a, size_t b) {
    size_t n = classes[a].size();
    return a == b ? n * (n - 1) : n * classes[b].size();
  };
  // Per source class: port list -> destination classes.
  using Row = std::vector<std::pair<std::vector<std::string>, std::vector<size_t>>>;
  std::vector<std::pair<Row, std::vector<size_t>>> rows;  // row -> source classes
  for (size_t a = 0; a < classes.size(); ++a) {
    Row row;
    for (size_t b = 0; b < classes.size(); ++b) {
      if (pairs(a, b) == 0) continue;
      std::vector<size_t> ps;
      for (size_t p = 0; p < ports.size(); ++p)
        if (block_value(t, p, classes[a], classes[b]) == Reach::Allow) ps.push_back(p);
      if (ps.empty()) continue;
      auto names = port_names(ps, classes[b][0]);
      auto it = std::find_if(row.begin(), row.end(), [&](const auto& r) { return r.first == names; });
      if (it == row.end()) row.push_back({names, {b}});
      else it->second.push_back(b);
    }
    if (row.empty()) continue;
    auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.first == row; });
    if (it == rows.end()) rows.push_back({row, {a}});
    else it->second.push_back(a);
  }
  auto members = [&](const std::vector<size_t>& cs) {
    std::vector<size_t> m;
    for (size_t c : cs) m.insert(m.end(), classes[c].begin(), classes[c].end());
    std::sort(m.begin(), m.end());
    return m;
  };
  for (const auto& [row, froms] : rows)
    for (const auto& [names, tos] : row) {
      size_t n = 0;
      for (size_t a : froms)
        for (size_t b : tos) n += pairs(a, b);
      g.lines.push_back({group_label(cluster, endpoints, members(froms), 8), group_label(cluster, endpoints, members(tos), 8),
                         join(names), n * (names[0] == "every port and protocol" ? probes_to[classes[tos[0]][0]].size() : names.size())});
    }
}

std::string compiled(const World& w) {
  Diagnostics ignored;
  Program prog = resolve(*w.cluster, *w.policies, ResolveOptions{}, ignored);
  return emit_nft(prog, *w.cluster, NftOptions{});
}

}  // namespace

FlowDiff diff_flows(const World& before, const World& after, const DiffOptions& opt) {
  FlowDiff d;
  // Pods of both snapshots, matched by name; both lists are sorted by name.
  std::vector<Endpoint> old_eps, new_eps;
  {
    auto o = pod_endpoints(*before.cluster), n = pod_endpoints(*after.cluster);
    size_t i = 0, j = 0;
    while (i < o.size() || j < n.size()) {
      if (j == n.size() || (i < o.size() && o[i].name < n[j].name)) {
        d.pods_removed.push_back(o[i++].name);
      } else if (i == o.size() || n[j].name < o[i].name) {
        d.pods_added.push_back(n[j++].name);
      } else {
        old_eps.push_back(o[i++]);
        new_eps.push_back(n[j++]);
      }
    }
  }
  d.pods = new_eps.size();
  Cluster all_pods = *before.cluster;  // keeps every pod address out of the outside addresses
  all_pods.pods.insert(all_pods.pods.end(), after.cluster->pods.begin(), after.cluster->pods.end());
  for (auto& e : ipblock_endpoints(all_pods, {before.policies, after.policies})) {
    old_eps.push_back(e);
    new_eps.push_back(e);
  }
  d.endpoints = new_eps;

  std::vector<Probe> named = merged(merged(policy_probes(*before.policies), policy_probes(*after.policies)), opt.extra_probes);
  std::vector<Probe> outside = merged(named, other_probes(named, {before.policies, after.policies}));
  std::vector<std::vector<Probe>> probes_to;
  for (size_t j = 0; j < new_eps.size(); ++j) {
    if (j >= d.pods) {
      probes_to.push_back(outside);
      continue;
    }
    auto declared = merged(declared_probes(before.cluster->pods[size_t(old_eps[j].pod)]),
                           declared_probes(after.cluster->pods[size_t(new_eps[j].pod)]));
    probes_to.push_back(merged(declared, opt.extra_probes));
  }

  Evaluator ev_before(*before.cluster, *before.policies), ev_after(*after.cluster, *after.policies);
  std::map<std::pair<bool, std::string>, size_t> group_of;
  for (size_t i = 0; i < new_eps.size(); ++i)
    for (size_t j = 0; j < new_eps.size(); ++j) {
      if (i == j || (i >= d.pods && j >= d.pods)) continue;  // loopback; outside to outside
      for (const Probe& probe : probes_to[j]) {
        ++d.compared;
        struct Change { Family family; std::optional<Verdict> before, after; };
        std::vector<Change> gained, lost;
        int families = 0;
        for (Family f : {Family::V4, Family::V6}) {
          if ((f == Family::V4 && opt.families == Families::V6) || (f == Family::V6 && opt.families == Families::V4))
            continue;
          auto fb = flow_of(old_eps[i], old_eps[j], probe, f), fa = flow_of(new_eps[i], new_eps[j], probe, f);
          if (!fb && !fa) continue;
          ++families;
          std::optional<Verdict> vb, va;
          if (fb) vb = ev_before.evaluate(*fb);
          if (fa) va = ev_after.evaluate(*fa);
          bool was = vb && vb->allowed, now = va && va->allowed;
          if (was != now) (now ? gained : lost).push_back({f, vb, va});
        }
        for (const auto* changes : {&gained, &lost}) {
          if (changes->empty()) continue;
          bool now_allowed = changes == &gained;
          const Change& c = changes->front();
          auto [reason, loc] = reason_of(now_allowed, c.before, c.after, *after.policies);
          auto [it, fresh] = group_of.try_emplace({!now_allowed, reason}, d.groups.size());
          if (fresh) d.groups.push_back({now_allowed, reason, loc, {}, {}});
          std::string family;
          if (int(changes->size()) < families) family = c.family == Family::V4 ? "IPv4" : "IPv6";
          d.groups[it->second].flows.push_back({i, j, probe, family});
          (now_allowed ? d.allowed : d.denied) += 1;
        }
      }
    }
  std::stable_sort(d.groups.begin(), d.groups.end(), [](const ChangeGroup& a, const ChangeGroup& b) {
    if (a.allowed != b.allowed) return a.allowed;
    if (a.flows.size() != b.flows.size()) return a.flows.size() > b.flows.size();
    return a.reason < b.reason;
  });
  for (auto& g : d.groups) fold(*after.cluster, d.endpoints, d.pods, probes_to, g);
  d.compiled_compared = opt.compiled;
  if (opt.compiled) d.compiled_diff = unified_diff(compiled(before), compiled(after), "before.nft", "after.nft");
  return d;
}

namespace {

std::string headline(const FlowDiff& d) {
  return plural(d.allowed, "flow becomes", "flows become") + " allowed, " +
         plural(d.denied, "flow becomes", "flows become") + " denied";
}

std::string scope(const FlowDiff& d) {
  return plural(d.compared, "flow", "flows") + " compared: " + plural(d.pods, "pod", "pods") +
         " on their declared ports, and to and from " +
         plural(d.endpoints.size() - d.pods, "group", "groups") + " of outside addresses";
}

std::string pods_line(const char* what, const std::vector<std::string>& pods) {
  return plural(pods.size(), "pod", "pods") + " only in the " + what + " snapshot (not compared): " + join(pods);
}

}  // namespace

std::string diff_text(const FlowDiff& d) {
  std::string out = headline(d) + " (" + scope(d) + ")\n";
  if (!d.pods_added.empty()) out += pods_line("new", d.pods_added) + "\n";
  if (!d.pods_removed.empty()) out += pods_line("old", d.pods_removed) + "\n";
  for (const auto& g : d.groups) {
    out += "\n" + std::string(g.allowed ? "+ allowed" : "- denied") + " (" + plural(g.flows.size(), "flow", "flows") +
           "): " + g.reason;
    if (!g.loc.file.empty()) out += "  " + loc_text(g.loc);
    out += "\n";
    for (const auto& l : g.lines) out += "    " + l.from + " -> " + l.to + ": " + l.ports + "\n";
  }
  if (!d.compiled_diff.empty()) out += "\ncompiled rules (nft, gateway):\n" + d.compiled_diff;
  else if (d.compiled_compared) out += "\ncompiled rules (nft, gateway): unchanged\n";
  return out;
}

std::string diff_markdown(const FlowDiff& d) {
  std::string out = "### netpolc diff: " + headline(d) + "\n\n" + scope(d) + ".\n";
  if (!d.pods_added.empty()) out += "\n" + pods_line("new", d.pods_added) + ".\n";
  if (!d.pods_removed.empty()) out += "\n" + pods_line("old", d.pods_removed) + ".\n";
  for (bool allowed : {true, false}) {
    size_t n = allowed ? d.allowed : d.denied;
    out += "\n#### " + std::string(allowed ? "Become allowed" : "Become denied") + " (" + std::to_string(n) + ")\n\n";
    if (n == 0) {
      out += "None.\n";
      continue;
    }
    out += "| flows | from | to | ports | decided by |\n| ---: | --- | --- | --- | --- |\n";
    for (const auto& g : d.groups) {
      if (g.allowed != allowed) continue;
      std::string why = g.reason + (g.loc.file.empty() ? "" : " (`" + loc_text(g.loc) + "`)");
      for (const auto& l : g.lines)
        out += "| " + std::to_string(l.flows) + " | `" + l.from + "` | `" + l.to + "` | " + l.ports + " | " + why + " |\n";
    }
  }
  if (d.compiled_diff.empty()) return out + (d.compiled_compared ? "\nCompiled nft rules: unchanged.\n" : "");
  size_t plus = 0, minus = 0;
  for (const auto& l : split_lines(d.compiled_diff)) {
    if (l.rfind("+++", 0) == 0 || l.rfind("---", 0) == 0) continue;
    plus += !l.empty() && l[0] == '+';
    minus += !l.empty() && l[0] == '-';
  }
  out += "\n<details><summary>Compiled nft rules: +" + std::to_string(plus) + " −" + std::to_string(minus) +
         " lines</summary>\n\n```diff\n" + d.compiled_diff + "```\n\n</details>\n";
  return out;
}

Json diff_json(const FlowDiff& d) {
  Json j = Json::object();
  j.set("changed", d.changed());
  j.set("allowed", d.allowed);
  j.set("denied", d.denied);
  j.set("compared", d.compared);
  j.set("pods_added", Json::strings(d.pods_added));
  j.set("pods_removed", Json::strings(d.pods_removed));
  Json& groups = j.set("changes", Json::array());
  for (const auto& g : d.groups) {
    Json& jg = groups.push(Json::object());
    jg.set("now", g.allowed ? "allowed" : "denied");
    jg.set("reason", g.reason);
    jg.set("location", g.loc.file.empty() ? Json() : Json(loc_text(g.loc)));
    jg.set("count", g.flows.size());
    Json& flows = jg.set("flows", Json::array());
    for (const auto& f : g.flows) {
      Json& jf = flows.push(Json::object());
      jf.set("from", d.endpoints[f.from].name);
      jf.set("to", d.endpoints[f.to].name);
      jf.set("port", f.probe.label());
      if (!f.family.empty()) jf.set("family", f.family);
    }
  }
  j.set("compiled_diff", d.compiled_diff);
  return j;
}

}  // namespace netpolc::review
