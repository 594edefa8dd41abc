// What `netpolc observe` makes of nflog reports: each denied (or, in audit
// mode, would-be-denied) flow once, with the side that denied it, the pods at
// both ends and the policies that isolate that side; as text or as the
// ObservedFlows JSON that `netpolc suggest --from-observed` reads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "backends/netlink_dump.h"
#include "compiler/ir.h"
#include "observe/nflog.h"
#include "observe/packet.h"

namespace netpolc::observe {

// What the applied table says about its reports, read back over netlink.
struct TableReports {
  bool logs = false;   // some pod chain logs what it denies
  bool audit = false;  // ... and lets it through
  std::map<IpAddr, std::string> pods;                            // verdict map comments: "ns/pod"
  std::map<std::string, std::vector<std::string>> chain_policies;  // pod chain -> "ns/policy", sorted
};
TableReports table_reports(const nl::KernelTable& t);

// Pod names from a snapshot: every pod with addresses of its own.
std::map<IpAddr, std::string> snapshot_pods(const Cluster& cluster);

struct FlowKey {
  IpAddr src;
  IpAddr dst;
  L4 protocol = L4::TCP;
  std::optional<uint16_t> port;  // destination port; none for ICMP
  Direction denied_by = Direction::Egress;

  // The order of the flow JSON: src, dst, protocol, port, side (egress first).
  auto tie() const { return std::tuple(src, dst, protocol, port, denied_by == Direction::Ingress); }
  friend bool operator<(const FlowKey& a, const FlowKey& b) { return a.tie() < b.tie(); }
  friend bool operator==(const FlowKey& a, const FlowKey& b) { return a.tie() == b.tie(); }
};

struct FlowSeen {
  std::string chain;  // the pod chain that reported it
  uint64_t count = 0;
};

// Everything read from nflog so far.
struct Observations {
  std::map<FlowKey, FlowSeen> flows;
  size_t audit_reports = 0;    // reports of the audit rules ("np A ...")
  size_t enforce_reports = 0;  // of the enforcing ones ("np E ...")
  size_t foreign = 0;          // reports whose prefix is not netpolc's
  size_t unreadable = 0;       // packets parse_packet() refused
};

// Adds one nflog report. Returns false (and counts it) when it is not one of
// netpolc's or its packet cannot be read.
bool record(const NflogPacket& p, Observations& obs);

struct ObservedFlow {
  FlowKey key;
  std::string src_pod;  // "ns/pod", or empty when unknown
  std::string dst_pod;
  std::string pod;      // the isolated pod on the side that denied it
  std::vector<std::string> policies;
  uint64_t count = 0;
};

// The flows named: pods from the table, then `extra` (a snapshot).
std::vector<ObservedFlow> name_flows(const Observations& obs, const TableReports& table,
                                     const std::map<IpAddr, std::string>& extra);

// "audit" when the reports (or, without any, the table) are audit ones.
const char* mode_name(const Observations& obs, const TableReports& table);

std::string flows_json(const std::vector<ObservedFlow>& flows, const char* mode);
// One line per flow, sorted: "default/test -> default/web 80/TCP: denied by
// egress of default/test (default/named-egress), 3 reports".
std::string flows_text(const std::vector<ObservedFlow>& flows, const char* mode);

}  // namespace netpolc::observe
