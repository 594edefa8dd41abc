#include "compiler/yaml_util.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <sstream>

namespace netpolc {

namespace {

// Remembers where the last document started, and nothing else.
class DocumentStarts : public YAML::EventHandler {
 public:
  YAML::Mark start;

  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// What a first pass over the events of a stream finds before yaml-cpp
// builds its nodes: the documents are counted, and a stream on which yaml-cpp
// 0.7's LoadAll would loop for ever, allocating, is found. That happens on a
// document that starts with a token the parser cannot place ("," or "&a ," or
// "!!str ,"): it reports an empty document without consuming the token,
// again and again (jbeder/yaml-cpp#1040, fixed upstream by #1319), so two
// documents start at the same place.
struct Scan {
  std::optional<YAML::Mark> stuck_at;
  std::optional<YAML::Mark> too_many_at;  // the first document over the limit
};

Scan scan_documents(const std::string& text, size_t max_documents) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  std::optional<int> last;
  size_t count = 0;
  while (parser.HandleNextDocument(starts)) {
    if (last && starts.start.pos == *last) return {starts.start, std::nullopt};
    if (++count > max_documents) return {std::nullopt, starts.start};
    last = starts.start.pos;
  }
  return {};
}

SourceLoc loc_of_mark(const std::string& file, const YAML::Mark& mark) {
  return {file, mark.line >= 0 ? mark.line + 1 : 0, mark.column >= 0 ? mark.column + 1 : 0, 1};
}

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
void report_syntax_error(const InputFile& in, const YAML::Mark& mark, std::string message,
                         Diagnostics& diags) {
  SourceLoc loc = loc_of_mark(in.name, mark);
  std::vector<std::string> lines = split_lines(in.text);
  while (!lines.empty() && lines.back().find_first_not_of(" \t\r") == std::string::npos)
    lines.pop_back();
  if (loc.line > int(lines.size()) && !lines.empty()) {
    loc.line = int(lines.size());
    loc.col = int(lines.back().size()) + 1;
  }
  if (message == "end of map flow not found") message += " (a '{' is not closed)";
  if (message == "end of sequence flow not found") message += " (a '[' is not closed)";
  if (loc.line > 0 && loc.line <= int(lines.size())) {
    const std::string& line = lines[size_t(loc.line - 1)];
    size_t indent_end = line.find_first_not_of(" \t");
    if (line.substr(0, indent_end).find('\t') != std::string::npos)
      message += " (a tab in the indentation: YAML indents with spaces only)";
  }
  diags.error(loc, "", "invalid YAML: " + message);
}

}  // namespace

ReadBudget::ReadBudget(const std::vector<InputFile>& files) {
  for (const auto& file : files) values += file.text.size();
}

std::vector<YAML::Node> load_documents(const InputFile& in, ReadBudget& budget,
                                       Diagnostics& diags) {
  try {
    Scan scan = scan_documents(in.text, budget.documents);
    if (auto mark = scan.stuck_at) {
      std::string what = mark->pos >= 0 && size_t(mark->pos) < in.text.size()
                             ? std::string(" \"") + in.text[size_t(mark->pos)] + "\""
                             : std::string();
      report_syntax_error(in, *mark, "unexpected" + what, diags);
      return {};
    }
    if (scan.too_many_at) {
      diags.error(loc_of_mark(in.name, *scan.too_many_at), "",
                  "more than " + std::to_string(kMaxDocuments) +
                      " YAML documents in one run; this input is not read");
      budget.documents = 0;
      return {};
    }
    std::vector<YAML::Node> docs = YAML::LoadAll(in.text);
    budget.documents -= std::min(budget.documents, docs.size());
    return docs;
  } catch (const YAML::DeepRecursion& e) {  // its message says "bad file"
    report_syntax_error(in, e.mark, "nested too deeply", diags);
    return {};
  } catch (const YAML::Exception& e) {
    report_syntax_error(in, e.mark, e.msg, diags);
    return {};
  }
}

static DocumentSize measure(const YAML::Node& node, size_t& budget, int depth_left) {
  if (depth_left < 0) return DocumentSize::TooDeep;
  if (budget == 0) return DocumentSize::TooLarge;
  --budget;
  DocumentSize size = DocumentSize::Ok;
  if (node.IsSequence()) {
    for (auto it = node.begin(); it != node.end() && size == DocumentSize::Ok; ++it)
      size = measure(*it, budget, depth_left - 1);
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end() && size == DocumentSize::Ok; ++it) {
      size = measure(it->first, budget, depth_left - 1);
      if (size == DocumentSize::Ok) size = measure(it->second, budget, depth_left - 1);
    }
  }
  return size;
}

