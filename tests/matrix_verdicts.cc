#include "tests/matrix_verdicts.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "review/matrix.h"

namespace netpolc::test {

std::vector<bool> matrix_verdicts(const Scenario& s) {
  if (s.dns_carve_out) return {};
  review::MatrixOptions opt;
  opt.group = false;
  for (const auto& e : s.expectations) {
    opt.probes.push_back({e.protocol, e.protocol == L4::ICMP ? uint16_t(0) : e.port, false});
    for (const auto& who : {e.from, e.to})
      if (auto ip = parse_ip(who); ip && std::find(opt.externals.begin(), opt.externals.end(), *ip) == opt.externals.end())
        opt.externals.push_back(*ip);
  }
  review::Matrix m = review::build_matrix(s.cluster, s.policies, opt);
  auto index_of = [&](const std::string& who) {
    auto it = std::find_if(m.endpoints.begin(), m.endpoints.end(), [&](const review::Endpoint& e) { return e.name == who; });
    REQUIRE_MESSAGE(it != m.endpoints.end(), "the matrix has no row " << who);
    return size_t(it - m.endpoints.begin());
  };
  std::vector<bool> out;
  for (const auto& e : s.expectations) {
    review::Probe probe{e.protocol, e.protocol == L4::ICMP ? uint16_t(0) : e.port, false};
    size_t p = size_t(std::find(m.table.probes.begin(), m.table.probes.end(), probe) - m.table.probes.begin());
    REQUIRE(p < m.table.probes.size());
    review::Reach r = m.table.at(p, index_of(e.from), index_of(e.to));
    bool v4 = e.family == Family::V4;
    out.push_back(r == review::Reach::Allow || (r == review::Reach::V4Only && v4) || (r == review::Reach::V6Only && !v4));
  }
  return out;
}

void check_matrix_groups(const Scenario& s) {
  review::MatrixOptions opt;  // every declared port, grouped
  review::Matrix m = review::build_matrix(s.cluster, s.policies, opt);
  std::vector<size_t> group_of(m.endpoints.size());
  for (size_t g = 0; g < m.groups.size(); ++g)
    for (size_t i : m.groups[g].members) group_of[i] = g;
  for (size_t p = 0; p < m.table.probes.size(); ++p)
    for (size_t i = 0; i < m.endpoints.size(); ++i)
      for (size_t j = 0; j < m.endpoints.size(); ++j) {
        if (i == j) continue;
        const auto& a = m.groups[group_of[i]].members;
        const auto& b = m.groups[group_of[j]].members;
        CHECK_MESSAGE(m.table.at(p, i, j) == review::block_value(m.table, p, a, b),
                      s.name << ": " << m.endpoints[i].name << " -> " << m.endpoints[j].name << " "
                             << m.table.probes[p].label() << " differs from its groups' cell");
      }
}

}  // namespace netpolc::test
