#include "compiler/yaml_util.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <unordered_set>

#include "compiler/json_reader.h"
#include "compiler/yaml_reader.h"

namespace netpolc {

std::vector<Document> load_documents(const InputFile& in, ReadBudget& budget,
                                     Diagnostics& diags) {
  if (budget.documents > 0 && looks_like_json(in.text)) {
    if (std::optional<Document> doc = read_json(in.text)) {
      --budget.documents;
      std::vector<Document> docs;
      docs.push_back(std::move(*doc));
      return docs;
    }
  }
  return read_yaml(in, budget, diags);
}

static DocumentSize measure(const NodeRef& node, size_t& budget, int depth_left) {
  if (depth_left < 0) return DocumentSize::TooDeep;
  if (budget == 0) return DocumentSize::TooLarge;
  --budget;
  DocumentSize size = DocumentSize::Ok;
  if (node.is_sequence()) {
    for (size_t i = 0; i < node.size() && size == DocumentSize::Ok; ++i)
      size = measure(node.item(i), budget, depth_left - 1);
  } else if (node.is_map()) {
    for (size_t i = 0; i < node.size() && size == DocumentSize::Ok; ++i) {
      size = measure(node.key(i), budget, depth_left - 1);
      if (size == DocumentSize::Ok) size = measure(node.value(i), budget, depth_left - 1);
    }
  }
  return size;
}

DocumentSize check_document_size(const Document& doc, const std::string& file,
                                 ReadBudget& budget, Diagnostics& diags) {
  DocumentSize size = DocumentSize::Ok;
  if (!doc.has_aliases && doc.nodes.size() <= budget.values) {
    // Every node read once, and the readers refused what nests too deeply.
    budget.values -= doc.nodes.size();
  } else {
    size = measure(root_of(doc), budget.values, kMaxDepth);
  }
  if (size == DocumentSize::TooLarge)
    diags.error(loc_of(root_of(doc), file), "",
                "input too large once YAML aliases are expanded (a run may read " +
                    std::to_string(kAliasAllowance) +
                    " values more than it has bytes); reading stopped here");
  else if (size == DocumentSize::TooDeep)
    diags.error(loc_of(root_of(doc), file), "",
                "document nested more than " + std::to_string(kMaxDepth) +
                    " levels deep (or an alias inside itself); it is not read");
  return size;
}

SourceLoc loc_of(const NodeRef& node, std::string_view file) {
  SourceLoc loc{std::string(file), node.line(), node.col(), 1};
  if (loc.line <= 0) return {std::string(file), 0, 0, 1};
  if (node.is_scalar()) loc.length = std::max<int>(1, int(node.scalar().size()));
  return loc;
}

SourceLoc YamlAt::loc() const {
  if (node.line() > 0 && !node.is_null()) return loc_of(node, file);
  return loc_of(key.line() > 0 ? key : node, file);
}

// What introduced `at`, to stand for its children that have no position.
static NodeRef intro_of(const YamlAt& at) { return at.key.line() > 0 ? at.key : at.node; }

// "spec" + "ingress" -> "spec.ingress", in one allocation: readers build a
// path for every field they look at.
static std::string field_path(const std::string& path, std::string_view name) {
  std::string out;
  out.reserve(path.size() + 1 + name.size());
  out += path;
  if (!path.empty()) out += '.';
  out += name;
  return out;
}

YamlAt YamlAt::field(std::string_view name) const {
  for (size_t i = 0; i < node.size() && node.is_map(); ++i) {
    NodeRef k = node.key(i);
    if (k.is_scalar() && k.scalar() == name) return {node.value(i), file, field_path(path, name), k};
  }
  return {NodeRef(), file, field_path(path, name), intro_of(*this)};
}

YamlAt YamlAt::item(size_t index) const {
  NodeRef n = index < node.size() && node.is_sequence() ? node.item(index) : NodeRef();
  char digits[24];
  char* end = std::to_chars(digits, digits + sizeof digits, index).ptr;
  std::string child_path;
  child_path.reserve(path.size() + size_t(end - digits) + 2);
  child_path += path;
  child_path += '[';
  child_path.append(digits, end);
  child_path += ']';
  return {n, file, std::move(child_path), n.is_null() ? intro_of(*this) : n};
}

// Whether key `i` of a map repeats a scalar key before it. Call it for the
// scalar keys in order: a linear scan for the few fields of an API object, a
// hash set once a map is larger (label maps may have thousands of keys).
class RepeatedKeys {
 public:
  explicit RepeatedKeys(const NodeRef& map) : map_(map) {}
  bool repeated(size_t i) {
    std::string_view key = map_.key(i).scalar();
    if (map_.size() > kLinear) return !seen_.insert(key).second;
    for (size_t j = 0; j < i; ++j)
      if (map_.key(j).is_scalar() && map_.key(j).scalar() == key) return true;
    return false;
  }