DocumentSize check_document_size(const YAML::Node& doc, const std::string& file,
                                 ReadBudget& budget, Diagnostics& diags) {
  DocumentSize size = measure(doc, budget.values, kMaxDepth);
  if (size == DocumentSize::TooLarge)
    diags.error(loc_of(doc, file), "",
                "input too large once YAML aliases are expanded (a run may read " +
                    std::to_string(kAliasAllowance) +
                    " values more than it has bytes); reading stopped here");
  else if (size == DocumentSize::TooDeep)
    diags.error(loc_of(doc, file), "",
                "document nested more than " + std::to_string(kMaxDepth) +
                    " levels deep (or an alias inside itself); it is not read");
  return size;
}

SourceLoc loc_of(const YAML::Node& node, const std::string& file) {
  SourceLoc loc{file, 0, 0, 1};
  if (!node.IsDefined()) return loc;
  YAML::Mark m = node.Mark();
  if (m.line < 0) return loc;
  loc.line = m.line + 1;
  loc.col = m.column + 1;
  if (node.IsScalar()) loc.length = std::max<int>(1, int(node.Scalar().size()));
  return loc;
}

SourceLoc YamlAt::loc() const {
  SourceLoc own = loc_of(node, file);
  if (own.line > 0 && !node.IsNull()) return own;
  SourceLoc intro = loc_of(key, file);
  return intro.line > 0 ? intro : own;
}

// What introduced `at`, to stand for its children that have no position.
static YAML::Node intro_of(const YamlAt& at) {
  return loc_of(at.key, at.file).line > 0 ? at.key : at.node;
}

YamlAt YamlAt::field(const std::string& name) const {
  std::string child_path = path.empty() ? name : path + "." + name;
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == name)
        return {it->second, file, child_path, it->first};
    }
  }
  return {YAML::Node(), file, child_path, intro_of(*this)};
}

YamlAt YamlAt::item(size_t index) const {
  YAML::Node n = node[index];
  std::string child_path = path + "[" + std::to_string(index) + "]";
  return {n, file, child_path, n.IsNull() ? intro_of(*this) : n};
}

const char* node_kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "an object";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "null";
    default: return "nothing";
  }
}

bool check_map(const YamlAt& at, const std::vector<std::string>& known, Diagnostics& diags) {
  if (!at.node.IsMap()) {
    diags.error(at.loc(), at.path, std::string("expected an object, found ") + node_kind_name(at.node));
    return false;
  }
  std::set<std::string> seen;
  for (auto it = at.node.begin(); it != at.node.end(); ++it) {
    YAML::Node k = it->first;  // a copy: `it->` yields a temporary
    std::string key = k.IsScalar() ? k.Scalar() : std::string();
    std::string path = at.path.empty() ? key : at.path + "." + key;
    SourceLoc loc = loc_of(k, at.file);
    if (!k.IsScalar()) {
      diags.error(loc, at.path, "object keys must be strings");
      continue;
    }
    if (!seen.insert(key).second) {
      diags.error(loc, path, "duplicate field \"" + key + "\"");
      continue;
    }
    bool ok = false;
    for (const auto& name : known) ok = ok || name == key;
    if (ok) continue;
    std::string msg = "unknown field \"" + key + "\"";
    std::string hint = closest_match(key, known);
    if (!hint.empty()) msg += " (did you mean \"" + hint + "\"?)";
    diags.error(loc, path, msg);
  }
  return true;
}

bool check_sequence(const YamlAt& at, Diagnostics& diags) {
  if (at.node.IsNull() || at.node.IsSequence()) return true;
  diags.error(at.loc(), at.path, std::string("expected a list, found ") + node_kind_name(at.node));
  return false;
}

std::optional<std::string> read_string(const YamlAt& at, Diagnostics& diags) {
  if (!at.node.IsScalar()) {
    diags.error(at.loc(), at.path, std::string("expected a string, found ") + node_kind_name(at.node));
    return std::nullopt;
  }
  return at.node.Scalar();
}

