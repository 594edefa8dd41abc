// The subcommands, as a table of {name, help, setup} rows; each setup adds
// its options to a CLI11 subcommand and returns the function that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace netpolc {

using CommandRun = std::function<int()>;

struct Command {
  const char* name;
  const char* help;
  CommandRun (*setup)(CLI::App& sub);
};

CommandRun setup_compile(CLI::App& sub);
CommandRun setup_apply_iptables(CLI::App& sub);

}  // namespace netpolc
