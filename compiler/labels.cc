#include "compiler/labels.h"

#include <algorithm>

namespace netpolc {

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], the shape of label names and values.
static bool is_label_word(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
static bool is_dns_label_word(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_lower_alnum(c) || c == '-'; });
}

// One or more DNS labels joined by '.'.
static bool is_dns_subdomain_word(std::string_view s) {
  while (true) {
    size_t dot = s.find('.');
    if (!is_dns_label_word(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

static const char kWordShape[] =
    "consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit";

std::optional<std::string> check_label_key(std::string_view key) {
  if (key.empty()) return "must not be empty";
  size_t slash = key.find('/');
  if (slash != std::string_view::npos && key.find('/', slash + 1) != std::string_view::npos)
    return "must be a name with an optional DNS subdomain prefix and '/', such as "
           "example.com/my-name";
  std::string_view name = key;
  std::string part = "";
  if (slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    part = "name part ";
    if (prefix.empty()) return "prefix before '/' must not be empty";
    if (prefix.size() > 253) return "prefix must be no more than 253 characters";
    if (!is_dns_subdomain_word(prefix))
      return "prefix must be a lower-case DNS subdomain, such as example.com";
    if (name.empty()) return "name part after '/' must not be empty";
  }
  if (name.size() > 63) return part + "must be no more than 63 characters";
  if (!is_label_word(name)) return part + "must " + kWordShape;
  return std::nullopt;
}

std::optional<std::string> check_label_value(std::string_view value) {
  if (value.size() > 63) return "must be no more than 63 characters";
  if (!value.empty() && !is_label_word(value)) return std::string("must be empty or ") + kWordShape;
  return std::nullopt;
}

std::optional<std::string> check_dns1123_label(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 63) return "must be no more than 63 characters";
  if (!is_dns_label_word(name))
    return "must consist of lower-case letters, digits and '-', and start and end with a letter "
           "or digit";
  return std::nullopt;
}

std::optional<std::string> check_dns1123_subdomain(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 253) return "must be no more than 253 characters";
  if (!is_dns_subdomain_word(name))
    return "must consist of lower-case letters, digits, '-' and '.', and start and end with a "
           "letter or digit";
  return std::nullopt;
}

std::optional<std::string> check_port_name(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 15) return "must be no more than 15 characters";
  if (!std::all_of(name.begin(), name.end(), [](char c) { return is_lower_alnum(c) || c == '-'; }))
    return "must contain only lower-case letters, digits and '-'";
  if (!std::any_of(name.begin(), name.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
    return "must contain at least one letter";
  if (name.find("--") != std::string_view::npos) return "must not contain '--'";
  if (name.front() == '-' || name.back() == '-') return "must not begin or end with '-'";
  return std::nullopt;
}

bool requirement_matches(const LabelRequirement& req, const Labels& labels) {
  auto it = labels.find(req.key);
  bool present = it != labels.end();
  auto listed = [&] {
    return present &&
           std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
  };
  switch (req.op) {
    case LabelRequirement::Op::In: return listed();
    case LabelRequirement::Op::NotIn: return !listed();
    case LabelRequirement::Op::Exists: return present;
    case LabelRequirement::Op::DoesNotExist: return !present;
  }
  return false;
}

bool selector_matches(const LabelSelector& selector, const Labels& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return std::all_of(selector.match_expressions.begin(), selector.match_expressions.end(),
                     [&](const LabelRequirement& r) { return requirement_matches(r, labels); });
}

}  // namespace netpolc
