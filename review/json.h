// A small JSON value for the review commands' machine-readable output.
// Objects keep their keys in insertion order, so output is deterministic and
// reads in the order the writer chose; numbers are integers.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace netpolc::review {

class Json {
 public:
  Json() = default;  // null
  Json(bool b) : kind_(Kind::Bool), bool_(b) {}
  Json(int n) : kind_(Kind::Number), number_(n) {}
  Json(long n) : kind_(Kind::Number), number_(n) {}
  Json(long long n) : kind_(Kind::Number), number_(n) {}
  Json(unsigned long n) : kind_(Kind::Number), number_(static_cast<long long>(n)) {}
  Json(unsigned long long n) : kind_(Kind::Number), number_(static_cast<long long>(n)) {}
  Json(std::string s) : kind_(Kind::String), string_(std::move(s)) {}
  Json(const char* s) : kind_(Kind::String), string_(s) {}

  static Json array() { return Json(Kind::Array); }
  static Json object() { return Json(Kind::Object); }
  // A JSON array of strings.
  static Json strings(const std::vector<std::string>& items);

  // Appends to an array; returns the appended item.
  Json& push(Json item);
  // Sets a key of an object (replacing an earlier value); returns the value.
  Json& set(const std::string& key, Json value);

  // Two-space indented, with a final newline. Arrays whose items are all
  // scalars stay on one line.
  std::string dump() const;

 private:
  enum class Kind : uint8_t { Null, Bool, Number, String, Array, Object };
  explicit Json(Kind k) : kind_(k) {}
  bool scalar() const { return kind_ != Kind::Array && kind_ != Kind::Object; }
  void write(std::string& out, int indent) const;

  Kind kind_ = Kind::Null;
  bool bool_ = false;
  long long number_ = 0;
  std::string string_;
  std::vector<Json> items_;
  std::vector<std::pair<std::string, Json>> fields_;
};

// `s` as a JSON string literal, quotes included.
std::string json_quote(const std::string& s);

}  // namespace netpolc::review
