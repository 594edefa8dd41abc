#include "compiler/labels.h"
#include <algorithm>
namespace netpolc {
bool selector_matches(const LabelSelector& sel, const Labels& labels) {
  for (auto& [k, v] : sel.match_labels) { auto it = labels.find(k); if (it == labels.end() || it->second != v) return false; }
  for (auto& r : sel.match_expressions) {
    auto it = labels.find(r.key); bool has = it != labels.end();
    bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    switch (r.op) {
      case LabelRequirement::Op::In: if (!in) return false; break;
      case LabelRequirement::Op::NotIn: if (in) return false; break;
      case LabelRequirement::Op::Exists: if (!has) return false; break;
      case LabelRequirement::Op::DoesNotExist: if (has) return false; break;
    }
  }
  return true;
}
}
