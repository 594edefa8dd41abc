#include "compiler/yaml_reader.h"

#include <yaml.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>

namespace netpolc {
namespace {

// The lines of a text, without their newlines.
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A syntax error as the user can act on it: one found at the end of the
// input points just after its last character (so that the line is shown),
// and a tab in the indentation of the line is named.
void report_syntax_error(const InputFile& in, SourceLoc loc, std::string message,
                         Diagnostics& diags) {
  std::vector<std::string> lines = split_lines(in.text);
  while (!lines.empty() && lines.back().find_first_not_of(" \t\r") == std::string::npos)
    lines.pop_back();
  if (loc.line > int(lines.size()) && !lines.empty()) {
    loc.line = int(lines.size());
    loc.col = int(lines.back().size()) + 1;
  }
  if (loc.line > 0 && loc.line <= int(lines.size())) {
    const std::string& line = lines[size_t(loc.line - 1)];
    size_t indent_end = line.find_first_not_of(" \t");
    if (line.substr(0, indent_end).find('\t') != std::string::npos)
      message += " (a tab in the indentation: YAML indents with spaces only)";
  }
  diags.error(loc, "", "invalid YAML: " + message);
}

SourceLoc loc_of_mark(const std::string& file, const yaml_mark_t& mark) {
  return {file, int(mark.line) + 1, int(mark.column) + 1, 1};
}

// The line and column of a byte offset (libyaml's reader errors give only
// the offset).
SourceLoc loc_of_offset(const InputFile& in, size_t offset) {
  SourceLoc loc{in.name, 1, 1, 1};
  const std::string& text = in.text;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      loc.col = 1;
    } else {
      ++loc.col;
    }
  }
  return loc;
}

// What stands at a position, for "did not find expected X, found Y".
std::string found_at(const std::vector<std::string>& lines, const SourceLoc& loc) {
  auto blank = [](const std::string& s) { return s.find_first_not_of(" \t\r") == std::string::npos; };
  size_t line = size_t(std::max(loc.line, 1) - 1), col = size_t(std::max(loc.col, 1) - 1);
  bool rest_blank = true;
  for (size_t i = line; i < lines.size() && rest_blank; ++i)
    rest_blank = blank(i == line ? lines[i].substr(std::min(col, lines[i].size())) : lines[i]);
  if (rest_blank) return "the end of the input";
  if (col >= lines[line].size()) return "the end of the line";
  char c = lines[line][col];
  if (c == '\t') return "a tab";
  return quoted(std::string_view(&c, 1));
}

// libyaml's message, with what it found instead of what it expected, and
// what it was parsing when that started elsewhere.
void report_parser_error(const InputFile& in, const yaml_parser_t& p, Diagnostics& diags) {
  std::string problem = p.problem ? p.problem : "syntax error";
  if (p.error == YAML_READER_ERROR) {
    if (p.problem_value != -1) problem += " (byte " + std::to_string(p.problem_value) + ")";
    report_syntax_error(in, loc_of_offset(in, p.problem_offset), problem, diags);
    return;
  }
  SourceLoc at = loc_of_mark(in.name, p.problem_mark);
  SourceLoc context = loc_of_mark(in.name, p.context_mark);
  std::string where = std::to_string(context.line) + ":" + std::to_string(context.col);
  if (problem.rfind("did not find expected", 0) == 0) {
    std::string found = found_at(split_lines(in.text), at);
    problem += ", found " + found;
    bool at_end = found == "the end of the input";
    if (at_end && problem.find("',' or '}'") != std::string::npos)
      return report_syntax_error(in, at, problem + " (the '{' at " + where + " is not closed)", diags);
    if (at_end && problem.find("',' or ']'") != std::string::npos)
      return report_syntax_error(in, at, problem + " (the '[' at " + where + " is not closed)", diags);
  }
  if (p.context && (context.line != at.line || context.col != at.col))
    problem += " (" + std::string(p.context) + " that starts at " + where + ")";
  report_syntax_error(in, at, problem, diags);
}

