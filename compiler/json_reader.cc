#include "compiler/json_reader.h"

#include <simdjson.h>

#include <cstring>
#include <string_view>
#include <utility>

#include "compiler/read_budget.h"

namespace netpolc {

namespace od = simdjson::ondemand;

bool looks_like_json(const std::string& text) {
  size_t i = text.find_first_not_of(" \t\r\n");
  return i != std::string::npos && (text[i] == '{' || text[i] == '[');
}

namespace {

// Turns byte offsets, met in increasing order, into lines and columns.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}

  void at(size_t offset, uint32_t& line, uint32_t& col) {
    while (pos_ < offset) {
      const void* nl = std::memchr(text_.data() + pos_, '\n', offset - pos_);
      if (!nl) {
        pos_ = offset;
        break;
      }
      pos_ = size_t(static_cast<const char*>(nl) - text_.data()) + 1;
      ++line_;
      line_start_ = pos_;
    }
    line = line_;
    col = uint32_t(offset - line_start_ + 1);
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  uint32_t line_ = 1;
};

// A JSON number as RFC 8259 writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][-+]?[0-9]+)?
bool is_json_number(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < s.size() && s[i] == '.' && (++i, !digits())) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

std::string_view trim_end(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

class JsonBuilder {
 public:
  // kubectl's JSON has about one node per 28 bytes, a third of it strings:
  // reserving that much (untouched memory costs nothing) spares the copies
  // of a growing document.
  explicit JsonBuilder(std::string_view text) : base_(text.data()), lines_(text) {
    builder_.reserve(text.size() / 24, text.size() / 3);
  }

  // False on anything that is not strict JSON.
  bool value(od::value v, int depth) {
    if (depth > kMaxDepth) return false;
    std::string_view token = v.raw_json_token();
    uint32_t line = 0, col = 0;
    lines_.at(size_t(token.data() - base_), line, col);
    od::json_type type;
    if (v.type().get(type)) return false;
    switch (type) {
      case od::json_type::object: return object(v, line, col, depth);
      case od::json_type::array: return array(v, line, col, depth);
      case od::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s)) return false;
        builder_.add_scalar(line, col, s, ScalarStyle::Quoted);
        return true;
      }
      case od::json_type::number: {
        std::string_view s = trim_end(token);
        if (!is_json_number(s)) return false;
        builder_.add_scalar(line, col, s, ScalarStyle::Plain);
        return true;
      }
      case od::json_type::boolean: {
        std::string_view s = trim_end(token);
        if (s != "true" && s != "false") return false;
        builder_.add_scalar(line, col, s, ScalarStyle::Plain);
        return true;
      }
      case od::json_type::null:
        if (trim_end(token) != "null") return false;
        builder_.add_null(line, col);
        return true;
    }
    return false;
  }

  Document finish() { return builder_.finish(); }

 private:
  // An object or an array: its entries (od::field or od::value), each read
  // by `read`, between the collection's open and close.
  template <typename Entry, typename Collection, typename Read>
  bool collection(Collection c, NodeKind kind, uint32_t line, uint32_t col, Read read) {
    builder_.open(kind, line, col);
    for (auto result : c) {
      Entry entry;
      if (std::move(result).get(entry) || !read(entry)) return false;
    }
    builder_.close();
    return true;
  }

  bool object(od::value v, uint32_t line, uint32_t col, int depth) {
    od::object obj;
    if (v.get_object().get(obj)) return false;
    return collection<od::field>(obj, NodeKind::Map, line, col, [&](od::field& field) {
      uint32_t key_line = 0, key_col = 0;
      lines_.at(size_t(field.key().raw() - 1 - base_), key_line, key_col);  // at its quote
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      builder_.add_scalar(key_line, key_col, key, ScalarStyle::Quoted);
      return value(field.value(), depth + 1);
    });
  }

  bool array(od::value v, uint32_t line, uint32_t col, int depth) {
    od::array arr;
    if (v.get_array().get(arr)) return false;
    return collection<od::value>(arr, NodeKind::Sequence, line, col,
                                 [&](od::value& item) { return value(item, depth + 1); });
  }

  const char* base_;
  LineCounter lines_;
  DocumentBuilder builder_;
};

}  // namespace

std::optional<Document> read_json(const std::string& text) {
  if (!looks_like_json(text)) return std::nullopt;
  // simdjson reads SIMDJSON_PADDING bytes past the end: use the string's own
  // spare capacity when it has enough (read_inputs leaves it), else a copy.
  simdjson::padded_string copy;
  simdjson::padded_string_view input;
  if (text.capacity() - text.size() >= simdjson::SIMDJSON_PADDING) {
    input = simdjson::padded_string_view(text.data(), text.size(), text.capacity());
  } else {
    copy = simdjson::padded_string(text);
    input = copy;
  }
  od::parser parser;
  od::document doc;
  if (parser.iterate(input).get(doc)) return std::nullopt;
  od::value root;
  if (doc.get_value().get(root)) return std::nullopt;
  JsonBuilder builder(std::string_view(input.data(), input.size()));
  if (!builder.value(root, 0)) return std::nullopt;
  // More after the value: not one JSON text. (simdjson reports the location
  // of the next token only when there is one.)
  if (!doc.current_location().error()) return std::nullopt;
  return builder.finish();
}

}  // namespace netpolc
