// From nflog reports to the ObservedFlows contract: one entry per flow and
// side, counted, named, sorted.
#include "observe/flows.h"

#include <doctest/doctest.h>

#include "observe/counters.h"

using namespace netpolc;
using namespace netpolc::observe;

namespace {

// An IPv4 TCP (or, with port 0, ICMP echo) packet between two addresses.
NflogPacket report(const std::string& prefix, const std::string& src, const std::string& dst, uint16_t port) {
  NflogPacket p;
  p.group = 100;
  p.prefix = prefix;
  IpAddr s = *parse_ip(src), d = *parse_ip(dst);
  p.payload = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, uint8_t(port ? 6 : 1), 0, 0};
  for (const IpAddr& a : {s, d})
    for (int shift = 24; shift >= 0; shift -= 8) p.payload.push_back(uint8_t(a.value >> shift));
  if (port) p.payload.insert(p.payload.end(), {0x9c, 0x40, uint8_t(port >> 8), uint8_t(port), 0, 0, 0, 0});
  else p.payload.insert(p.payload.end(), {8, 0, 0, 0, 0, 1, 0, 1});
  return p;
}

TableReports table() {
  TableReports t;
  t.logs = true;
  t.audit = true;
  t.pods[*parse_ip("10.244.1.11")] = "default/foo";
  t.pods[*parse_ip("10.244.1.10")] = "default/web";
  t.chain_policies["eg/default/aaaa"] = {"default/foo-egress"};
  t.chain_policies["in/default/bbbb"] = {"default/web-a", "default/web-b"};
  return t;
}

}  // namespace

TEST_CASE("flows: each flow and side once, counted; foreign and unreadable reports left out") {
  Observations obs;
  CHECK(record(report("np A in/default/bbbb", "10.244.1.12", "10.244.1.10", 80), obs));
  CHECK(record(report("np A in/default/bbbb", "10.244.1.12", "10.244.1.10", 80), obs));
  CHECK(record(report("np A eg/default/aaaa", "10.244.1.11", "10.244.1.10", 80), obs));
  CHECK(record(report("np A in/default/bbbb", "10.244.1.11", "10.244.1.10", 80), obs));
  CHECK(record(report("np A eg/default/aaaa", "10.244.1.11", "203.0.113.5", 0), obs));
  CHECK(!record(report("iptables-drop", "10.244.1.11", "10.244.1.10", 80), obs));
  NflogPacket garbage = report("np A eg/default/aaaa", "10.244.1.11", "10.244.1.10", 80);
  garbage.payload.resize(21);
  CHECK(!record(garbage, obs));
  CHECK(obs.flows.size() == 4);
  CHECK(obs.foreign == 1);
  CHECK(obs.unreadable == 1);
  CHECK(obs.audit_reports == 5);

  std::map<IpAddr, std::string> snapshot = {{*parse_ip("10.244.1.12"), "default/test"}};
  auto flows = name_flows(obs, table(), snapshot);
  REQUIRE(flows.size() == 4);
  // Sorted by source, destination, protocol, port, then egress before ingress.
  CHECK(flows[0].key.denied_by == Direction::Egress);
  CHECK(flows[0].pod == "default/foo");
  CHECK(flows[1].key.denied_by == Direction::Ingress);
  CHECK(flows[1].pod == "default/web");
  CHECK(flows[1].policies == std::vector<std::string>{"default/web-a", "default/web-b"});
  CHECK(flows[2].key.protocol == L4::ICMP);
  CHECK(flows[2].dst_pod.empty());
  CHECK(flows[3].src_pod == "default/test");
  CHECK(flows[3].count == 2);
  CHECK(std::string(mode_name(obs, table())) == "audit");

  CHECK(flows_text(flows, "audit") ==
        "default/foo -> 203.0.113.5 ICMP: would be denied by egress of default/foo (isolated by "
        "default/foo-egress), 1 report\n"
        "default/foo -> default/web 80/TCP: would be denied by egress of default/foo (isolated by "
        "default/foo-egress), 1 report\n"
        "default/foo -> default/web 80/TCP: would be denied by ingress of default/web (isolated by "
        "default/web-a, default/web-b), 1 report\n"
        "default/test -> default/web 80/TCP: would be denied by ingress of default/web (isolated by "
        "default/web-a, default/web-b), 2 reports\n");

  std::string json = flows_json({flows[2], flows[3]}, "audit");
  CHECK(json ==
        "{\n"
        "  \"apiVersion\": \"netpolc/v1\",\n"
        "  \"kind\": \"ObservedFlows\",\n"
        "  \"mode\": \"audit\",\n"
        "  \"flows\": [\n"
        "    {\n"
        "      \"src\": {\n        \"ip\": \"10.244.1.11\",\n        \"pod\": \"default/foo\"\n      },\n"
        "      \"dst\": {\n        \"ip\": \"203.0.113.5\"\n      },\n"
        "      \"protocol\": \"ICMP\",\n"
        "      \"deniedBy\": \"egress\",\n"
        "      \"pod\": \"default/foo\",\n"
        "      \"policies\": [\"default/foo-egress\"],\n"
        "      \"count\": 1\n"
        "    },\n"
        "    {\n"
        "      \"src\": {\n        \"ip\": \"10.244.1.12\",\n        \"pod\": \"default/test\"\n      },\n"
        "      \"dst\": {\n        \"ip\": \"10.244.1.10\",\n        \"pod\": \"default/web\"\n      },\n"
        "      \"protocol\": \"TCP\",\n"
        "      \"port\": 80,\n"
        "      \"deniedBy\": \"ingress\",\n"
        "      \"pod\": \"default/web\",\n"
        "      \"policies\": [\"default/web-a\", \"default/web-b\"],\n"
        "      \"count\": 2\n"
        "    }\n"
        "  ]\n"
        "}\n");
}

TEST_CASE("flows: the mode comes from the reports, or from the table when there are none") {
  Observations none;
  TableReports t = table();
  CHECK(std::string(mode_name(none, t)) == "audit");
  t.audit = false;
  CHECK(std::string(mode_name(none, t)) == "enforce");
  Observations enforced;
  record(report("np E in/default/bbbb", "10.244.1.12", "10.244.1.10", 80), enforced);
  CHECK(std::string(mode_name(enforced, table())) == "enforce");
  CHECK(flows_json({}, "enforce").find("\"flows\": []") != std::string::npos);
}

TEST_CASE("stats: counters as a table and as JSON") {
  std::vector<DenyCounter> c = {{"app/default-deny", Direction::Ingress, 3, 180},
                                {"default/web", Direction::Egress, 0, 0}};
  CHECK(counters_text(c) ==
        "POLICY            DIRECTION       PACKETS         BYTES\n"
        "app/default-deny  ingress               3           180\n"
        "default/web       egress                0             0\n");
  CHECK(counters_json(c).find("\"kind\": \"DenyCounters\"") != std::string::npos);
}
