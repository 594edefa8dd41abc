// The suggestion as YAML ready to commit: networking.k8s.io/v1
// NetworkPolicy documents, a comment header saying where they came from, and
// comments above each policy and rule naming the flows behind it and any
// warning. parse_policies reads it back to the same policies.
#pragma once

#include <string>
#include <vector>

#include "suggest/suggest.h"

namespace netpolc::suggest {

// `header`: comment lines for the top of the file (without "# ").
std::string suggestion_yaml(const Suggestion& s, const std::vector<std::string>& header);

}  // namespace netpolc::suggest