// Where the text has a line break other than \n and \r\n, which YAML counts
// as one (so that libyaml's line numbers would not be the lines diagnostics
// quote), or nullopt. Each kind of break is looked for with memchr, which
// is many times faster than a loop over every byte: this runs on every input.
std::optional<size_t> other_line_break(const std::string& text) {
  auto byte = [&](size_t i) -> unsigned { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0; };
  // The first `lead` byte that starts a break, or text.size().
  auto first = [&](char lead, auto starts_break) {
    const char* begin = text.data();
    const char* end = begin + text.size();
    for (const char* p = begin; (p = static_cast<const char*>(std::memchr(p, lead, size_t(end - p)))); ++p)
      if (starts_break(size_t(p - begin))) return size_t(p - begin);
    return text.size();
  };
  size_t found = std::min({
      first('\r', [&](size_t i) { return byte(i + 1) != '\n'; }),  // a lone \r
      first('\xC2', [&](size_t i) { return byte(i + 1) == 0x85; }),  // NEL
      first('\xE2', [&](size_t i) {                                // LS, PS
        return byte(i + 1) == 0x80 && (byte(i + 2) == 0xA8 || byte(i + 2) == 0xA9);
      }),
  });
  if (found == text.size()) return std::nullopt;
  return found;
}

const char* text_of(const yaml_char_t* s) { return reinterpret_cast<const char*>(s); }

ScalarStyle style_of(const yaml_event_t& e) {
  const char* tag = text_of(e.data.scalar.tag);
  if (tag && std::string_view(tag) != "!" && std::string_view(tag) != YAML_STR_TAG)
    return ScalarStyle::Tagged;
  if (!tag && e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) return ScalarStyle::Plain;
  return ScalarStyle::Quoted;
}

