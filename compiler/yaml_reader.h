// YAML (1.1, as kubectl reads it) into documents, with libyaml's event
// parser: one pass, no node tree of libyaml's own.
#pragma once

#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/document.h"
#include "compiler/read_budget.h"

namespace netpolc {

// Every document of one input. A syntax error, an alias to no anchor, or more
// documents than the budget has left becomes a diagnostic and yields no
// documents for that input; a document nested deeper than kMaxDepth is
// reported and skipped, the next one read.
std::vector<Document> read_yaml(const InputFile& in, ReadBudget& budget, Diagnostics& diags);

}  // namespace netpolc
