#include "review/json.h"

#include <cassert>
#include <cstdio>

namespace netpolc::review {

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  return out + "\"";
}

Json Json::strings(const std::vector<std::string>& items) {
  Json a = array();
  for (const auto& s : items) a.push(s);
  return a;
}

Json& Json::push(Json item) {
  assert(kind_ == Kind::Array);
  items_.push_back(std::move(item));
  return items_.back();
}

Json& Json::set(const std::string& key, Json value) {
  assert(kind_ == Kind::Object);
  for (auto& [k, v] : fields_)
    if (k == key) return v = std::move(value);
  fields_.emplace_back(key, std::move(value));
  return fields_.back().second;
}

std::string Json::dump() const {
  std::string out;
  write(out, 0);
  return out + "\n";
}

void Json::write(std::string& out, int indent) const {
  std::string pad(size_t(indent + 2), ' ');
  switch (kind_) {
    case Kind::Null: out += "null"; return;
    case Kind::Bool: out += bool_ ? "true" : "false"; return;
    case Kind::Number: out += std::to_string(number_); return;
    case Kind::String: out += json_quote(string_); return;
    case Kind::Array: {
      if (items_.empty()) {
        out += "[]";
        return;
      }
      bool flat = true;
      for (const auto& i : items_) flat = flat && i.scalar();
      out += "[";
      for (size_t i = 0; i < items_.size(); ++i) {
        out += i ? (flat ? ", " : ",\n" + pad) : (flat ? "" : "\n" + pad);
        items_[i].write(out, indent + 2);
      }
      out += flat ? "]" : "\n" + std::string(size_t(indent), ' ') + "]";
      return;
    }
    case Kind::Object: {
      if (fields_.empty()) {
        out += "{}";
        return;
      }
      out += "{";
      for (size_t i = 0; i < fields_.size(); ++i) {
        out += (i ? ",\n" : "\n") + pad + json_quote(fields_[i].first) + ": ";
        fields_[i].second.write(out, indent + 2);
      }
      out += "\n" + std::string(size_t(indent), ' ') + "}";
      return;
    }
  }
}

}  // namespace netpolc::review
