// The nftables text backend: Program -> an `nft -f` script that atomically
// replaces one `inet` table and touches nothing else (see nft_ruleset.h for
// what the ruleset does).
#pragma once

#include <string>

#include "backends/nft_ruleset.h"
#include "compiler/ir.h"
#include "compiler/program.h"

namespace netpolc {

std::string emit_nft(const Program& prog, const Cluster& cluster, const NftOptions& options);

// The comment on a chain's final drop: "egress not allowed by x/deny-all".
std::string chain_drop_comment(const PodChain& chain);

namespace nft {

// The script for a ruleset.
std::string print_ruleset(const Ruleset& rs);

// One rule as nft prints it: "ip saddr @s tcp dport 80 return comment \"x\"".
std::string rule_text(const Rule& rule);

}  // namespace nft
}  // namespace netpolc
