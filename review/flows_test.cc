#include "review/flows.h"

#include <doctest/doctest.h>

using namespace netpolc;
using namespace netpolc::review;

TEST_CASE("probes parse as PORT/PROTOCOL, a bare port as TCP, and ICMP") {
  CHECK(parse_probe("80/TCP")->label() == "80/TCP");
  CHECK(parse_probe("53/udp")->label() == "53/UDP");
  CHECK(parse_probe("8080")->label() == "8080/TCP");
  CHECK(parse_probe("icmp")->label() == "ICMP");
  CHECK_FALSE(parse_probe("0/TCP"));
  CHECK_FALSE(parse_probe("65536/TCP"));
  CHECK_FALSE(parse_probe("80/HTTP"));
  CHECK_FALSE(parse_probe("http"));
}

TEST_CASE("probes sort by port, then protocol, the other ports last") {
  std::vector<Probe> p = {*parse_probe("80/TCP"), *parse_probe("53/UDP"), {L4::TCP, 65535, true},
                          *parse_probe("53/TCP"), *parse_probe("80/TCP")};
  sort_probes(p);
  std::vector<std::string> labels;
  for (const auto& x : p) labels.push_back(x.label());
  CHECK(labels == std::vector<std::string>{"53/TCP", "53/UDP", "80/TCP", "TCP (other ports)"});
}

TEST_CASE("pod names that differ only in a final number fold into ranges") {
  CHECK(fold_names({"api-10", "api-2", "api-0", "api-1", "db"}) == std::vector<std::string>{"api-{0..2,10}", "db"});
  CHECK(fold_names({"web"}) == std::vector<std::string>{"web"});
  CHECK(fold_names({"a", "b"}) == std::vector<std::string>{"a", "b"});
  // A leading zero is not a number of a series: web-01 and web-1 stay apart.
  CHECK(fold_names({"web-01", "web-1"}) == std::vector<std::string>{"web-1", "web-01"});
}
