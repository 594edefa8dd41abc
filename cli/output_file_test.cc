#include "cli/output_file.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

using namespace netpolc;
namespace fs = std::filesystem;

namespace {

// A fresh directory, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("netpolc-output-test-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool has_temporary(const fs::path& dir) {
  for (const auto& name : names_in(dir))
    if (name.find(".netpolc-tmp-") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("an output file is created, then replaced whole, and nothing else is left") {
  TempDir dir;
  std::string target = (dir.path / "rules.nft").string();
  CHECK_FALSE(write_file_atomically(target, "one\n"));
  CHECK(read_text(target) == "one\n");
  CHECK_FALSE(write_file_atomically(target, "two\n"));
  CHECK(read_text(target) == "two\n");
  CHECK(names_in(dir.path) == std::vector<std::string>{"rules.nft"});
}

TEST_CASE("a replaced output file keeps its mode") {
  TempDir dir;
  std::string target = (dir.path / "rules.nft").string();
  CHECK_FALSE(write_file_atomically(target, "one\n"));
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write);
  CHECK_FALSE(write_file_atomically(target, "two\n"));
  CHECK(fs::status(target).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
}

TEST_CASE("a failure leaves the old file as it was and no temporary file") {
  TempDir dir;
  SUBCASE("the directory does not exist") {
    auto error = write_file_atomically((dir.path / "missing/rules.nft").string(), "x");
    REQUIRE(error);
    CHECK(error->find("cannot create a temporary file beside it: No such file") == 0);
    CHECK(names_in(dir.path).empty());
  }
  SUBCASE("the target is a directory") {
    fs::create_directories(dir.path / "rules.nft" / "inside");
    auto error = write_file_atomically((dir.path / "rules.nft").string(), "x");
    REQUIRE(error);
    CHECK(error->find("cannot replace it") == 0);
    CHECK(names_in(dir.path) == std::vector<std::string>{"rules.nft"});
    CHECK(fs::is_directory(dir.path / "rules.nft" / "inside"));
  }
  SUBCASE("the disk is full half way (a file size limit, in a child process)") {
    std::string target = (dir.path / "rules.nft").string();
    std::ofstream(target) << "old\n";
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::signal(SIGXFSZ, SIG_IGN);
      rlimit limit{4096, 4096};
      ::setrlimit(RLIMIT_FSIZE, &limit);
      auto error = write_file_atomically(target, std::string(100000, 'x'));
      ::_exit(error && error->find("cannot write: File too large") == 0 ? 0 : 1);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    CHECK(read_text(target) == "old\n");
    CHECK(names_in(dir.path) == std::vector<std::string>{"rules.nft"});
  }
}

TEST_CASE("SIGTERM while the file is written leaves the complete file and no temporary file") {
  TempDir dir;
  std::string target = (dir.path / "rules.nft").string();
  std::ofstream(target) << "old\n";
  const size_t size = size_t(64) << 20;
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::signal(SIGTERM, SIG_DFL);  // not the test runner's handler
    write_file_atomically(target, std::string(size, 'x'));
    ::_exit(0);
  }
  // Wait until the temporary file is there, then interrupt.
  bool seen = false;
  for (int i = 0; i < 200000 && !seen; ++i) {
    seen = has_temporary(dir.path);
    if (!seen) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  ::kill(child, SIGTERM);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (seen) CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM));
  else MESSAGE("the write ended before the test saw its temporary file");
  CHECK(fs::file_size(target) == size);
  CHECK_FALSE(has_temporary(dir.path));
}

TEST_CASE("a target that is not a regular file is written directly") {
  CHECK_FALSE(write_file_atomically("/dev/null", "x"));
}
