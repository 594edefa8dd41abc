#include "suggest/suggestion_yaml.h"

#include "compiler/yaml_util.h"

namespace netpolc::suggest {

namespace {

// A string as a YAML scalar: plain when YAML reads it back as that string,
// else double-quoted.
std::string scalar(const std::string& s) {
  bool plain = !s.empty() && !plain_scalar_type(s) && s.find_first_of(":#\"'\\{}[],&*!|>%@`") == std::string::npos &&
               s.front() != '-' && s.front() != '?' && s.front() != ' ' && s.back() != ' ';
  if (plain) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void comments(std::string& out, const std::string& indent, const std::vector<std::string>& lines) {
  for (const auto& l : lines) out += indent + "# " + l + "\n";
}

// `key:` after `prefix`, and the selector below it, indented from `indent`.
void selector(std::string& out, const std::string& prefix, const std::string& indent, const std::string& key,
              const LabelSelector& s) {
  if (s.match_labels.empty()) {
    out += prefix + key + ": {}\n";
    return;
  }
  out += prefix + key + ":\n" + indent + "  matchLabels:\n";
  for (const auto& [k, v] : s.match_labels) out += indent + "    " + scalar(k) + ": " + scalar(v) + "\n";
}

void rule(std::string& out, Direction d, const Rule& r, const std::vector<std::string>& notes) {
  comments(out, "    ", notes);
  const char* peers_key = d == Direction::Egress ? "to" : "from";
  out += std::string("    - ") + peers_key + ":\n";
  for (const Peer& p : r.peers) {
    std::string lead = "        - ", indent = "          ";
    if (p.ip_block) {
      out += lead + "ipBlock:\n            cidr: " + scalar(format_cidr(p.ip_block->cidr)) + "\n";
      continue;
    }
    if (p.namespace_selector) {
      selector(out, lead, indent, "namespaceSelector", *p.namespace_selector);
      lead = indent;
    }
    if (p.pod_selector) selector(out, lead, indent, "podSelector", *p.pod_selector);
  }
  if (r.ports.empty()) return;
  out += "      ports:\n";
  for (const PortSpec& ps : r.ports) {
    out += std::string("        - protocol: ") + protocol_name(ps.protocol) + "\n";
    out += "          port: " + (ps.name.empty() ? std::to_string(*ps.port) : scalar(ps.name)) + "\n";
  }
}

}  // namespace

std::string suggestion_yaml(const Suggestion& s, const std::vector<std::string>& header) {
  std::string out;
  comments(out, "", header);
  for (const SuggestedPolicy& sp : s.policies) {
    const Policy& p = sp.policy;
    out += "---\n";
    comments(out, "", sp.notes);
    out += "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n";
    out += "  name: " + scalar(p.name) + "\n  namespace: " + scalar(p.ns) + "\nspec:\n";
    selector(out, "  ", "  ", "podSelector", p.pod_selector);
    Direction d = p.egress ? Direction::Egress : Direction::Ingress;
    out += std::string("  policyTypes:\n    - ") + (p.egress ? "Egress" : "Ingress") + "\n";
    out += std::string("  ") + direction_name(d) + ":\n";
    const auto& rules = p.rules(d);
    for (size_t i = 0; i < rules.size(); ++i) rule(out, d, rules[i], i < sp.rule_notes.size() ? sp.rule_notes[i] : std::vector<std::string>{});
  }
  return out;
}

}  // namespace netpolc::suggest
