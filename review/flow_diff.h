// netpolc diff: two policy sets (or two snapshots) compared as flows, not as
// text. Every pod pair on the destination's declared ports, and every pod to
// and from the outside addresses the ipBlocks tell apart, is evaluated in both
// worlds by the reference evaluator; the flows that change are grouped by the
// rules or policies that decide them and folded by pod groups. The compiled
// nft rules of both are diffed underneath.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir.h"
#include "review/flows.h"
#include "review/json.h"

namespace netpolc::review {

struct World {
  const Cluster* cluster = nullptr;
  const PolicySet* policies = nullptr;
};

struct DiffOptions {
  std::vector<Probe> extra_probes;  // probed on every destination too
  Families families = Families::Both;
  bool compiled = true;  // diff the compiled nft rules too
};

// One changed flow: endpoints by index into FlowDiff::endpoints.
struct FlowChange {
  size_t from = 0, to = 0;
  Probe probe;
  std::string family;  // "" when every family both endpoints have changed alike, else "IPv4"/"IPv6"
};

// Flows that changed the same way for the same reason, folded into lines of
// "sources -> destinations: ports".
struct ChangeGroup {
  bool allowed = false;  // now allowed (else now denied)
  std::string reason;    // "egress allowed by x/allow-dns egress[0]"
  SourceLoc loc;         // of the deciding rule or policy
  std::vector<FlowChange> flows;
  struct Line {
    std::string from, to, ports;
    size_t flows = 0;
  };
  std::vector<Line> lines;
};

struct FlowDiff {
  std::vector<Endpoint> endpoints;  // pods of both snapshots, then outside addresses
  size_t pods = 0, compared = 0;
  std::vector<std::string> pods_added, pods_removed;  // enforced in one snapshot only
  std::vector<ChangeGroup> groups;                    // allowed first, then denied
  size_t allowed = 0, denied = 0;
  bool compiled_compared = false;
  std::string compiled_diff;  // unified diff of the nft scripts; empty when equal
  bool changed() const { return allowed + denied > 0; }
};

FlowDiff diff_flows(const World& before, const World& after, const DiffOptions& options);

std::string diff_text(const FlowDiff& d);
std::string diff_markdown(const FlowDiff& d);
Json diff_json(const FlowDiff& d);

}  // namespace netpolc::review
