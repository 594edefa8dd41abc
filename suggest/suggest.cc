#include "suggest/suggest.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "compiler/evaluator.h"
#include "compiler/labels.h"
#include "suggest/rules.h"
#include "suggest/selector_choice.h"

namespace netpolc::suggest {

namespace {

std::string pod_name(const Cluster& c, size_t pod) { return c.pods[pod].ns + "/" + c.pods[pod].name; }

std::string flow_text(const Cluster& c, const Evaluator& ev, const ObservedFlow& f) {
  auto end = [&](const IpAddr& ip) {
    long p = ev.pod_by_ip(ip);
    return p >= 0 ? pod_name(c, size_t(p)) : format_ip(ip);
  };
  std::string port = f.protocol == L4::ICMP ? (f.src.ip.family == Family::V4 ? "ICMP" : "ICMPv6")
                                            : std::to_string(f.port) + "/" + l4_name(f.protocol);
  return end(f.src.ip) + " -> " + end(f.dst.ip) + " " + port;
}

// Whether any policy isolates the pod for that direction.
bool isolated(const PolicySet& ps, const Pod& pod, Direction d) {
  for (const auto& p : ps.policies)
    if (p.ns == pod.ns && p.isolates(d) && selector_matches(p.pod_selector, pod.labels)) return true;
  return false;
}

struct WorkloadKey {
  std::string ns;
  Direction direction;
  Labels stable;
  friend auto operator<=>(const WorkloadKey&, const WorkloadKey&) = default;
};

// The hint observe gave against what the snapshot says.
void check_hint(const std::string& hint, long pod, const IpAddr& ip, const Cluster& c, const ObservedFlow& f,
                Diagnostics& diags) {
  std::string actual = pod >= 0 ? pod_name(c, size_t(pod)) : "";
  if (hint.empty() || hint == actual) return;
  diags.warning(f.loc, "", "observe named " + hint + " at " + format_ip(ip) + ", but the snapshot has " +
                               (actual.empty() ? "no enforced pod there" : actual) + "; the snapshot is used");
}

// The entry for one flow, or nullopt when it is skipped (and reported).
std::optional<Entry> resolve_flow(const Cluster& c, const PolicySet& ps, const Evaluator& ev, const ObservedFlows& flows,
                                  size_t index, const SuggestOptions& opt, Diagnostics& diags) {
  const ObservedFlow& f = flows.flows[index];
  const Direction d = f.denied_by;
  const FlowEnd& iso_end = d == Direction::Egress ? f.src : f.dst;
  const FlowEnd& peer_end = d == Direction::Egress ? f.dst : f.src;
  long iso = ev.pod_by_ip(iso_end.ip), peer = ev.pod_by_ip(peer_end.ip);
  std::string what = flow_text(c, ev, f) + " (denied by " + direction_name(d) + ")";
  if (iso < 0) {
    std::string pod = f.pod.empty() ? format_ip(iso_end.ip) : f.pod + " (" + format_ip(iso_end.ip) + ")";
    diags.warning(f.loc, "", what + ": the isolated pod " + pod + " is not an enforced pod of the snapshot; skipped");
    return std::nullopt;
  }
  check_hint(f.pod, iso, iso_end.ip, c, f, diags);
  check_hint(peer_end.pod, peer, peer_end.ip, c, f, diags);
  if (f.protocol == L4::ICMP && !opt.allow_icmp_as_all_ports) {
    diags.warning(f.loc, "", what + ": NetworkPolicy cannot allow ICMP alone (only a rule without ports, which "
                                    "allows every protocol and port); skipped (--allow-icmp-as-all-ports allows it so)");
    return std::nullopt;
  }
  Verdict v = ev.evaluate({f.src.ip, f.dst.ip, f.protocol, f.port});
  const SideVerdict& side = d == Direction::Egress ? v.egress : v.ingress;
  if (v.loopback) {
    diags.warning(f.loc, "", what + ": a pod talking to itself is never filtered; skipped");
    return std::nullopt;
  }
  if (!side.isolated()) {
    diags.warning(f.loc, "", what + ": " + pod_name(c, size_t(iso)) + " is not isolated for " + direction_name(d) +
                                 " by the policies given; nothing to allow, skipped");
    return std::nullopt;
  }
  if (side.allowed()) {
    const Policy& by = ps.policies[side.allowed_by->policy];
    diags.warning(f.loc, "", what + ": already allowed by " + by.ns + "/" + by.name + "; skipped");
    return std::nullopt;
  }
  Entry e;
  e.iso = size_t(iso);
  e.flow = index;
  e.target.pod = peer;
  e.target.ip = peer_end.ip;
  if (f.protocol == L4::ICMP) {
    e.port.all = true;
    diags.warning(f.loc, "", what + ": allowed by a rule without ports, which allows every protocol and port to "
                                    "that peer (--allow-icmp-as-all-ports)");
  } else {
    e.port = {false, f.protocol, f.port};
  }
  bool dns_port = !e.port.all && f.port == 53 && (f.protocol == L4::UDP || f.protocol == L4::TCP);
  bool dns_server = (peer >= 0 && is_kube_dns(c.pods[size_t(peer)])) ||
                    std::find(c.dns_servers.begin(), c.dns_servers.end(), peer_end.ip) != c.dns_servers.end();
  e.target.dns = d == Direction::Egress && dns_port && dns_server;
  return e;
}

std::string policy_list(const PolicySet& ps, const Cluster& c, const std::vector<size_t>& pods, Direction d) {
  std::set<std::string> names;
  for (size_t p : pods)
    for (const auto& pol : ps.policies)
      if (pol.ns == c.pods[p].ns && pol.isolates(d) && selector_matches(pol.pod_selector, c.pods[p].labels))
        names.insert(pol.ns + "/" + pol.name);
  return join({names.begin(), names.end()});
}

std::string pod_list(const Cluster& c, const std::vector<size_t>& pods) {
  std::vector<std::string> names;
  for (size_t p : pods) names.push_back(pod_name(c, p));
  return join(names);
}

// "{a, b}, {c, d}": the pod sets selectors take together.
std::string blur_list(const Cluster& c, const std::vector<std::vector<size_t>>& blurs) {
  std::string s;
  for (const auto& b : blurs) s += (s.empty() ? "{" : ", {") + pod_list(c, b) + "}";
  return s;
}

// The comment lines above a rule: the flows it allows and what it allows
// beyond them (also a warning).
std::vector<std::string> rule_notes(const Cluster& c, const Evaluator& ev, const ObservedFlows& flows,
                                    const std::vector<Entry>& entries, const Policy& pol, Direction d,
                                    const BuiltRule& r, Diagnostics& diags) {
  constexpr size_t kShown = 8;
  std::vector<std::string> notes;
  std::set<size_t> flow_ids;
  for (size_t e : r.entries) flow_ids.insert(entries[e].flow);
  for (size_t id : flow_ids) {
    if (notes.size() == kShown) {
      notes.push_back("... and " + std::to_string(flow_ids.size() - kShown) + " more observed flows");
      break;
    }
    notes.push_back("observed: " + flow_text(c, ev, flows.flows[id]) + " (count " +
                    std::to_string(flows.flows[id].count) + ")");
  }
  if (r.dns) notes.push_back("DNS pinned to kube-dns (or the snapshot's DNS servers) on 53/UDP and 53/TCP");
  if (!r.exact) {
    std::string msg = pol.ns + "/" + pol.name + " " + direction_name(d) + "[" + std::to_string(pol.rules(d).size()) +
                      "] also allows " + r.unobserved +
                      " that were not observed: no stable labels tell apart the pods of " + blur_list(c, r.blurs);
    diags.warning(flows.flows[*flow_ids.begin()].loc, "", msg);
    notes.push_back("WARNING: " + msg + ".");
  }
  return notes;
}

// The policy name: allow-observed-<workload>-<direction>, the workload named
// by its selector's values, preferred keys first; unique in its namespace.
std::string policy_name(const Labels& selector, Direction d, const std::string& ns,
                        const std::set<std::pair<std::string, std::string>>& taken) {
  std::vector<std::pair<size_t, std::string>> parts;
  for (const auto& [k, v] : selector) parts.push_back({key_rank(k), v});
  std::sort(parts.begin(), parts.end());
  std::string workload;
  for (const auto& [rank, v] : parts) workload += (workload.empty() ? "" : "-") + v;
  std::string clean;
  for (char ch : workload) {
    char l = char(std::tolower(static_cast<unsigned char>(ch)));
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok) clean += l;
    else if (!clean.empty() && clean.back() != '-') clean += '-';
  }
  while (!clean.empty() && clean.back() == '-') clean.pop_back();
  if (clean.size() > 200) clean.resize(200);
  if (clean.empty()) clean = "all-pods";
  std::string base = "allow-observed-" + clean + "-" + direction_name(d);
  std::string name = base;
  for (int i = 2; taken.count({ns, name}); ++i) name = base + "-" + std::to_string(i);
  return name;
}

}  // namespace