const char* plain_scalar_type(const std::string& text) {
  static const char* const kNulls[] = {"", "~", "null", "Null", "NULL"};
  static const char* const kBools[] = {"y",    "Y",    "yes",   "Yes",   "YES",   "true",
                                       "True", "TRUE", "on",    "On",    "ON",    "n",
                                       "N",    "no",   "No",    "NO",    "false", "False",
                                       "FALSE", "off", "Off",   "OFF"};
  static const char* const kFloats[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                                        "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"};
  for (const char* n : kNulls)
    if (text == n) return "null";
  for (const char* b : kBools)
    if (text == b) return "a boolean";
  for (const char* f : kFloats)
    if (text == f) return "a number";
  // Integers (decimal, 0x, 0o, 0b) and floats, with '_' allowed as in YAML 1.1.
  std::string s;
  for (char c : text)
    if (c != '_') s += c;
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  auto all = [&](size_t from, auto pred) {
    if (from >= s.size()) return false;
    for (size_t j = from; j < s.size(); ++j)
      if (!pred(s[j])) return false;
    return true;
  };
  auto dec = [](char c) { return c >= '0' && c <= '9'; };
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  auto oct = [](char c) { return c >= '0' && c <= '7'; };
  auto bin = [](char c) { return c == '0' || c == '1'; };
  if (s.size() > i + 2 && s[i] == '0') {
    char base = s[i + 1];
    if ((base == 'x' || base == 'X') && all(i + 2, hex)) return "a number";
    if ((base == 'o' || base == 'O') && all(i + 2, oct)) return "a number";
    if ((base == 'b' || base == 'B') && all(i + 2, bin)) return "a number";
  }
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  size_t j = i, int_digits = 0, frac_digits = 0;
  while (j < s.size() && dec(s[j])) ++j, ++int_digits;
  if (j < s.size() && s[j] == '.') {
    ++j;
    while (j < s.size() && dec(s[j])) ++j, ++frac_digits;
    if (int_digits == 0 && frac_digits == 0) return nullptr;
  } else if (int_digits == 0) {
    return nullptr;
  }
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    ++j;
    if (j < s.size() && (s[j] == '-' || s[j] == '+')) ++j;
    if (!all(j, dec)) return nullptr;
    j = s.size();
  }
  return j == s.size() ? "a number" : nullptr;
}

std::optional<std::string> read_api_string(const YamlAt& at, Diagnostics& diags) {
  if (at.node.IsScalar() && at.node.Tag() == "?") {  // "?": a plain, unquoted scalar
    const std::string& s = at.node.Scalar();
    if (const char* type = plain_scalar_type(s)) {
      diags.error(at.loc(), at.path, std::string("expected a string, found ") + type + " " + s +
                                         " (quote it: \"" + s + "\")");
      return std::nullopt;
    }
  }
  return read_string(at, diags);
}

std::optional<int64_t> read_int(const YamlAt& at, Diagnostics& diags) {
  if (at.node.IsScalar() && at.node.Tag() != "!") {  // "!" marks a quoted scalar
    const std::string& s = at.node.Scalar();
    size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    bool digits = i < s.size() && s.size() - i <= 18;
    for (size_t j = i; j < s.size() && digits; ++j) digits = s[j] >= '0' && s[j] <= '9';
    if (digits) return std::stoll(s);
  }
  diags.error(at.loc(), at.path, "expected an integer, found " +
                                     (at.node.IsScalar() ? "\"" + at.node.Scalar() + "\""
                                                         : std::string(node_kind_name(at.node))));
  return std::nullopt;
}

std::optional<bool> read_bool(const YamlAt& at, Diagnostics& diags) {
  if (at.node.IsScalar() && at.node.Tag() != "!") {
    const std::string& s = at.node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  diags.error(at.loc(), at.path, std::string("expected true or false, found ") +
                                     (at.node.IsScalar() ? "\"" + at.node.Scalar() + "\""
                                                         : std::string(node_kind_name(at.node))));
  return std::nullopt;
}

using StringReader = std::optional<std::string> (*)(const YamlAt&, Diagnostics&);

static std::optional<std::vector<StringEntry>> read_map_of(const YamlAt& at, Diagnostics& diags,
                                                           StringReader read_value) {
  std::vector<StringEntry> out;
  if (at.node.IsNull()) return out;
  if (!at.node.IsMap()) {
    diags.error(at.loc(), at.path, std::string("expected an object, found ") + node_kind_name(at.node));
    return std::nullopt;
  }
  bool ok = true;
  std::set<std::string> seen;
  for (auto it = at.node.begin(); it != at.node.end(); ++it) {
    if (!it->first.IsScalar()) {
      diags.error(loc_of(it->first, at.file), at.path, "object keys must be strings");
      ok = false;
      continue;
    }
    std::string key = it->first.Scalar();
    YamlAt v{it->second, at.file, at.path + "." + key, it->first};
    if (!seen.insert(key).second) {
      diags.error(loc_of(it->first, at.file), v.path, "duplicate field \"" + key + "\"");
      ok = false;
      continue;
    }
    auto s = read_value(v, diags);
    if (!s) {
      ok = false;
      continue;
    }
    out.push_back({key, *s, loc_of(it->first, at.file), v});
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<StringEntry>> read_string_map(const YamlAt& at, Diagnostics& diags) {
  return read_map_of(at, diags, read_string);
}

std::optional<std::vector<StringEntry>> read_api_string_map(const YamlAt& at, Diagnostics& diags) {
  return read_map_of(at, diags, read_api_string);
}

SourceLoc key_loc(const YamlAt& at, const std::string& key) {
  if (at.node.IsMap()) {
    for (auto it = at.node.begin(); it != at.node.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == key) return loc_of(it->first, at.file);
  }
  return at.loc();
}

}  // namespace netpolc
