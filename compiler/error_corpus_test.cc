// The bad-input corpus: every fixtures/errors/bad-* file goes through
// parse_policies, and its formatted diagnostics must equal
// golden/errors/<same name>.err to the letter. UPDATE_GOLDEN=1 rewrites the
// goldens instead; review them as a diff.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/policy_parser.h"

using namespace netpolc;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool updating_goldens() {
  const char* v = std::getenv("UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

// Every fixtures/errors/bad-*.{yaml,yml,json}, relative to the repository root.
std::vector<std::string> bad_fixtures(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(root / "fixtures/errors")) {
    std::string name = e.path().filename().string();
    std::string ext = e.path().extension().string();
    if (name.rfind("bad-", 0) == 0 && (ext == ".yaml" || ext == ".yml" || ext == ".json"))
      out.push_back("fixtures/errors/" + name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("every bad input is rejected with exactly the diagnostics of its golden") {
  const fs::path root = NETPOLC_SOURCE_DIR;
  std::vector<std::string> fixtures = bad_fixtures(root);
  CHECK(fixtures.size() >= 30);
  for (const auto& rel : fixtures) {
    CAPTURE(rel);
    InputFile in{rel, read_text(root / rel)};
    SourceFiles sources;
    sources.add(in.name, in.text);
    Diagnostics diags;
    parse_policies({in}, diags);
    CHECK_MESSAGE(diags.has_errors(), "a bad-* fixture must fail");
    std::string got = format_diagnostics(diags, sources);

    fs::path golden = root / "golden/errors" / fs::path(rel).filename().replace_extension(".err");
    if (updating_goldens()) {
      fs::create_directories(golden.parent_path());
      std::ofstream(golden, std::ios::binary) << got;
      continue;
    }
    if (!fs::exists(golden)) {
      FAIL_CHECK("no golden for " << rel << "; run with UPDATE_GOLDEN=1 and review it");
      continue;
    }
    CHECK(got == read_text(golden));
  }
}

TEST_CASE("every golden belongs to a bad input") {
  const fs::path root = NETPOLC_SOURCE_DIR;
  if (!fs::exists(root / "golden/errors")) return;
  std::vector<std::string> fixtures = bad_fixtures(root);
  for (const auto& e : fs::directory_iterator(root / "golden/errors")) {
    std::string stem = e.path().stem().string();
    bool found = std::any_of(fixtures.begin(), fixtures.end(), [&](const std::string& f) {
      return fs::path(f).stem().string() == stem;
    });
    CAPTURE(e.path().string());
    CHECK_MESSAGE(found, "stale golden: its fixture is gone");
  }
}
