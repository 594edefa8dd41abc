// Running programs without a shell, optionally inside a network namespace:
// fork, setns, exec. Several commands can run at once (the lab configures its
// host namespaces in parallel).
#pragma once

#include <string>
#include <vector>

namespace netpolc::lab {

struct Command {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::string stdin_text;         // fed to the program's stdin, then EOF
  int netns_fd = -1;              // run inside this namespace; -1: the caller's
};

struct CommandResult {
  bool ok = false;     // exited with status 0
  std::string output;  // stdout and stderr, interleaved as written
};

// Runs every command concurrently and waits for all of them. Results are in
// the order of `commands`. A command that cannot be started fails with the
// reason in its output.
std::vector<CommandResult> run_commands(const std::vector<Command>& commands);

CommandResult run_command(const Command& command);

// "ip -n foo -batch -" for messages.
std::string describe_argv(const std::vector<std::string>& argv);

}  // namespace netpolc::lab
