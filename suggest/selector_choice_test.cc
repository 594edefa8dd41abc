#include "suggest/selector_choice.h"

#include <doctest/doctest.h>

using namespace netpolc;
using namespace netpolc::suggest;

namespace {

Pod pod(const std::string& ns, const std::string& name, Labels labels, bool enforced = true) {
  Pod p;
  p.ns = ns;
  p.name = name;
  p.labels = std::move(labels);
  if (enforced) p.ips.push_back(*parse_ip("10.244.0." + std::to_string(name.size())));
  return p;
}

}  // namespace

TEST_CASE("selector choice: controller labels are never used") {
  CHECK(is_unstable_label("pod-template-hash"));
  CHECK(is_unstable_label("statefulset.kubernetes.io/pod-name"));
  CHECK(is_unstable_label("batch.kubernetes.io/job-name"));
  CHECK_FALSE(is_unstable_label("app"));
  Cluster c;
  c.pods = {pod("x", "web-1", {{"pod-template-hash", "1"}, {"tier", "web"}}),
            pod("x", "web-2", {{"pod-template-hash", "2"}, {"tier", "web"}})};
  // Only the pod-template-hash tells web-1 from web-2: no selector can.
  SelectorChoice one = choose_selector(c, "x", {0});
  CHECK(one.match_labels == Labels{{"tier", "web"}});
  CHECK_FALSE(one.exact);
  CHECK(one.selected == std::vector<size_t>{0, 1});
}

TEST_CASE("selector choice: the fewest labels that select exactly, application keys first") {
  Cluster c;
  c.pods = {pod("x", "a", {{"app", "shop"}, {"app.kubernetes.io/name", "shop"}, {"tier", "web"}}),
            pod("x", "b", {{"app", "shop"}, {"app.kubernetes.io/name", "shop"}, {"tier", "db"}}),
            pod("x", "c", {{"app", "other"}, {"tier", "web"}}),
            pod("y", "d", {{"app", "shop"}, {"tier", "web"}})};
  SelectorChoice both = choose_selector(c, "x", {0, 1});
  CHECK(both.match_labels == Labels{{"app.kubernetes.io/name", "shop"}});
  CHECK(both.exact);
  SelectorChoice a = choose_selector(c, "x", {0});
  CHECK(a.match_labels == Labels{{"app.kubernetes.io/name", "shop"}, {"tier", "web"}});
  CHECK(a.exact);
  // Never the empty selector while there is a label to use, even when it would be exact.
  SelectorChoice d = choose_selector(c, "y", {3});
  CHECK(d.match_labels == Labels{{"app", "shop"}});
}

TEST_CASE("selector choice: the closest takes the fewest pods to avoid, then the fewest others") {
  Cluster c;
  c.pods = {pod("x", "a", {{"app", "a"}, {"team", "t"}}), pod("x", "b", {{"app", "a"}, {"team", "t"}, {"canary", "1"}}),
            pod("x", "c", {{"app", "a"}, {"team", "u"}, {"extra", "1"}}), pod("x", "d", {{"team", "t"}})};
  SelectorChoice s = choose_selector(c, "x", {0});
  CHECK(s.match_labels == Labels{{"app", "a"}, {"team", "t"}});  // b cannot be left out
  CHECK(s.selected == std::vector<size_t>{0, 1});
  CHECK_FALSE(s.exact);
  // Pods without an address are not enforced and do not count.
  c.pods[1].ips.clear();
  CHECK(choose_selector(c, "x", {0}).exact);
}
