#include "compiler/yaml_util.h"

#include <yaml-cpp/eventhandler.h>

#include <optional>
#include <set>
#include <sstream>

namespace netpolc {

namespace {

// Sees where each document starts, and nothing else.
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

// yaml-cpp 0.7 loops forever, allocating, when a document would start with a
// token that cannot start a node (a lone "," at the top level): every call to
// HandleNextDocument yields an empty document at the same place
// (jbeder/yaml-cpp#1040, fixed upstream in 2024). Returns that place, found by
// one pass over the events before YAML::LoadAll is trusted with the text.
std::optional<YAML::Mark> find_endless_document(const std::string& text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  int previous = -1;
  while (parser.HandleNextDocument(starts)) {
    if (starts.start.pos == previous) return starts.start;
    previous = starts.start.pos;
  }
  return std::nullopt;
}

}  // namespace

std::vector<YAML::Node> load_documents(const InputFile& in, Diagnostics& diags) {
  try {
    if (auto mark = find_endless_document(in.text)) {
      SourceLoc loc{in.name, mark->line + 1, mark->column + 1, 1};
      size_t pos = size_t(mark->pos);
      std::string what = pos < in.text.size() ? "\"" + in.text.substr(pos, 1) + "\"" : "end";
      diags.error(loc, "", "invalid YAML: unexpected " + what);
      return {};
    }
    return YAML::LoadAll(in.text);
  } catch (const YAML::Exception& e) {
    SourceLoc loc{in.name, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                  e.mark.column >= 0 ? e.mark.column + 1 : 0, 1};
    diags.error(loc, "", "invalid YAML: " + e.msg);
    return {};
  }
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

YamlAt YamlAt::field(const std::string& key) const {
  YamlAt out{YAML::Node(), file, path.empty() ? key : path + "." + key};
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) {
        out.node = it->second;
        break;
      }
    }
  }
  return out;
}

YamlAt YamlAt::item(size_t index) const {
  return {node[index], file, path + "[" + std::to_string(index) + "]"};
}

static const char* kind_name(const YAML::Node& n) {
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
    diags.error(at.loc(), at.path, std::string("expected an object, found ") + kind_name(at.node));
    return false;
  }
  std::set<std::string> seen;
  for (auto it = at.node.begin(); it != at.node.end(); ++it) {
    const YAML::Node k = it->first;  // a copy: `it->first` lives in a temporary
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
  diags.error(at.loc(), at.path, std::string("expected a list, found ") + kind_name(at.node));
  return false;
}

std::optional<std::string> read_string(const YamlAt& at, Diagnostics& diags) {
  if (!at.node.IsScalar()) {
    diags.error(at.loc(), at.path, std::string("expected a string, found ") + kind_name(at.node));
    return std::nullopt;
  }
  return at.node.Scalar();
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
                                                         : std::string(kind_name(at.node))));
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
                                                         : std::string(kind_name(at.node))));
  return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, std::string>>> read_string_map(
    const YamlAt& at, Diagnostics& diags) {
  std::vector<std::pair<std::string, std::string>> out;
  if (at.node.IsNull()) return out;
  if (!at.node.IsMap()) {
    diags.error(at.loc(), at.path, std::string("expected an object, found ") + kind_name(at.node));
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
    YamlAt v{it->second, at.file, at.path + "." + key};
    if (!seen.insert(key).second) {
      diags.error(loc_of(it->first, at.file), v.path, "duplicate field \"" + key + "\"");
      ok = false;
      continue;
    }
    auto s = read_string(v, diags);
    if (!s) {
      ok = false;
      continue;
    }
    out.emplace_back(key, *s);
  }
  if (!ok) return std::nullopt;
  return out;
}

SourceLoc key_loc(const YamlAt& at, const std::string& key) {
  if (at.node.IsMap()) {
    for (auto it = at.node.begin(); it != at.node.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == key) return loc_of(it->first, at.file);
  }
  return at.loc();
}

}  // namespace netpolc
