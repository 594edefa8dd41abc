#include "lab/command.h"

#include <doctest/doctest.h>

using namespace netpolc::lab;

TEST_CASE("commands run without a shell, all at once, with their input and output") {
  std::string big(1 << 20, 'x');  // far more than a pipe or socket buffer holds
  std::vector<CommandResult> r = run_commands({
      {{"cat"}, big, -1},
      {{"echo", "$HOME", "a b"}, "", -1},
      {{"sh", "-c", "echo oops >&2; exit 3"}, "", -1},
      {{"/nonexistent/program"}, "", -1},
      {{}, "", -1},
  });
  REQUIRE(r.size() == 5);
  CHECK(r[0].ok);
  CHECK(r[0].output == big);
  CHECK(r[1].ok);
  CHECK(r[1].output == "$HOME a b\n");
  CHECK_FALSE(r[2].ok);
  CHECK(r[2].output == "oops\n(exit status 3)");
  CHECK_FALSE(r[3].ok);
  CHECK(r[3].output.rfind("cannot execute /nonexistent/program: ", 0) == 0);
  CHECK_FALSE(r[4].ok);
  CHECK(r[4].output == "empty command");
}

TEST_CASE("a command that stops reading its input does not kill the caller") {
  std::string big(1 << 22, 'x');
  CommandResult r = run_command({{"true"}, big, -1});
  CHECK(r.ok);
}
