// The subcommands, as a table of {name, help, setup} rows; each setup adds
// its options to a CLI11 subcommand and returns the function that runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace netpolc {

using CommandRun = std::function<int()>;

struct Command {
  const char* name;
  const char* help;
  CommandRun (*setup)(CLI::App& sub);
};

struct InputOptions;

// -s and -p, required, as every command takes them.
void add_input_options(CLI::App& sub, InputOptions& in);

// The arguments after the program name, with the short aliases CLI11 cannot
// declare spelled out: `diff -p2 NEW` is `diff --policies2 NEW` (and -s2).
std::vector<std::string> expand_aliases(int argc, char** argv);

CommandRun setup_compile(CLI::App& sub);
CommandRun setup_apply_iptables(CLI::App& sub);
CommandRun setup_matrix(CLI::App& sub);
CommandRun setup_explain(CLI::App& sub);
CommandRun setup_diff(CLI::App& sub);
CommandRun setup_lint(CLI::App& sub);
CommandRun setup_graph(CLI::App& sub);
CommandRun setup_apply(CLI::App& sub);
CommandRun setup_verify(CLI::App& sub);
CommandRun setup_observe(CLI::App& sub);
CommandRun setup_stats(CLI::App& sub);
CommandRun setup_suggest(CLI::App& sub);

}  // namespace netpolc
