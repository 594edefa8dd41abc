// Kubernetes names and labels: the syntax checks of
// k8s.io/apimachinery/pkg/util/validation, and label selector matching as
// k8s.io/apimachinery/pkg/labels does it.
//
// Each check returns why the text is invalid (lower case, no final period, to
// follow `invalid label key "x": `), or nullopt when it is valid.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/ir.h"

namespace netpolc {

// A label or annotation key (IsQualifiedName): an optional DNS-1123 subdomain
// prefix of at most 253 characters and "/", then a name of at most 63
// characters matching ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9].
std::optional<std::string> check_label_key(std::string_view key);

// A label value (IsValidLabelValue): empty, or at most 63 characters with the
// charset and ends of a key's name part.
std::optional<std::string> check_label_value(std::string_view value);

// A DNS-1123 label (IsDNS1123Label), as namespace names are: at most 63
// characters, lower-case letters, digits and '-', starting and ending with a
// letter or digit.
std::optional<std::string> check_dns1123_label(std::string_view name);

// A DNS-1123 subdomain (IsDNS1123Subdomain), as object names are: at most 253
// characters, DNS-1123 labels joined by '.'.
std::optional<std::string> check_dns1123_subdomain(std::string_view name);

// A named port (IsValidPortName, IANA_SVC_NAME): at most 15 characters of
// lower-case letters, digits and '-', at least one letter, no leading,
// trailing or doubled '-'.
std::optional<std::string> check_port_name(std::string_view name);

// One matchExpressions entry against a set of labels:
//   In           the key is present and its value is one of `values`
//   NotIn        the key is absent, or its value is none of `values`
//   Exists       the key is present
//   DoesNotExist the key is absent
bool requirement_matches(const LabelRequirement& req, const Labels& labels);

// matchLabels and matchExpressions, all ANDed. The empty selector matches
// every set of labels.
bool selector_matches(const LabelSelector& selector, const Labels& labels);

}  // namespace netpolc
