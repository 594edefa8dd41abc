// `netpolc verify -b iptables`: the iptables and ip6tables outputs, both,
// loaded into a lab namespace the way apply-iptables loads them.
#pragma once

#include <functional>
#include <string>

#include "backends/nft_ruleset.h"
#include "compiler/ir.h"
#include "compiler/program.h"

namespace netpolc {

// A loader for verify::Options::load_rules. `prog` and `cluster` must outlive it.
std::function<bool(const std::string& netns, const NftOptions& target, std::string* error)> iptables_loader(
    const Program& prog, const Cluster& cluster);

}  // namespace netpolc
