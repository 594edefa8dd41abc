// Names for what the review commands print: folded pod names, groups, rules.
#include <algorithm>
#include <cctype>

#include "compiler/program.h"
#include "review/flows.h"

namespace netpolc::review {

std::string rule_label(const Policy& p, Direction d, size_t rule) {
  return RuleOrigin{p.ns, p.name, d, rule, {}}.label();
}

std::string ip_block_text(const IpBlock& b) {
  std::string s = format_cidr(b.cidr);
  for (size_t i = 0; i < b.except.size(); ++i) s += (i ? ", " : " except ") + format_cidr(b.except[i]);
  return s;
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::vector<std::string> fold_names(std::vector<std::string> names) {
  // A name is a stem and a number ("api-12" = "api-" 12), or a stem alone.
  auto split = [](const std::string& n) {
    size_t i = n.size();
    while (i > 0 && std::isdigit(static_cast<unsigned char>(n[i - 1]))) --i;
    bool numbered = i < n.size() && n.size() - i <= 9 && (n[i] != '0' || i + 1 == n.size());
    return numbered ? std::pair<std::string, long>{n.substr(0, i), std::stol(n.substr(i))}
                    : std::pair<std::string, long>{n, -1};
  };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    return split(a) < split(b);
  });
  std::vector<std::string> out;
  for (size_t i = 0; i < names.size();) {
    auto [stem, n] = split(names[i]);
    size_t j = i + 1;
    while (n >= 0 && j < names.size() && split(names[j]).first == stem && split(names[j]).second >= 0) ++j;
    if (j - i < 2) {
      out.push_back(names[i++]);
      continue;
    }
    std::string list;
    for (size_t k = i; k < j;) {  // runs of consecutive numbers as a..b
      long lo = split(names[k]).second, hi = lo;
      size_t e = k + 1;
      while (e < j && split(names[e]).second == hi + 1) hi = split(names[e++]).second;
      list += (list.empty() ? "" : ",") + std::to_string(lo) + (hi > lo ? ".." + std::to_string(hi) : "");
      k = e;
    }
    out.push_back(stem + "{" + list + "}");
    i = j;
  }
  return out;
}

std::string group_label(const Cluster& cluster, const std::vector<Endpoint>& endpoints,
                        const std::vector<size_t>& members, size_t max_names) {
  // Pods by namespace, in the order the members come; other endpoints by name.
  std::vector<std::pair<std::string, std::vector<std::string>>> by_ns;
  std::vector<std::string> parts;
  for (size_t m : members) {
    const Endpoint& e = endpoints[m];
    if (e.pod < 0) {
      parts.push_back(e.name);
      continue;
    }
    const Pod& p = cluster.pods[size_t(e.pod)];
    auto it = std::find_if(by_ns.begin(), by_ns.end(), [&](const auto& g) { return g.first == p.ns; });
    if (it == by_ns.end()) {
      by_ns.push_back({p.ns, {}});
      it = std::prev(by_ns.end());
    }
    it->second.push_back(p.name);
  }
  auto join = [&](const std::vector<std::string>& items, const char* sep) {
    size_t shown = max_names && items.size() > max_names ? max_names : items.size();
    std::string s;
    for (size_t i = 0; i < shown; ++i) s += (i ? sep : "") + items[i];
    if (shown < items.size()) s += sep + std::string("+") + std::to_string(items.size() - shown) + " more";
    return s;
  };
  std::vector<std::string> out;
  for (const auto& [ns, names] : by_ns) {
    size_t in_ns = size_t(std::count_if(cluster.pods.begin(), cluster.pods.end(),
                                        [&ns = ns](const Pod& p) { return p.ns == ns && p.enforced(); }));
    std::vector<std::string> folded = fold_names(names);
    if (names.size() > 1 && names.size() == in_ns) out.push_back(ns + "/*");
    else if (folded.size() == 1) out.push_back(ns + "/" + folded[0]);
    else out.push_back(ns + "/{" + join(folded, ",") + "}");
  }
  for (auto& p : parts) out.push_back(p);
  return join(out, ", ");
}

}  // namespace netpolc::review
