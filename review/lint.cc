#include "review/lint.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "compiler/labels.h"
#include "review/lint_checks.h"

namespace netpolc::review {

const char* lint_level_name(LintLevel l) {
  switch (l) {
    case LintLevel::Error: return "error";
    case LintLevel::Warning: return "warning";
    case LintLevel::Note: return "note";
  }
  return "warning";
}

const std::vector<LintCheck>& lint_checks() {
  static const std::vector<LintCheck> checks = {
      {"NP001", "dns-blocked", LintLevel::Warning, "egress isolation blocks DNS (53/UDP or 53/TCP to the cluster DNS)"},
      {"NP002", "dns-to-any-address", LintLevel::Warning, "DNS allowed by port alone, to any address"},
      {"NP003", "namespace-label-missing", LintLevel::Warning, "namespaceSelector on labels no namespace carries"},
      {"NP004", "policy-selects-nothing", LintLevel::Warning, "the policy selects no pod"},
      {"NP005", "peer-matches-nothing", LintLevel::Warning, "a peer matches no pod"},
      {"NP006", "uncovered", LintLevel::Note, "pods and namespaces no policy covers"},
      {"NP007", "or-instead-of-and", LintLevel::Warning, "namespaceSelector and podSelector as two peers (OR) where one (AND) was likely meant"},
      {"NP008", "rules-ignored-by-policy-types", LintLevel::Error, "rules of a direction policyTypes does not list are ignored"},
      {"NP009", "empty-egress-without-policy-types", LintLevel::Warning, "egress: [] without policyTypes does not isolate egress"},
      {"NP010", "port-without-protocol", LintLevel::Note, "a port without protocol means TCP"},
      {"NP011", "allow-all-shadows", LintLevel::Warning, "an allow-all rule makes other rules for the same pods moot"},
      {"NP012", "isolated-nothing-allowed", LintLevel::Warning, "pods isolated by rules that match nothing"},
      {"NP013", "named-port-undeclared", LintLevel::Warning, "a named port no destination pod declares"},
      {"NP014", "ipblock-overlaps-pods", LintLevel::Warning, "an ipBlock contains pod addresses"},
      {"NP015", "selects-host-network", LintLevel::Warning, "the policy selects hostNetwork pods, which it cannot apply to"},
      {"NP016", "redundant-rule", LintLevel::Note, "a rule contained in another rule for the same pods"},
      {"NP017", "broad-cidr", LintLevel::Warning, "an overly broad ipBlock CIDR"},
  };
  return checks;
}

const LintCheck* find_lint_check(const std::string& id) {
  for (const auto& c : lint_checks())
    if (id == c.id) return &c;
  return nullptr;
}

LintContext::LintContext(const Cluster& c, const PolicySet& p, const Program& prog)
    : cluster(c), policies(p), program(prog), index(c), ev(c, p) {
  for (const auto& pol : p.policies) {
    selected.push_back(index.select_pods(pol.ns, pol.pod_selector));
    targets.emplace_back();
    for (size_t i : selected.back())
      if (c.pods[i].enforced()) targets.back().push_back(i);
  }
  std::map<std::pair<std::string, std::string>, size_t> by_name;
  for (size_t i = 0; i < p.policies.size(); ++i) by_name[{p.policies[i].ns, p.policies[i].name}] = i;
  for (size_t r = 0; r < prog.rules.size(); ++r) {
    const RuleOrigin& o = prog.rules[r].origin;
    compiled_[{by_name.at({o.ns, o.policy}), o.direction, o.index}] = r;
  }
  pods_ = pod_endpoints(c);
  endpoint_of_.assign(c.pods.size(), -1);
  for (size_t e = 0; e < pods_.size(); ++e) endpoint_of_[size_t(pods_[e].pod)] = long(e);
}

std::string LintContext::pods_label(const std::vector<size_t>& pods) const {
  std::vector<size_t> members;
  std::vector<Endpoint> all = pods_;
  for (size_t p : pods) {
    if (endpoint_of_[p] >= 0) {
      members.push_back(size_t(endpoint_of_[p]));
      continue;
    }
    Endpoint e;  // not enforced: named all the same
    e.pod = long(p);
    e.name = cluster.pods[p].ns + "/" + cluster.pods[p].name;
    members.push_back(all.size());
    all.push_back(e);
  }
  return group_label(cluster, all, members, 6);
}

const CompiledRule* LintContext::compiled(size_t policy, Direction d, size_t rule) const {
  auto it = compiled_.find({policy, d, rule});
  return it == compiled_.end() ? nullptr : &program.rules[it->second];
}

void LintContext::add(const char* id, const SourceLoc& loc, std::string field, std::string message, std::string fix) {
  add(id, find_lint_check(id)->level, loc, std::move(field), std::move(message), std::move(fix));
}

void LintContext::add(const char* id, LintLevel level, const SourceLoc& loc, std::string field, std::string message,
                      std::string fix) {
  findings.push_back({id, level, loc, std::move(field), std::move(message), std::move(fix)});
}

std::string rule_field(Direction d, size_t rule) {
  return std::string("spec.") + direction_name(d) + "[" + std::to_string(rule) + "]";
}

std::string peer_field(Direction d, size_t rule, size_t peer) {
  return rule_field(d, rule) + (d == Direction::Ingress ? ".from[" : ".to[") + std::to_string(peer) + "]";
}

std::string port_field(Direction d, size_t rule, size_t port) {
  return rule_field(d, rule) + ".ports[" + std::to_string(port) + "]";
}

std::string selector_text(const LabelSelector& s) {
  if (s.selects_all()) return "{} (everything)";
  std::string out;
  for (const auto& [k, v] : s.match_labels) out += (out.empty() ? "" : ", ") + k + "=" + v;
  for (const auto& r : s.match_expressions) {
    static const char* ops[] = {"in", "notin", "exists", "doesnotexist"};
    out += (out.empty() ? "" : ", ") + r.key + " " + ops[int(r.op)];
    if (!r.values.empty()) {
      out += " (";
      for (size_t i = 0; i < r.values.size(); ++i) out += (i ? "," : "") + r.values[i];
      out += ")";
    }
  }
  return "{" + out + "}";
}

std::vector<Finding> lint(const Cluster& cluster, const PolicySet& policies, const Program& program) {
  LintContext cx(cluster, policies, program);
  check_dns_blocked(cx);
  check_dns_to_any_address(cx);
  check_namespace_labels(cx);
  check_policy_selects_nothing(cx);
  check_peer_matches_nothing(cx);
  check_uncovered(cx);
  check_or_instead_of_and(cx);
  check_policy_types(cx);
  check_port_protocol(cx);
  check_allow_all(cx);
  check_nothing_allowed(cx);
  check_named_ports(cx);
  check_redundant_rules(cx);
  check_ipblocks(cx);
  std::vector<Finding> out = std::move(cx.findings);
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.loc.file, a.loc.line, a.loc.col, a.id) < std::tie(b.loc.file, b.loc.line, b.loc.col, b.id);
  });
  return out;
}

}  // namespace netpolc::review
