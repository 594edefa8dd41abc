// The bad-input corpora: every fixtures/errors/bad-* file goes through
// parse_policies, every fixtures/errors/snapshot/bad-* file through
// parse_snapshot, every fixtures/errors/flows/bad-* file through
// read_observed_flows (suggest --from-observed), and the formatted
// diagnostics must equal the golden at the mirrored path
// (golden/errors/[snapshot/|flows/]<same name>.err) to the letter.
// UPDATE_GOLDEN=1 rewrites the goldens instead; review them as a diff.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/policy_parser.h"
#include "compiler/snapshot_parser.h"
#include "suggest/observed_flows.h"

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

// One corpus: a directory of bad-* inputs for one reader, and its goldens.
struct Corpus {
  const char* fixtures;  // relative to the repository root
  const char* goldens;
  void (*parse)(const InputFile&, Diagnostics&);
  size_t at_least;
};

const Corpus kCorpora[] = {
    {"fixtures/errors", "golden/errors",
     [](const InputFile& in, Diagnostics& diags) { parse_policies({in}, diags); }, 60},
    {"fixtures/errors/snapshot", "golden/errors/snapshot",
     [](const InputFile& in, Diagnostics& diags) { parse_snapshot({in}, diags); }, 40},
    {"fixtures/errors/flows", "golden/errors/flows",
     [](const InputFile& in, Diagnostics& diags) { (void)suggest::read_observed_flows(in, diags); }, 15},
};

// Every bad-*.{yaml,yml,json} of a corpus, relative to the repository root.
std::vector<std::string> bad_fixtures(const fs::path& root, const Corpus& corpus) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(root / corpus.fixtures)) {
    std::string name = e.path().filename().string();
    std::string ext = e.path().extension().string();
    if (name.rfind("bad-", 0) == 0 && (ext == ".yaml" || ext == ".yml" || ext == ".json"))
      out.push_back(std::string(corpus.fixtures) + "/" + name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("every bad input is rejected with exactly the diagnostics of its golden") {
  const fs::path root = NETPOLC_SOURCE_DIR;
  for (const Corpus& corpus : kCorpora) {
    std::vector<std::string> fixtures = bad_fixtures(root, corpus);
    CAPTURE(corpus.fixtures);
    CHECK(fixtures.size() >= corpus.at_least);
    for (const auto& rel : fixtures) {
      CAPTURE(rel);
      InputFile in{rel, read_text(root / rel)};
      SourceFiles sources;
      sources.add(in.name, in.text);
      Diagnostics diags;
      corpus.parse(in, diags);
      CHECK_MESSAGE(diags.has_errors(), "a bad-* fixture must fail");
      std::string got = format_diagnostics(diags, sources);

      fs::path golden =
          root / corpus.goldens / fs::path(rel).filename().replace_extension(".err");
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
}

TEST_CASE("every golden belongs to a bad input") {
  const fs::path root = NETPOLC_SOURCE_DIR;
  for (const Corpus& corpus : kCorpora) {
    if (!fs::exists(root / corpus.goldens)) continue;
    std::vector<std::string> fixtures = bad_fixtures(root, corpus);
    for (const auto& e : fs::directory_iterator(root / corpus.goldens)) {
      if (!e.is_regular_file()) continue;  // another corpus's directory
      std::string stem = e.path().stem().string();
      bool found = std::any_of(fixtures.begin(), fixtures.end(), [&](const std::string& f) {
        return fs::path(f).stem().string() == stem;
      });
      CAPTURE(e.path().string());
      CHECK_MESSAGE(found, "stale golden: its fixture is gone");
    }
  }
}
