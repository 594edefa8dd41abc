#include "compiler/document.h"

#include <cassert>
#include <utility>

namespace netpolc {

std::string_view NodeRef::scalar() const {
  if (!is_scalar()) return {};
  const Node& n = node();
  return std::string_view(doc_->scalars).substr(n.begin, n.size);
}

size_t NodeRef::size() const {
  NodeKind k = kind();
  return k == NodeKind::Sequence || k == NodeKind::Map ? node().size : 0;
}

void DocumentBuilder::reserve(size_t nodes, size_t scalar_bytes) {
  doc_.nodes.reserve(nodes);
  doc_.children.reserve(nodes);
  doc_.scalars.reserve(scalar_bytes);
}

uint32_t DocumentBuilder::add_node(const Node& node) {
  doc_.nodes.push_back(node);
  return uint32_t(doc_.nodes.size() - 1);
}

void DocumentBuilder::attach(uint32_t index) {
  if (!open_.empty()) {
    pending_.push_back(index);
  } else {
    assert(!has_root_ && "one root per document");
    doc_.root = index;
    has_root_ = true;
  }
}

uint32_t DocumentBuilder::add_scalar(uint32_t line, uint32_t col, std::string_view text,
                                     ScalarStyle style) {
  Node n{NodeKind::Scalar, style, line, col, uint32_t(doc_.scalars.size()), uint32_t(text.size())};
  doc_.scalars.append(text);
  uint32_t index = add_node(n);
  attach(index);
  return index;
}

uint32_t DocumentBuilder::add_null(uint32_t line, uint32_t col) {
  uint32_t index = add_node({NodeKind::Null, ScalarStyle::Plain, line, col, 0, 0});
  attach(index);
  return index;
}

uint32_t DocumentBuilder::open(NodeKind kind, uint32_t line, uint32_t col) {
  uint32_t index = add_node({kind, ScalarStyle::Plain, line, col, 0, 0});
  attach(index);
  open_.push_back(index);
  open_from_.push_back(pending_.size());
  return index;
}

void DocumentBuilder::close() {
  assert(!open_.empty());
  Node& n = doc_.nodes[open_.back()];
  size_t from = open_from_.back();
  n.begin = uint32_t(doc_.children.size());
  size_t count = pending_.size() - from;
  n.size = uint32_t(n.kind == NodeKind::Map ? count / 2 : count);
  doc_.children.insert(doc_.children.end(), pending_.begin() + long(from), pending_.end());
  pending_.resize(from);
  open_.pop_back();
  open_from_.pop_back();
}

void DocumentBuilder::add_alias(uint32_t index) {
  doc_.has_aliases = true;
  attach(index);
}

Document DocumentBuilder::finish() {
  assert(open_.empty());
  if (!has_root_) add_null(0, 0);
  Document out = std::move(doc_);
  doc_ = Document();
  has_root_ = false;  // the stacks are empty, and keep their room for the next document
  return out;
}

}  // namespace netpolc
