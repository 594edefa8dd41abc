// netpolc: Kubernetes NetworkPolicy -> Linux firewall rules.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"

namespace netpolc {

const Command kCommands[] = {
    {"compile", "compile policies and a cluster snapshot into firewall rules", setup_compile},
    {"apply-iptables", "compile and load the rules with iptables-restore / ip6tables-restore (and ipset)",
     setup_apply_iptables},
};

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
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help or the usage error
    return code == 0 ? 0 : 2;
  }
  for (auto& [sub, run] : runs)
    if (sub->parsed()) return run();
  return 2;
}
