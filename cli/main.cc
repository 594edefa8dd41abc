// netpolc: Kubernetes NetworkPolicy -> Linux firewall rules.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

#include "cli/commands.h"

namespace netpolc {

const Command kCommands[] = {
    {"compile", "compile policies and a cluster snapshot into firewall rules", setup_compile},
    {"matrix", "the truth table of who reaches whom, per port", setup_matrix},
    {"explain", "why one flow is allowed or denied, rule by rule", setup_explain},
    {"diff", "the flows two policy sets or snapshots allow differently", setup_diff},
    {"lint", "the mistakes policies are known for, each with an ID and a location", setup_lint},
    {"graph", "the allowed-flow graph as DOT, Mermaid or SVG", setup_graph},
    {"apply-iptables", "compile and load the rules with iptables-restore / ip6tables-restore (and ipset)",
     setup_apply_iptables},
    {"apply", "program the nftables ruleset into the kernel over netlink, atomically", setup_apply},
    {"verify", "check the rules with real traffic in a lab of network namespaces", setup_verify},
    {"observe", "print the flows an --audit or --log-denied ruleset reports (nflog), each once",
     setup_observe},
    {"stats", "print the deny counters of an --audit or --log-denied ruleset", setup_stats},
    {"suggest", "the NetworkPolicy allow rules for observed denied flows, as YAML", setup_suggest},
};

std::vector<std::string> expand_aliases(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "diff")
    for (auto& a : args) {
      if (a == "-p2") a = "--policies2";
      else if (a == "-s2") a = "--snapshot2";
    }
  return args;
}

}  // namespace netpolc

int main(int argc, char** argv) {
  using namespace netpolc;
  CLI::App app{"netpolc: Kubernetes NetworkPolicy to nftables and iptables"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, CommandRun>> runs;
  for (const auto& c : kCommands) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    runs.emplace_back(sub, c.setup(*sub));
  }
  try {
    std::vector<std::string> args = expand_aliases(argc, argv);
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help or the usage error
    return code == 0 ? 0 : 2;
  }
  for (auto& [sub, run] : runs)
    if (sub->parsed()) return run();
  return 2;
}
