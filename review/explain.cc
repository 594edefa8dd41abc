#include "review/explain.h"

#include <cassert>

#include "backends/nft_text.h"
#include "compiler/program_eval.h"

namespace netpolc::review {

std::string loc_text(const SourceLoc& loc) {
  if (loc.line <= 0) return loc.file;
  return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

namespace {

// The reference evaluator's view of one side, policy by policy and rule by rule.
void describe_side(const Evaluator& ev, const PolicySet& policies, const SideVerdict& sv, Direction d,
                   const Flow& flow, ExplainSide& side) {
  side.direction = d;
  side.allowed = sv.allowed();
  for (size_t i : sv.isolating) {
    const Policy& p = policies.policies[i];
    ExplainPolicy ep{p.ns + "/" + p.name, p.pod_selector.loc, {}};
    for (size_t r = 0; r < p.rules(d).size(); ++r) {
      RuleRef ref{i, d, r};
      ep.rules.push_back({rule_label(p, d, r), p.rules(d)[r].loc, ev.match_rule(ref, flow)});
    }
    side.isolating.push_back(std::move(ep));
  }
  if (sv.allowed_by) {
    const Policy& p = policies.policies[sv.allowed_by->policy];
    side.allowed_by = rule_label(p, d, sv.allowed_by->rule);
    side.allowed_by_loc = p.rules(d)[sv.allowed_by->rule].loc;
  }
}

// The resolved program's view: which chain, which rule.
void describe_compiled(const Program& prog, Direction d, const Flow& flow, ExplainSide& side) {
  const auto& table = d == Direction::Egress ? prog.egress : prog.ingress;
  const Dispatch* dispatch = find_dispatch(table, d == Direction::Egress ? flow.src : flow.dst);
  if (!dispatch) return;
  const PodChain& chain = prog.chains[dispatch->chain];
  side.chain = chain.name;
  auto rule = first_allowing_rule(prog, chain, flow);
  side.compiled_allows = rule.has_value();
  side.compiled_rule = rule ? prog.rules[chain.rules[*rule].rule].origin.label() : chain_drop_comment(chain);
}

std::string match_text(const RuleMatch& m) {
  if (m.allows()) return "peer and port match: allows";
  if (m.peer) return "peer matches, port does not";
  if (m.port) return "port matches, peer does not";
  return "neither peer nor port matches";
}

std::string side_text(const ExplainSide& s) {
  std::string who = std::string(direction_name(s.direction)) + " of " + s.subject;
  std::string out;
  if (!s.pod) {
    out = who + ": not a pod, no policy applies: passes\n";
  } else if (s.isolating.empty()) {
    out = who + ": not isolated (no policy selects it for " + direction_name(s.direction) + "): passes\n";
  } else {
    out = who + ": isolated by " + plural(s.isolating.size(), "policy", "policies") + "; ";
    out += s.allowed_by ? "allowed by " + *s.allowed_by + " (" + loc_text(s.allowed_by_loc) + ")\n"
                        : "no " + std::string(direction_name(s.direction)) + " rule allows it: denied\n";
    for (const auto& p : s.isolating) {
      out += "  " + p.name + "  " + loc_text(p.loc) + "\n";
      if (p.rules.empty()) out += "    no " + std::string(direction_name(s.direction)) + " rules: allows nothing\n";
      for (const auto& r : p.rules) out += "    " + r.label + "  " + loc_text(r.loc) + "  " + match_text(r.match) + "\n";
    }
  }
  if (s.chain.empty())
    out += "  nft: no entry in the " + std::string(direction_name(s.direction)) + " map, so no chain: passes\n";
  else if (s.compiled_allows)
    out += "  nft: chain " + s.chain + ", rule comment \"" + s.compiled_rule + "\": return (passes)\n";
  else
    out += "  nft: chain " + s.chain + ", no rule matches: drop comment \"" + s.compiled_rule + "\"\n";
  return out;
}

Json side_json(const ExplainSide& s) {
  Json j = Json::object();
  j.set("subject", s.subject);
  j.set("pod", s.pod);
  j.set("isolated", !s.isolating.empty());
  j.set("allowed", s.allowed);
  Json& pols = j.set("policies", Json::array());
  for (const auto& p : s.isolating) {
    Json& jp = pols.push(Json::object());
    jp.set("name", p.name);
    jp.set("location", loc_text(p.loc));
    Json& rules = jp.set("rules", Json::array());
    for (const auto& r : p.rules) {
      Json& jr = rules.push(Json::object());
      jr.set("rule", r.label);
      jr.set("location", loc_text(r.loc));
      jr.set("peer_matches", r.match.peer);
      jr.set("port_matches", r.match.port);
    }
  }
  j.set("allowed_by", s.allowed_by ? Json(*s.allowed_by) : Json());
  Json& c = j.set("compiled", Json::object());
  c.set("chain", s.chain.empty() ? Json() : Json(s.chain));
  c.set("comment", s.chain.empty() ? Json() : Json(s.compiled_rule));
  c.set("verdict", s.chain.empty() ? "no chain" : s.compiled_allows ? "return" : "drop");
  return j;
}

}  // namespace

Explanation explain(const Cluster& cluster, const PolicySet& policies, const Program& program,
                    const Endpoint& from, const Endpoint& to, const Probe& probe, Family family) {
  Explanation e;
  e.from = from.name;
  e.to = to.name;
  e.port = probe.label();
  auto flow = flow_of(from, to, probe, family);
  assert(flow);
  e.flow = *flow;
  Evaluator ev(cluster, policies);
  Verdict v = ev.evaluate(e.flow);
  e.loopback = v.loopback;
  e.allowed = v.allowed;
  e.egress.subject = from.pod >= 0 ? from.name : format_ip(e.flow.src);
  e.egress.pod = from.pod >= 0;
  e.ingress.subject = to.pod >= 0 ? to.name : format_ip(e.flow.dst);
  e.ingress.pod = to.pod >= 0;
  if (v.loopback) {
    e.compiled_allows = true;
    return e;
  }
  describe_side(ev, policies, v.egress, Direction::Egress, e.flow, e.egress);
  describe_side(ev, policies, v.ingress, Direction::Ingress, e.flow, e.ingress);
  describe_compiled(program, Direction::Egress, e.flow, e.egress);
  describe_compiled(program, Direction::Ingress, e.flow, e.ingress);
  e.compiled_allows = program_allows(program, e.flow);
  return e;
}

std::string explain_text(const Explanation& e) {
  std::string head = e.from;
  if (e.from != format_ip(e.flow.src)) head += " (" + format_ip(e.flow.src) + ")";
  head += " -> " + e.to;
  if (e.to != format_ip(e.flow.dst)) head += " (" + format_ip(e.flow.dst) + ")";
  head += ", " + e.port + ": ";
  if (e.loopback) return head + "allowed: a pod talking to itself never leaves it; no policy and no rule apply\n";
  std::string verdict = e.allowed ? "allowed" : "denied";
  if (!e.allowed) {
    std::vector<std::string> by;
    if (!e.egress.allowed) by.push_back("the egress of " + e.egress.subject);
    if (!e.ingress.allowed) by.push_back("the ingress of " + e.ingress.subject);
    verdict += " by " + by[0] + (by.size() > 1 ? " and " + by[1] : "");
  }
  std::string out = head + verdict + "\n\n" + side_text(e.egress) + "\n" + side_text(e.ingress);
  if (e.compiled_allows != e.allowed)
    out += "\nINTERNAL ERROR: the compiled rules " + std::string(e.compiled_allows ? "allow" : "deny") +
           " this flow; the reference evaluator disagrees (please report)\n";
  return out;
}

Json explain_json(const Explanation& e) {
  Json j = Json::object();
  j.set("from", e.from);
  j.set("to", e.to);
  j.set("source_address", format_ip(e.flow.src));
  j.set("destination_address", format_ip(e.flow.dst));
  j.set("port", e.port);
  j.set("allowed", e.allowed);
  j.set("loopback", e.loopback);
  if (!e.loopback) {
    j.set("egress", side_json(e.egress));
    j.set("ingress", side_json(e.ingress));
  }
  j.set("compiled_agrees", e.compiled_allows == e.allowed);
  return j;
}

}  // namespace netpolc::review
