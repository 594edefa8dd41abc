// Strict reading of YAML/JSON objects for the frontends: locations of the
// document model's nodes (document.h), field paths, unknown and duplicate
// keys with "did you mean", and typed scalars that refuse what the API
// server refuses.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/document.h"
#include "compiler/read_budget.h"

namespace netpolc {

// Every document of one input: JSON with simdjson when the input is strict
// JSON, else YAML with libyaml (json_reader.h, yaml_reader.h). A syntax
// error, or more documents than the budget has left, becomes a diagnostic
// and yields no documents for that input.
std::vector<Document> load_documents(const InputFile& in, ReadBudget& budget,
                                     Diagnostics& diags);

enum class DocumentSize { Ok, TooLarge, TooDeep };

// Counts the values of a document, every alias expanded where it is used,
// against the budget, which it lowers, and reports a document that runs the
// budget out (TooLarge: the run should stop reading) or nests deeper than
// kMaxDepth (TooDeep: the document should be skipped). Readers call it before
// walking a document.
DocumentSize check_document_size(const Document& doc, const std::string& file,
                                 ReadBudget& budget, Diagnostics& diags);

// The location of a node (its first character), with a caret as long as a
// scalar's text.
SourceLoc loc_of(const NodeRef& node, std::string_view file);

// The place a reader is at: the node, its file and its field path. `file`
// views the input's name, which outlives every reader of the input.
struct YamlAt {
  NodeRef node;
  std::string_view file;
  std::string path;  // "spec.egress[0]"; empty at the document root
  // Where the node was introduced: its key in the parent map, or for an
  // absent field or a list item what introduced the parent. Set by field()
  // and item(); loc() falls back to it when the node has no position of its
  // own (an absent field, or a null, which YAML places where it ends).
  NodeRef key = NodeRef();

  SourceLoc loc() const;
  // The child `name` of a map ("" path joining handled), a null node when absent.
  YamlAt field(std::string_view name) const;
  YamlAt item(size_t index) const;
  bool present() const { return !node.is_null(); }
};

// "an object", "a list", "a scalar", "null": what a node is, for messages.
const char* node_kind_name(const NodeRef& node);

// Reports unless `at` is a map; then reports every key not in `known` (with a
// "did you mean") and every key given twice. Returns false when not a map.
bool check_map(const YamlAt& at, std::initializer_list<std::string_view> known, Diagnostics& diags);
// Reports unless `at` is a sequence (null counts as empty).
bool check_sequence(const YamlAt& at, Diagnostics& diags);
// Reports that the map `parent` lacks the required field `key`, at the map.
void report_missing(const YamlAt& parent, std::string_view key, Diagnostics& diags);

// Typed scalars. Each reports a diagnostic and returns nullopt on a wrong type.
std::optional<std::string> read_string(const YamlAt& at, Diagnostics& diags);
// A string as the API server sees it after kubectl turned the YAML into JSON:
// a plain scalar that YAML 1.1 reads as a number, a boolean or null (80, 1.5,
// true, yes, on, ~) is not a string; the diagnostic says to quote it.
std::optional<std::string> read_api_string(const YamlAt& at, Diagnostics& diags);
std::optional<int64_t> read_int(const YamlAt& at, Diagnostics& diags);
std::optional<bool> read_bool(const YamlAt& at, Diagnostics& diags);
// An entry of a map of strings: its key and value, and where each is, so
// that checking an entry never looks it up again (which costs the size of
// the map: a map of 50,000 labels took minutes).
struct StringEntry {
  std::string key;
  std::string value;
  YamlAt value_at;  // its `key` is the entry's key node

  SourceLoc key_loc() const { return loc_of(value_at.key, value_at.file); }
};
// A map of string to string (labels, matchLabels), in source order.
std::optional<std::vector<StringEntry>> read_string_map(const YamlAt& at, Diagnostics& diags);
// The same, with values read by read_api_string.
std::optional<std::vector<StringEntry>> read_api_string_map(const YamlAt& at, Diagnostics& diags);

// What YAML 1.1 (the YAML of kubectl) makes of a plain scalar that is not a
// string: "a number", "a boolean" or "null"; nullptr for a string.
const char* plain_scalar_type(std::string_view text);

// The location of the key `key` inside map `at` (for errors about a field as a
// whole), or of the map itself when the key is absent.
SourceLoc key_loc(const YamlAt& at, std::string_view key);

}  // namespace netpolc
