// Rules that do not do what they seem to: NP008 rules-ignored-by-policy-types,
// NP009 empty-egress-without-policy-types, NP010 port-without-protocol,
// NP011 allow-all-shadows, NP012 isolated-nothing-allowed, NP013
// named-port-undeclared, NP016 redundant-rule.
#include <algorithm>

#include "review/lint_checks.h"

namespace netpolc::review {

namespace {

bool is_subset(const std::vector<size_t>& small, const std::vector<size_t>& big) {
  return std::includes(big.begin(), big.end(), small.begin(), small.end());
}

bool intersects(const std::vector<size_t>& a, const std::vector<size_t>& b) {
  for (size_t x : a)
    if (std::binary_search(b.begin(), b.end(), x)) return true;
  return false;
}

// Whether every port of `inner` is in `outer` (both sorted and merged).
bool ports_within(const std::vector<PortRange>& inner, const std::vector<PortRange>& outer) {
  return std::all_of(inner.begin(), inner.end(), [&](const PortRange& r) {
    return std::any_of(outer.begin(), outer.end(), [&](const PortRange& o) {
      return o.protocol == r.protocol && o.lo <= r.lo && r.hi <= o.hi;
    });
  });
}

// Whether compiled rule `r` allows nothing that `s` does not.
bool contained(const Program& prog, const CompiledRule& r, const CompiledRule& s) {
  bool peers = s.any_peer || (!r.any_peer && set_subtract(rule_peers(prog, r), rule_peers(prog, s)).empty());
  bool ports = s.any_port || (!r.any_port && ports_within(r.ports, s.ports));
  return peers && ports;
}

bool allows_something(const Program& prog, const CompiledRule& r, const ChainRule& cr) {
  bool peer = r.any_peer || !rule_peers(prog, r).empty();
  bool port = r.any_port || !r.ports.empty() || !cr.named_ports.empty();
  return (peer && port) || !r.named_targets.empty();
}

}  // namespace

void check_policy_types(LintContext& cx) {
  for (const auto& p : cx.policies.policies) {
    for (Direction d : {Direction::Ingress, Direction::Egress}) {
      if (p.isolates(d) || p.rules(d).empty()) continue;
      std::string dir = direction_name(d), type = d == Direction::Ingress ? "Ingress" : "Egress";
      cx.add("NP008", p.policy_types_loc, "spec.policyTypes",
             "spec." + dir + " has " + plural(p.rules(d).size(), "rule", "rules") + ", but policyTypes does not list " +
                 type + ": they are ignored and " + dir + " is not isolated by this policy",
             "add " + type + " to policyTypes, or delete spec." + dir);
    }
    if (!p.policy_types_listed && p.egress_loc.line > 0 && p.egress_rules.empty())
      cx.add("NP009", p.egress_loc, "spec.egress",
             "egress: [] without policyTypes does not isolate egress: policyTypes defaults to [Ingress] when egress "
             "has no rule, so this policy denies all ingress and leaves egress open",
             "to deny all egress, add policyTypes: [Egress] (or [Ingress, Egress] to deny both)");
  }
}

void check_port_protocol(LintContext& cx) {
  for (const auto& p : cx.policies.policies)
    for (Direction d : {Direction::Ingress, Direction::Egress})
      for (size_t r = 0; r < p.rules(d).size(); ++r)
        for (size_t k = 0; k < p.rules(d)[r].ports.size(); ++k) {
          const PortSpec& spec = p.rules(d)[r].ports[k];
          if (spec.protocol_given) continue;
          std::string what = spec.port ? "port " + std::to_string(*spec.port) : spec.name.empty() ? "this port" : "port " + spec.name;
          if (spec.port && *spec.port == 53)
            cx.add("NP010", LintLevel::Warning, spec.loc, port_field(d, r, k),
                   "port 53 without protocol is 53/TCP only, and DNS asks over UDP first",
                   "write two entries: {port: 53, protocol: UDP} and {port: 53, protocol: TCP}");
          else
            cx.add("NP010", spec.loc, port_field(d, r, k), what + " has no protocol: it means TCP",
                   "write protocol: TCP to say so (or UDP, SCTP)");
        }
}

void check_allow_all(LintContext& cx) {
  const auto& pols = cx.policies.policies;
  for (size_t i = 0; i < pols.size(); ++i)
    for (Direction d : {Direction::Ingress, Direction::Egress}) {
      if (!pols[i].isolates(d) || cx.targets[i].empty()) continue;
      for (size_t r = 0; r < pols[i].rules(d).size(); ++r) {
        const Rule& rule = pols[i].rules(d)[r];
        if (!rule.peers.empty() || !rule.ports.empty()) continue;
        std::vector<std::string> moot;
        for (size_t j = 0; j < pols.size(); ++j) {
          if (!pols[j].isolates(d) || !intersects(cx.targets[i], cx.targets[j])) continue;
          for (size_t s = 0; s < pols[j].rules(d).size(); ++s)
            if (j != i || s != r) moot.push_back(rule_label(pols[j], d, s));
        }
        if (moot.empty()) continue;
        std::string list;
        for (size_t m = 0; m < moot.size() && m < 6; ++m) list += (m ? ", " : "") + moot[m];
        if (moot.size() > 6) list += ", +" + std::to_string(moot.size() - 6) + " more";
        cx.add("NP011", rule.loc, rule_field(d, r),
               "allows all " + std::string(direction_name(d)) + " of " + cx.pods_label(cx.targets[i]) + ": " +
                   plural(moot.size(), "other rule", "other rules") + " for these pods " +
                   (moot.size() == 1 ? "adds" : "add") + " nothing (" + list + ")",
               "if the pods should not be open, give this rule peers or ports; otherwise drop the moot rules");
      }
    }
}

void check_nothing_allowed(LintContext& cx) {
  for (const auto& chain : cx.program.chains) {
    if (chain.rules.empty()) continue;  // a plain default deny: meant
    bool any = std::any_of(chain.rules.begin(), chain.rules.end(),
                           [&](const ChainRule& cr) { return allows_something(cx.program, cx.program.rules[cr.rule], cr); });
    if (any) continue;
    const RuleOrigin& first = cx.program.rules[chain.rules[0].rule].origin;
    std::string by;
    for (const auto& p : chain.isolated_by) by += (by.empty() ? "" : ", ") + p;
    cx.add("NP012", first.loc, rule_field(chain.direction, first.index),
           cx.pods_label(chain.pods) + (chain.pods.size() == 1 ? " is" : " are") + " isolated for " +
               direction_name(chain.direction) + " by " + by + ", whose rules match nothing in this snapshot (their " +
               "peers select no pod, or their named ports are declared by none): all " + direction_name(chain.direction) +
               " is denied",
           "fix the peers or ports of these rules; to deny everything on purpose, write the policy without rules");
  }
}

void check_named_ports(LintContext& cx) {
  const auto& pods = cx.cluster.pods;
  for (size_t i = 0; i < cx.policies.policies.size(); ++i) {
    const Policy& p = cx.policies.policies[i];
    for (Direction d : {Direction::Ingress, Direction::Egress})
      for (size_t r = 0; r < p.rules(d).size(); ++r) {
        const Rule& rule = p.rules(d)[r];
        if (std::none_of(rule.ports.begin(), rule.ports.end(), [](const PortSpec& s) { return !s.name.empty(); }))
          continue;
        // The pods a named port is looked up on: the selected pods for
        // ingress, the peers for egress.
        std::vector<size_t> where;
        if (d == Direction::Ingress) {
          where = cx.targets[i];
        } else {
          for (size_t k = 0; k < pods.size(); ++k) {
            if (!pods[k].enforced()) continue;
            bool peer = false;
            for (const auto& ip : pods[k].ips) peer = peer || cx.ev.match_rule({i, d, r}, {ip, ip, L4::TCP, 0}).peer;
            if (peer) where.push_back(k);
          }
        }
        if (where.empty()) continue;  // NP004 / NP005 say so
        for (size_t s = 0; s < rule.ports.size(); ++s) {
          const PortSpec& spec = rule.ports[s];
          if (spec.name.empty()) continue;
          bool exact = false;
          std::string other;
          for (size_t k : where)
            for (const auto& cp : pods[k].ports)
              if (cp.name == spec.name) {
                if (cp.protocol == spec.protocol) exact = true;
                else other = protocol_name(cp.protocol);
              }
          if (exact) continue;
          std::string whose = d == Direction::Ingress ? "no pod this policy selects" : "no pod this rule's peers select";
          cx.add("NP013", spec.loc, port_field(d, r, s),
                 whose + " declares a " + protocol_name(spec.protocol) + " port named \"" + spec.name +
                     "\": it matches nothing" + (other.empty() ? "" : " (a " + other + " port has that name)"),
                 other.empty() ? "use the name of a containerPort of the destination pods, or the port number"
                               : "set protocol: " + other);
        }
      }
  }
}

void check_redundant_rules(LintContext& cx) {
  const auto& pols = cx.policies.policies;
  for (size_t i = 0; i < pols.size(); ++i)
    for (Direction d : {Direction::Ingress, Direction::Egress})
      for (size_t r = 0; r < pols[i].rules(d).size(); ++r) {
        const CompiledRule* cr = cx.compiled(i, d, r);
        if (!cr || cx.targets[i].empty() || cr->has_named_ports) continue;
        if (!(cr->any_peer || !rule_peers(cx.program, *cr).empty()) || !(cr->any_port || !cr->ports.empty())) continue;  // allows nothing
        for (size_t j = 0; j < pols.size(); ++j) {
          if (pols[j].ns != pols[i].ns || !is_subset(cx.targets[i], cx.targets[j])) continue;
          size_t found = SIZE_MAX;
          for (size_t s = 0; s < pols[j].rules(d).size() && found == SIZE_MAX; ++s) {
            const CompiledRule* cs = cx.compiled(j, d, s);
            if ((j == i && s == r) || !cs || cs->has_named_ports || !contained(cx.program, *cr, *cs)) continue;
            // Two equal rules: only the later one is redundant.
            bool equal = contained(cx.program, *cs, *cr) && is_subset(cx.targets[j], cx.targets[i]);
            if (equal && std::pair(j, s) > std::pair(i, r)) continue;
            found = s;
          }
          if (found == SIZE_MAX) continue;
          const Rule& other = pols[j].rules(d)[found];
          cx.add("NP016", pols[i].rules(d)[r].loc, rule_field(d, r),
                 "allows nothing that " + rule_label(pols[j], d, found) + " (" + other.loc.file + ":" +
                     std::to_string(other.loc.line) + ") does not already allow to the same pods, in this snapshot",
                 "drop this rule, or narrow the other one if it allows too much");
          break;
        }
      }
}

}  // namespace netpolc::review
