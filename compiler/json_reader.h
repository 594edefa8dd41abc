// JSON into documents, with simdjson's on-demand parser: the text is read
// once, in place, and only the document model is built.
#pragma once

#include <optional>
#include <string>

#include "compiler/document.h"

namespace netpolc {

// Whether `text` starts (after white space) like a JSON object or array.
bool looks_like_json(const std::string& text);

// The document of a strict JSON text (RFC 8259, one object or array nested
// at most kMaxDepth levels), or nullopt for anything else, to be read as
// YAML instead: YAML reads every JSON document the same way, and gives a
// located message for what is neither (simdjson's errors have no position).
// Strings are quoted scalars; numbers, true and false plain ones.
std::optional<Document> read_json(const std::string& text);

}  // namespace netpolc
