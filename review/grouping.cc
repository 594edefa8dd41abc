#include "review/grouping.h"

#include <algorithm>
#include <map>

namespace netpolc::review {

ReachTable reach_table(const Evaluator& ev, const std::vector<Endpoint>& endpoints, const std::vector<Probe>& probes,
                       Families families) {
  ReachTable t;
  t.size = endpoints.size();
  t.probes = probes;
  t.cells.resize(probes.size() * t.size * t.size);
  for (size_t p = 0; p < probes.size(); ++p)
    for (size_t i = 0; i < t.size; ++i)
      for (size_t j = 0; j < t.size; ++j)
        t.cells[(p * t.size + i) * t.size + j] = reach(ev, endpoints[i], endpoints[j], probes[p], families);
  return t;
}

namespace {

bool twins(const ReachTable& t, size_t a, size_t b) {
  for (size_t p = 0; p < t.probes.size(); ++p) {
    if (t.at(p, a, b) != t.at(p, b, a)) return false;
    for (size_t r = 0; r < t.size; ++r) {
      if (r == a || r == b) continue;
      if (t.at(p, a, r) != t.at(p, b, r) || t.at(p, r, a) != t.at(p, r, b)) return false;
    }
  }
  return true;
}

// What twins share: their kind and, per probe, how many cells of their row and
// of their column allow (a twin's loopback stands where the other's cell to
// its twin is, and those two are equal).
std::vector<size_t> fingerprint(const ReachTable& t, const std::vector<int>& kinds, size_t a) {
  std::vector<size_t> f = {size_t(kinds[a])};
  for (size_t p = 0; p < t.probes.size(); ++p) {
    size_t row[5] = {}, col[5] = {};
    for (size_t r = 0; r < t.size; ++r) {
      ++row[size_t(t.at(p, a, r))];
      ++col[size_t(t.at(p, r, a))];
    }
    f.insert(f.end(), row, row + 5);
    f.insert(f.end(), col, col + 5);
  }
  return f;
}

}  // namespace

std::vector<std::vector<size_t>> twin_classes(const ReachTable& t, const std::vector<int>& kinds) {
  // Candidates share a fingerprint; within one, each endpoint joins the first
  // class whose first member is its twin (twins are transitive).
  std::map<std::vector<size_t>, std::vector<size_t>> buckets;  // fingerprint -> class indexes
  std::vector<std::vector<size_t>> classes;
  for (size_t a = 0; a < t.size; ++a) {
    auto& bucket = buckets[fingerprint(t, kinds, a)];
    auto it = std::find_if(bucket.begin(), bucket.end(), [&](size_t c) { return twins(t, classes[c][0], a); });
    if (it != bucket.end()) {
      classes[*it].push_back(a);
    } else {
      bucket.push_back(classes.size());
      classes.push_back({a});
    }
  }
  return classes;  // created in order of first member, members ascending
}

Reach block_value(const ReachTable& t, size_t probe, const std::vector<size_t>& from, const std::vector<size_t>& to) {
  size_t j = (&from == &to || from == to) && to.size() > 1 ? to[1] : to[0];
  return t.at(probe, from[0], j);
}

}  // namespace netpolc::review