Suggestion suggest_policies(const Cluster& c, const PolicySet& ps, const ObservedFlows& flows,
                            const SuggestOptions& opt, Diagnostics& diags) {
  Suggestion out;
  Evaluator ev(c, ps);
  std::map<WorkloadKey, std::vector<Entry>> workloads;
  for (size_t i = 0; i < flows.flows.size(); ++i) {
    auto e = resolve_flow(c, ps, ev, flows, i, opt, diags);
    if (!e) {
      ++out.skipped;
      continue;
    }
    ++out.used;
    const Pod& pod = c.pods[e->iso];
    workloads[{pod.ns, flows.flows[i].denied_by, stable_labels(pod.labels)}].push_back(*e);
  }

  std::set<std::pair<std::string, std::string>> taken;  // (namespace, name) of every policy
  for (const auto& p : ps.policies) taken.insert({p.ns, p.name});
  for (const auto& [key, entries] : workloads) {
    const Direction d = key.direction;
    const ObservedFlow& first = flows.flows[entries.front().flow];
    std::vector<size_t> wanted;
    for (const auto& e : entries) wanted.push_back(e.iso);
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    // Rather not take pods this policy would newly isolate.
    std::vector<bool> avoid(c.pods.size(), false);
    for (size_t i = 0; i < c.pods.size(); ++i) avoid[i] = c.pods[i].ns == key.ns && !isolated(ps, c.pods[i], d);
    SelectorChoice sel = choose_selector(c, key.ns, wanted, avoid);

    SuggestedPolicy sp;
    Policy& pol = sp.policy;
    pol.ns = key.ns;
    pol.name = policy_name(sel.match_labels, d, key.ns, taken);
    taken.insert({pol.ns, pol.name});
    pol.pod_selector.match_labels = sel.match_labels;
    pol.ingress = d == Direction::Ingress;
    pol.egress = d == Direction::Egress;
    pol.policy_types_listed = true;
    sp.notes.push_back(std::string(d == Direction::Egress ? "Egress of " : "Ingress to ") + pod_list(c, wanted) +
                       ", isolated by " + policy_list(ps, c, wanted, d) + ": " + std::to_string(entries.size()) +
                       (entries.size() == 1 ? " observed flow." : " observed flows."));
    if (!sel.exact) {
      std::vector<size_t> others, newly;
      for (size_t p : sel.selected)
        if (!std::binary_search(wanted.begin(), wanted.end(), p)) {
          others.push_back(p);
          if (avoid[p]) newly.push_back(p);
        }
      std::string msg = "the podSelector of " + pol.ns + "/" + pol.name + " also selects " + pod_list(c, others) +
                        ", not seen in these flows: no stable labels tell them apart";
      diags.warning(first.loc, "", msg);
      sp.notes.push_back("WARNING: " + msg + ".");
      if (!newly.empty()) {
        std::string m2 = pol.ns + "/" + pol.name + " newly isolates " + pod_list(c, newly) + " for " +
                         direction_name(d) + ": what it does not allow for them becomes denied";
        diags.warning(first.loc, "", m2);
        sp.notes.push_back("WARNING: " + m2 + ".");
      }
    }

    for (auto& r : build_rules(c, key.ns, d, sel.selected, entries)) {
      sp.rule_notes.push_back(rule_notes(c, ev, flows, entries, pol, d, r, diags));
      for (auto& b : r.blurs) out.blurs.push_back(std::move(b));
      (d == Direction::Egress ? pol.egress_rules : pol.ingress_rules).push_back(std::move(r.rule));
    }
    out.policies.push_back(std::move(sp));
  }
  std::sort(out.policies.begin(), out.policies.end(), [](const SuggestedPolicy& a, const SuggestedPolicy& b) {
    return std::tie(a.policy.ns, a.policy.name) < std::tie(b.policy.ns, b.policy.name);
  });
  std::sort(out.blurs.begin(), out.blurs.end());
  out.blurs.erase(std::unique(out.blurs.begin(), out.blurs.end()), out.blurs.end());
  return out;
}

PolicySet with_suggested(const PolicySet& in_force, const PolicySet& suggested) {
  PolicySet after = in_force;
  after.policies.insert(after.policies.end(), suggested.policies.begin(), suggested.policies.end());
  std::sort(after.policies.begin(), after.policies.end(),
            [](const Policy& a, const Policy& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
  return after;
}

}  // namespace netpolc::suggest
