// Diagnostics as values: every user-facing error or warning carries its
// location and the API field path it is about, and is printed once, at the end
// of the stage, as `file:line:col: error: field: message` with the source line
// and a caret under the span.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace netpolc {

// 1-based line and column; line 0 means "no position" (a whole file, stdin
// before anything was read, a command-line argument).
struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
  int length = 1;  // columns under the caret

  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLoc loc;
  std::string field;    // "spec.egress[0].to[1].ipBlock.cidr"; may be empty
  std::string message;  // lower case, no final period
};

// The sink every stage writes to.
class Diagnostics {
 public:
  void error(const SourceLoc& loc, std::string field, std::string message) {
    items_.push_back({Severity::Error, loc, std::move(field), std::move(message)});
    ++errors_;
  }
  void warning(const SourceLoc& loc, std::string field, std::string message) {
    items_.push_back({Severity::Warning, loc, std::move(field), std::move(message)});
  }
  void note(const SourceLoc& loc, std::string field, std::string message) {
    items_.push_back({Severity::Note, loc, std::move(field), std::move(message)});
  }
  bool has_errors() const { return errors_ > 0; }
  size_t error_count() const { return errors_; }
  const std::vector<Diagnostic>& items() const { return items_; }

 private:
  std::vector<Diagnostic> items_;
  size_t errors_ = 0;  // counted as they come: readers ask after every field
};

// The text of an input, shared by its readers and the diagnostics that quote
// it: 128 MiB of input is kept once, not copied for each.
class SharedText {
 public:
  SharedText(std::string text = {}) : text_(std::make_shared<const std::string>(std::move(text))) {}
  SharedText(const char* text) : SharedText(std::string(text)) {}
  const std::string& str() const { return *text_; }
  operator const std::string&() const { return *text_; }
  size_t size() const { return text_->size(); }

 private:
  std::shared_ptr<const std::string> text_;
};

// The text of every input read in a run, so that diagnostics can quote lines.
class SourceFiles {
 public:
  void add(const std::string& name, SharedText text);
  const std::string* text(const std::string& name) const;
  // The 1-based line of a file, without its newline; empty when unknown.
  std::string line(const std::string& name, int line) const;

 private:
  struct File {
    SharedText text;
    // Where each line starts, found when a line is first quoted (most runs
    // quote none), so that quoting a line costs its length.
    mutable std::vector<size_t> line_starts;
  };
  std::map<std::string, File> files_;
};

// One diagnostic as it is printed, with the quoted line and caret when known.
std::string format_diagnostic(const Diagnostic& d, const SourceFiles& sources);
// Every diagnostic, in the order reported.
std::string format_diagnostics(const Diagnostics& diags, const SourceFiles& sources);

// "did you mean" support: the candidate closest to `word` by edit distance,
// or empty when none is close enough.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// A value as a message shows it: "\"value\"".
std::string quoted(std::string_view s);
// "a, b, c".
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");

}  // namespace netpolc
