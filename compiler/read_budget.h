// One input of a run, and the limits every reader of a run shares.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "compiler/diagnostics.h"

namespace netpolc {

// One input: its display name ("policies/a.yaml", "<stdin>") and its text.
struct InputFile {
  std::string name;
  SharedText text;
};

// The limits of one run, whatever its input: how deep a document may nest,
// how many documents a run may have, and how many more values than bytes it
// may read once YAML aliases are expanded. Aliases let a few kilobytes stand
// for billions of values (an alias may even refer to a node that contains
// it); input without aliases never has more values than bytes, and real
// inputs nest a dozen levels. docs/robustness.md has the measurements.
constexpr size_t kAliasAllowance = 2'000'000;
constexpr int kMaxDepth = 256;
constexpr size_t kMaxDocuments = 1'000'000;
// Past this nesting the YAML reader stops reading the input altogether
// (deeper than kMaxDepth, a document is skipped and the next one read): the
// parser's own stacks grow with the nesting, and 128 MiB of "[" would take
// gigabytes.
constexpr int kMaxParseDepth = 10'000;

// What a run may still read: values (every alias expanded) and documents.
// One budget serves every input of one reader.
struct ReadBudget {
  size_t values = kAliasAllowance;  // plus the size of the inputs
  size_t documents = kMaxDocuments;

  explicit ReadBudget(const std::vector<InputFile>& files) {
    for (const auto& file : files) values += file.text.size();
  }
};

}  // namespace netpolc
