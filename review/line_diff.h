// A line diff of two texts (Myers' O(ND) algorithm), printed as a unified
// diff, for the compiled rules under `netpolc diff`.
#pragma once

#include <string>
#include <vector>

namespace netpolc::review {

enum class LineOp : char { Same = ' ', Delete = '-', Insert = '+' };

struct DiffLine {
  LineOp op = LineOp::Same;
  std::string text;
};

// A shortest edit script turning `a` into `b`, line by line.
std::vector<DiffLine> diff_lines(const std::vector<std::string>& a, const std::vector<std::string>& b);

std::vector<std::string> split_lines(const std::string& text);

// `diff -u` style: "--- a_name", "+++ b_name", then hunks with `context`
// unchanged lines around each change. Empty when the texts are equal.
std::string unified_diff(const std::string& a, const std::string& b, const std::string& a_name,
                         const std::string& b_name, size_t context = 3);

}  // namespace netpolc::review