 private:
  static constexpr size_t kLinear = 16;
  NodeRef map_;
  std::unordered_set<std::string_view> seen_;
};

const char* node_kind_name(const NodeRef& n) {
  switch (n.kind()) {
    case NodeKind::Map: return "an object";
    case NodeKind::Sequence: return "a list";
    case NodeKind::Scalar: return "a scalar";
    case NodeKind::Null: return "null";
  }
  return "nothing";
}

bool check_map(const YamlAt& at, std::initializer_list<std::string_view> known,
               Diagnostics& diags) {
  if (!at.node.is_map()) {
    diags.error(at.loc(), at.path, std::string("expected an object, found ") + node_kind_name(at.node));
    return false;
  }
  RepeatedKeys keys(at.node);
  for (size_t i = 0; i < at.node.size(); ++i) {
    NodeRef k = at.node.key(i);
    if (!k.is_scalar()) {
      diags.error(loc_of(k, at.file), at.path, "object keys must be strings");
      continue;
    }
    std::string_view key = k.scalar();
    if (keys.repeated(i)) {
      diags.error(loc_of(k, at.file), field_path(at.path, key), "duplicate field \"" + std::string(key) + "\"");
      continue;
    }
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string msg = "unknown field \"" + std::string(key) + "\"";
    std::string hint = closest_match(std::string(key), std::vector<std::string>(known.begin(), known.end()));
    if (!hint.empty()) msg += " (did you mean \"" + hint + "\"?)";
    diags.error(loc_of(k, at.file), field_path(at.path, key), msg);
  }
  return true;
}

void report_missing(const YamlAt& parent, std::string_view key, Diagnostics& diags) {
  diags.error(parent.loc(), field_path(parent.path, key), "missing required field");
}

bool check_sequence(const YamlAt& at, Diagnostics& diags) {
  if (at.node.is_null() || at.node.is_sequence()) return true;
  diags.error(at.loc(), at.path, std::string("expected a list, found ") + node_kind_name(at.node));
  return false;
}

std::optional<std::string> read_string(const YamlAt& at, Diagnostics& diags) {
  if (!at.node.is_scalar()) {
    diags.error(at.loc(), at.path, std::string("expected a string, found ") + node_kind_name(at.node));
    return std::nullopt;
  }
  return std::string(at.node.scalar());
}

const char* plain_scalar_type(std::string_view text) {
  static const char* const kNulls[] = {"", "~", "null", "Null", "NULL"};
  static const char* const kBools[] = {"y",    "Y",    "yes",   "Yes",   "YES",   "true",
                                       "True", "TRUE", "on",    "On",    "ON",    "n",
                                       "N",    "no",   "No",    "NO",    "false", "False",
                                       "FALSE", "off", "Off",   "OFF"};
  static const char* const kFloats[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                                        "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"};
  // Every null, boolean and number starts with one of these (a number may
  // start with '_', which YAML 1.1 ignores in it): most strings are known to
  // be strings from their first character.
  if (!text.empty() && std::string_view("~nNyYtTfFoO.+-_0123456789").find(text[0]) == std::string_view::npos)
    return nullptr;
  for (const char* n : kNulls)
    if (text == n) return "null";
  for (const char* b : kBools)
    if (text == b) return "a boolean";
  for (const char* f : kFloats)
    if (text == f) return "a number";
  // Integers (decimal, 0x, 0o, 0b) and floats, with '_' allowed as in YAML 1.1.
  std::string without_underscores;
  std::string_view s = text;
  if (text.find('_') != std::string_view::npos) {
    for (char c : text)
      if (c != '_') without_underscores += c;
    s = without_underscores;
  }
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
  if (at.node.plain()) {
    std::string_view text = at.node.scalar();
    if (const char* type = plain_scalar_type(text)) {
      std::string s(text);
      diags.error(at.loc(), at.path, std::string("expected a string, found ") + type + " " + s +
                                         " (quote it: \"" + s + "\")");
      return std::nullopt;
    }
  }
  return read_string(at, diags);
}

std::optional<int64_t> read_int(const YamlAt& at, Diagnostics& diags) {
  if (at.node.is_scalar() && !at.node.quoted()) {
    std::string s(at.node.scalar());
    size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    bool digits = i < s.size() && s.size() - i <= 18;
    for (size_t j = i; j < s.size() && digits; ++j) digits = s[j] >= '0' && s[j] <= '9';
    if (digits) return std::stoll(s);
  }
  diags.error(at.loc(), at.path, "expected an integer, found " +
                                     (at.node.is_scalar() ? quoted(at.node.scalar())
                                                         : std::string(node_kind_name(at.node))));
  return std::nullopt;
}

std::optional<bool> read_bool(const YamlAt& at, Diagnostics& diags) {
  if (at.node.is_scalar() && !at.node.quoted()) {
    std::string_view s = at.node.scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  diags.error(at.loc(), at.path, std::string("expected true or false, found ") +
                                     (at.node.is_scalar() ? quoted(at.node.scalar())
                                                         : std::string(node_kind_name(at.node))));
  return std::nullopt;
}

using StringReader = std::optional<std::string> (*)(const YamlAt&, Diagnostics&);

static std::optional<std::vector<StringEntry>> read_map_of(const YamlAt& at, Diagnostics& diags,
                                                           StringReader read_value) {
  std::vector<StringEntry> out;
  if (at.node.is_null()) return out;
  if (!at.node.is_map()) {
    diags.error(at.loc(), at.path, std::string("expected an object, found ") + node_kind_name(at.node));
    return std::nullopt;
  }
  bool ok = true;
  RepeatedKeys keys(at.node);
  for (size_t i = 0; i < at.node.size(); ++i) {
    NodeRef k = at.node.key(i);
    if (!k.is_scalar()) {
      diags.error(loc_of(k, at.file), at.path, "object keys must be strings");
      ok = false;
      continue;
    }
    std::string key(k.scalar());
    YamlAt v{at.node.value(i), at.file, field_path(at.path, key), k};
    if (keys.repeated(i)) {
      diags.error(loc_of(k, at.file), v.path, "duplicate field \"" + key + "\"");
      ok = false;
      continue;
    }
    auto s = read_value(v, diags);
    if (!s) {
      ok = false;
      continue;
    }
    out.push_back({std::move(key), std::move(*s), std::move(v)});
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

SourceLoc key_loc(const YamlAt& at, std::string_view key) {
  for (size_t i = 0; i < at.node.size() && at.node.is_map(); ++i) {
    NodeRef k = at.node.key(i);
    if (k.is_scalar() && k.scalar() == key) return loc_of(k, at.file);
  }
  return at.loc();
}

}  // namespace netpolc
