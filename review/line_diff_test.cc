#include "review/line_diff.h"

#include <doctest/doctest.h>

using namespace netpolc::review;

TEST_CASE("equal texts have no diff") { CHECK(unified_diff("a\nb\n", "a\nb\n", "x", "y") == ""); }

TEST_CASE("a changed line in the middle, with context") {
  std::string a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  std::string b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  CHECK(unified_diff(a, b, "a", "b") == "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST_CASE("lines added to an empty text name line 0") {
  CHECK(unified_diff("", "x\ny\n", "a", "b") == "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n");
}

TEST_CASE("changes far apart make two hunks") {
  std::string a, b;
  for (int i = 1; i <= 20; ++i) {
    a += std::to_string(i) + "\n";
    b += (i == 2 ? "two" : i == 19 ? "nineteen" : std::to_string(i)) + "\n";
  }
  std::string d = unified_diff(a, b, "a", "b");
  CHECK(d.find("@@ -1,5 +1,5 @@") != std::string::npos);
  CHECK(d.find("@@ -16,5 +16,5 @@") != std::string::npos);
}

TEST_CASE("the edit script is a shortest one") {
  auto d = diff_lines({"a", "b", "c", "a", "b", "b", "a"}, {"c", "b", "a", "b", "a", "c"});
  size_t edits = 0;
  for (const auto& l : d) edits += l.op != LineOp::Same;
  CHECK(edits == 5);  // Myers' paper: D = 5 for ABCABBA -> CBABAC
}
