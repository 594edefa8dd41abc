// The document model the frontends read: what a YAML or JSON document holds
// once parsed, and no more. A node is a null, a scalar (its text and whether
// it was written plain, so that YAML 1.1's `yes` or `80` can be told from
// "yes" or "80"), a sequence or a mapping (its entries in source order,
// duplicate keys kept, so that the readers report them), with the 1-based
// line and column where it starts. Nodes live in one array per document and
// refer to their children by index: a YAML alias is the index of the node it
// names, never a copy (so a few kilobytes of aliases cost a few kilobytes).
// yaml_reader.h and json_reader.h build documents; NodeRef reads them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace netpolc {

enum class NodeKind : uint8_t { Null, Scalar, Sequence, Map };

// How a scalar was written. Plain: unquoted and untagged, so YAML 1.1 may
// read it as a number, a boolean or null (JSON numbers and true/false are
// plain too). Quoted: quoted, a block scalar, or tagged !!str (JSON strings).
// Tagged: any other explicit tag (`!!int 80`).
enum class ScalarStyle : uint8_t { Plain, Quoted, Tagged };

struct Node {
  NodeKind kind = NodeKind::Null;
  ScalarStyle style = ScalarStyle::Plain;
  uint32_t line = 0;  // 1-based; 0: no position
  uint32_t col = 0;
  // Scalar: its text, Document::scalars[begin, begin + size). Sequence: its
  // items, Document::children[begin, begin + size). Map: its entries, key
  // then value, Document::children[begin, begin + 2 * size).
  uint32_t begin = 0;
  uint32_t size = 0;
};

struct Document {
  std::vector<Node> nodes;  // the root is nodes[root]
  std::vector<uint32_t> children;
  std::string scalars;
  uint32_t root = 0;
  bool has_aliases = false;  // some node is the child of more than one
};

// A node of a document, or no node at all (an absent field). Cheap to copy;
// valid as long as its document is.
class NodeRef {
 public:
  NodeRef() = default;
  NodeRef(const Document* doc, uint32_t index) : doc_(doc), index_(index) {}

  bool defined() const { return doc_ != nullptr; }
  NodeKind kind() const { return doc_ ? node().kind : NodeKind::Null; }
  // Absent, or written as null ("", ~, null).
  bool is_null() const { return kind() == NodeKind::Null; }
  bool is_scalar() const { return kind() == NodeKind::Scalar; }
  bool is_sequence() const { return kind() == NodeKind::Sequence; }
  bool is_map() const { return kind() == NodeKind::Map; }
  // The text of a scalar; empty for anything else.
  std::string_view scalar() const;
  bool plain() const { return is_scalar() && node().style == ScalarStyle::Plain; }
  bool quoted() const { return is_scalar() && node().style == ScalarStyle::Quoted; }
  // The items of a sequence or the entries of a map; 0 for anything else.
  size_t size() const;
  NodeRef item(size_t i) const { return child(i); }
  NodeRef key(size_t i) const { return child(2 * i); }
  NodeRef value(size_t i) const { return child(2 * i + 1); }
  // 1-based; 0 when absent or without a position.
  int line() const { return doc_ ? int(node().line) : 0; }
  int col() const { return doc_ ? int(node().col) : 0; }
  // Two refs to one node (a YAML alias and its anchor are one node).
  bool same(const NodeRef& other) const { return doc_ == other.doc_ && index_ == other.index_; }

 private:
  const Node& node() const { return doc_->nodes[index_]; }
  NodeRef child(size_t i) const { return {doc_, doc_->children[node().begin + i]}; }

  const Document* doc_ = nullptr;
  uint32_t index_ = 0;
};

inline NodeRef root_of(const Document& doc) { return {&doc, doc.root}; }

// Builds a document from parser events in document order: scalars, aliases,
// and collections opened and closed. Collections keep their children on one
// stack while open and move them to Document::children when closed, so that
// building costs one copy of each index.
class DocumentBuilder {
 public:
  // Room for a document of about `nodes` nodes and `scalar_bytes` of text,
  // so that a large one is not copied as it grows.
  void reserve(size_t nodes, size_t scalar_bytes);
  // The number of collections open.
  size_t depth() const { return open_.size(); }
  // Each returns the new node's index.
  uint32_t add_scalar(uint32_t line, uint32_t col, std::string_view text, ScalarStyle style);
  uint32_t add_null(uint32_t line, uint32_t col);
  uint32_t open(NodeKind kind, uint32_t line, uint32_t col);
  void close();
  // A second reference to node `index` (a YAML alias).
  void add_alias(uint32_t index);
  // The document, once every collection is closed. The builder is left empty
  // (its stacks with their room, for the next document of a stream).
  Document finish();

 private:
  uint32_t add_node(const Node& node);
  void attach(uint32_t index);

  Document doc_;
  std::vector<uint32_t> open_;     // the open collections, outermost first
  std::vector<size_t> open_from_;  // where each one's children start in pending_
  std::vector<uint32_t> pending_;  // the children of the open collections
  bool has_root_ = false;
};

}  // namespace netpolc
