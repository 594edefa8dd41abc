// netpolc lint: the mistakes the seed recipes and their users make, found on
// the policies and the snapshot together, each with a stable ID, a level and
// the place in the input it is about. Every check is documented, with an
// example and its fix, in docs/lint.md.
#pragma once

#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/ir.h"
#include "compiler/program.h"
#include "review/json.h"

namespace netpolc::review {

// SARIF's levels: an error is a policy that does not do what it says, a
// warning a likely mistake, a note something worth knowing.
enum class LintLevel : uint8_t { Error, Warning, Note };
const char* lint_level_name(LintLevel l);  // "error", "warning", "note"

struct LintCheck {
  const char* id;     // "NP001"
  const char* name;   // "dns-blocked", the anchor in docs/lint.md
  LintLevel level;    // the usual level; a finding may say less or more
  const char* title;  // one line
};

// Every check, by ID.
const std::vector<LintCheck>& lint_checks();
const LintCheck* find_lint_check(const std::string& id);

struct Finding {
  std::string id;
  LintLevel level = LintLevel::Warning;
  SourceLoc loc;
  std::string field;  // "spec.egress[0].to[1]"; may be empty
  std::string message;
  std::string fix;  // may be empty
};

// Runs every check. Findings are sorted by file, line, column and ID.
std::vector<Finding> lint(const Cluster& cluster, const PolicySet& policies, const Program& program);

// `file:line:col: warning: field: message [NP003]`, the source line with a
// caret, the fix; then a count.
std::string lint_text(const std::vector<Finding>& findings, const SourceFiles& sources);
Json lint_json(const std::vector<Finding>& findings);
// SARIF 2.1.0, for code-scanning UIs.
Json lint_sarif(const std::vector<Finding>& findings);

}  // namespace netpolc::review