// YAML 1.1's null: a plain scalar ~, null, Null, NULL, or nothing at all.
bool is_null(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

class Parser {
 public:
  explicit Parser(const std::string& text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~Parser() {
    if (has_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // The next event, or nullptr on a syntax error.
  const yaml_event_t* next() {
    if (has_event_) yaml_event_delete(&event_);
    has_event_ = yaml_parser_parse(&parser_, &event_) != 0;
    return has_event_ ? &event_ : nullptr;
  }
  const yaml_parser_t& state() const { return parser_; }

 private:
  yaml_parser_t parser_;
  yaml_event_t event_;
  bool has_event_ = false;
};

// The documents of one stream, built event by event.
class StreamReader {
 public:
  StreamReader(const InputFile& in, ReadBudget& budget, Diagnostics& diags)
      : in_(in), budget_(budget), diags_(diags), parser_(in.text) {
    // kubectl's YAML has about one node per 12 bytes, 60% of it scalars.
    // Only the first document gets the room: a stream of many small ones
    // must not reserve the whole input's worth for each.
    builder_.reserve(in.text.size() / 10, in.text.size() * 2 / 3);
  }

  std::vector<Document> read() {
    while (const yaml_event_t* e = parser_.next()) {
      if (e->type == YAML_STREAM_END_EVENT) return std::move(documents_);
      if (!on_event(*e)) return {};
    }
    report_parser_error(in_, parser_.state(), diags_);
    return {};
  }

 private:
  // Handles one event; false when the input must not be read further.
  bool on_event(const yaml_event_t& e) {
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT: return start_document(e);
      case YAML_DOCUMENT_END_EVENT:
        if (!too_deep_) documents_.push_back(builder_.finish());
        else builder_ = DocumentBuilder();
        return true;
      case YAML_SCALAR_EVENT: return on_scalar(e);
      case YAML_ALIAS_EVENT: return on_alias(e);
      case YAML_SEQUENCE_START_EVENT:
        return open(e, NodeKind::Sequence, text_of(e.data.sequence_start.anchor));
      case YAML_MAPPING_START_EVENT:
        return open(e, NodeKind::Map, text_of(e.data.mapping_start.anchor));
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        if (skipped_depth_ > 0) --skipped_depth_;
        else builder_.close();
        return true;
      default: return true;  // stream start
    }
  }

  bool start_document(const yaml_event_t& e) {
    if (budget_.documents == 0) {
      diags_.error(loc_of_mark(in_.name, e.start_mark), "",
                   "more than " + std::to_string(kMaxDocuments) +
                       " YAML documents in one run; this input is not read");
      return false;
    }
    --budget_.documents;
    anchors_.clear();
    too_deep_ = false;
    skipped_depth_ = 0;
    return true;
  }

  // Whether a node at the current depth is still built; reports the document
  // the first time it is not.
  bool building() {
    if (too_deep_) return false;
    if (builder_.depth() <= size_t(kMaxDepth)) return true;
    too_deep_ = true;
    diags_.error(loc_of_mark(in_.name, root_mark_), "",
                 "document nested more than " + std::to_string(kMaxDepth) +
                     " levels deep (or an alias inside itself); it is not read");
    return false;
  }

  bool open(const yaml_event_t& e, NodeKind kind, const char* anchor) {
    if (builder_.depth() == 0 && !too_deep_) root_mark_ = e.start_mark;
    if (!building()) {
      if (++skipped_depth_ + kMaxDepth > kMaxParseDepth) {
        report_syntax_error(in_, loc_of_mark(in_.name, e.start_mark),
                            "nested too deeply (more than " + std::to_string(kMaxParseDepth) +
                                " levels)",
                            diags_);
        return false;
      }
      return true;
    }
    uint32_t index = builder_.open(kind, uint32_t(e.start_mark.line + 1), uint32_t(e.start_mark.column + 1));
    if (anchor) anchors_[anchor] = index;
    return true;
  }

  bool on_scalar(const yaml_event_t& e) {
    if (builder_.depth() == 0 && !too_deep_) root_mark_ = e.start_mark;
    if (!building()) return true;
    std::string_view text(text_of(e.data.scalar.value), e.data.scalar.length);
    ScalarStyle style = style_of(e);
    uint32_t line = uint32_t(e.start_mark.line + 1), col = uint32_t(e.start_mark.column + 1);
    uint32_t index = style == ScalarStyle::Plain && is_null(text)
                         ? builder_.add_null(line, col)
                         : builder_.add_scalar(line, col, text, style);
    if (const char* anchor = text_of(e.data.scalar.anchor)) anchors_[anchor] = index;
    return true;
  }

  bool on_alias(const yaml_event_t& e) {
    if (!building()) return true;
    const char* name = text_of(e.data.alias.anchor);
    auto it = anchors_.find(name);
    if (it == anchors_.end()) {
      report_syntax_error(in_, loc_of_mark(in_.name, e.start_mark),
                          "alias *" + std::string(name) + " names no anchor defined before it",
                          diags_);
      return false;
    }
    builder_.add_alias(it->second);
    return true;
  }

  const InputFile& in_;
  ReadBudget& budget_;
  Diagnostics& diags_;
  Parser parser_;
  DocumentBuilder builder_;
  std::vector<Document> documents_;
  std::unordered_map<std::string, uint32_t> anchors_;  // of the current document
  yaml_mark_t root_mark_{};  // where the current document's root starts
  bool too_deep_ = false;
  int skipped_depth_ = 0;  // collections open inside the part of a document not built
};

}  // namespace

std::vector<Document> read_yaml(const InputFile& in, ReadBudget& budget, Diagnostics& diags) {
  if (auto at = other_line_break(in.text)) {
    report_syntax_error(in, loc_of_offset(in, *at),
                        "a line break other than \\n or \\r\\n (a lone \\r, or Unicode NEL, LS or "
                        "PS); netpolc reads lines that end in \\n or \\r\\n",
                        diags);
    return {};
  }
  return StreamReader(in, budget, diags).read();
}

}  // namespace netpolc
