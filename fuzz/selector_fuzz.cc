// Label selectors: the input is the text of a podSelector (any YAML, put
// under spec.podSelector of a policy), read by the policy frontend. A selector
// it accepts is matched against pods labelled with every combination of its
// own keys and values (and others): the label index (PodIndex) must select
// exactly the pods that a plain reading of the API text selects.
#include <algorithm>
#include <set>

#include "compiler/labels.h"
#include "compiler/pod_index.h"
#include "compiler/policy_parser.h"
#include "fuzz/fuzz_check.h"

using namespace netpolc;

namespace {

std::string policy_around(const std::string& selector) {
  std::string out =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: f, namespace: x}\n"
      "spec:\n  podSelector:\n";
  std::string line;
  for (char c : selector + "\n") {
    if (c != '\n') {
      line += c;
      continue;
    }
    out += "    " + line + "\n";
    line.clear();
  }
  return out;
}

// The API text: "matchLabels ... equivalent to an element of matchExpressions,
// whose key field is key, the operator is In, and the values array contains
// only value. ... The requirements are ANDed."
bool plain_matches(const LabelSelector& sel, const Labels& labels) {
  auto value = [&](const std::string& key) -> const std::string* {
    auto it = labels.find(key);
    return it == labels.end() ? nullptr : &it->second;
  };
  for (const auto& [key, v] : sel.match_labels)
    if (!value(key) || *value(key) != v) return false;
  for (const LabelRequirement& r : sel.match_expressions) {
    const std::string* v = value(r.key);
    bool listed = false;
    for (const auto& candidate : r.values) listed = listed || (v && *v == candidate);
    bool ok = r.op == LabelRequirement::Op::In       ? listed
              : r.op == LabelRequirement::Op::NotIn  ? !listed
              : r.op == LabelRequirement::Op::Exists ? v != nullptr
                                                     : v == nullptr;
    if (!ok) return false;
  }
  return true;
}

// Pods in namespaces x and y whose labels take, for each key the selector
// names (at most 5), one of: absent, each value the selector names for it,
// or a value it never names.
Cluster cluster_for(const LabelSelector& sel) {
  std::map<std::string, std::set<std::string>> choices;
  for (const auto& [k, v] : sel.match_labels) choices[k].insert(v);
  for (const auto& r : sel.match_expressions) choices[r.key].insert(r.values.begin(), r.values.end());
  std::vector<std::pair<std::string, std::vector<std::string>>> keys;
  for (auto& [k, vs] : choices) {
    if (keys.size() == 5) break;
    std::vector<std::string> options(vs.begin(), vs.end());
    if (options.size() > 2) options.resize(2);
    options.push_back("zz-other");
    keys.emplace_back(k, options);
  }
  Cluster c;
  c.namespaces = {{"x", {{"kubernetes.io/metadata.name", "x"}}, {}},
                  {"y", {{"kubernetes.io/metadata.name", "y"}}, {}}};
  size_t combos = 1;
  for (const auto& k : keys) combos *= k.second.size() + 1;
  for (const char* ns : {"x", "y"}) {
    for (size_t i = 0; i < combos; ++i) {
      Pod p;
      p.ns = ns;
      p.name = "p" + std::to_string(i);
      for (size_t j = 0, rest = i; j < keys.size(); ++j) {
        size_t pick = rest % (keys[j].second.size() + 1);
        rest /= keys[j].second.size() + 1;
        if (pick > 0) p.labels[keys[j].first] = keys[j].second[pick - 1];
      }
      c.pods.push_back(std::move(p));
    }
  }
  std::sort(c.pods.begin(), c.pods.end(),
            [](const Pod& a, const Pod& b) { return std::tie(a.ns, a.name) < std::tie(b.ns, b.name); });
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputFile in{"fuzz.yaml", policy_around(fuzz::as_text(data, size))};
  Diagnostics diags;
  PolicySet set = parse_policies({in}, diags);
  fuzz::check_diagnostics(diags, in.name, in.text);
  if (set.policies.size() != 1) return 0;
  const LabelSelector& sel = set.policies[0].pod_selector;
  for (const auto& [k, v] : sel.match_labels) FUZZ_CHECK(!check_label_key(k) && !check_label_value(v));
  for (const auto& r : sel.match_expressions) {
    FUZZ_CHECK(!check_label_key(r.key));
    bool set_op = r.op == LabelRequirement::Op::In || r.op == LabelRequirement::Op::NotIn;
    FUZZ_CHECK(set_op == !r.values.empty());
  }

  Cluster cluster = cluster_for(sel);
  PodIndex index(cluster);
  std::vector<size_t> expected;
  for (size_t i = 0; i < cluster.pods.size(); ++i) {
    bool plain = plain_matches(sel, cluster.pods[i].labels);
    FUZZ_CHECK(selector_matches(sel, cluster.pods[i].labels) == plain);
    if (plain && cluster.pods[i].ns == "x") expected.push_back(i);
  }
  FUZZ_CHECK(index.select_pods("x", sel) == expected);
  return 0;
}
