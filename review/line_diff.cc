#include "review/line_diff.h"

#include <algorithm>
#include <cassert>

namespace netpolc::review {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

namespace {

// Myers' greedy forward search on a[lo_a, hi_a) and b[lo_b, hi_b); the middle
// left after common prefix and suffix are taken off.
void myers(const std::vector<std::string>& a, const std::vector<std::string>& b, size_t lo_a, size_t hi_a,
           size_t lo_b, size_t hi_b, std::vector<DiffLine>& out) {
  const long n = long(hi_a - lo_a), m = long(hi_b - lo_b), max = n + m;
  if (max == 0) return;
  auto A = [&](long i) -> const std::string& { return a[lo_a + size_t(i)]; };
  auto B = [&](long j) -> const std::string& { return b[lo_b + size_t(j)]; };
  std::vector<long> v(size_t(2 * max + 2), 0);
  auto V = [&](long k) -> long& { return v[size_t(k + max + 1)]; };
  // trace[d] holds V[-d..d] as it was after step d.
  std::vector<std::vector<long>> trace;
  long found = -1;
  for (long d = 0; d <= max && found < 0; ++d) {
    for (long k = -d; k <= d; k += 2) {
      long x = (k == -d || (k != d && V(k - 1) < V(k + 1))) ? V(k + 1) : V(k - 1) + 1;
      long y = x - k;
      while (x < n && y < m && A(x) == B(y)) ++x, ++y;
      V(k) = x;
      if (x >= n && y >= m) found = d;
    }
    trace.emplace_back(v.begin() + (max + 1 - d), v.begin() + (max + 1 + d + 1));
  }
  assert(found >= 0);
  // Walk back from (n, m), collecting the script in reverse.
  std::vector<DiffLine> rev;
  long x = n, y = m;
  for (long d = found; d > 0; --d) {
    const auto& prev = trace[size_t(d - 1)];  // V[-(d-1)..d-1]
    auto P = [&](long k) { return prev[size_t(k + d - 1)]; };
    long k = x - y;
    long pk = (k == -d || (k != d && P(k - 1) < P(k + 1))) ? k + 1 : k - 1;
    long px = P(pk), py = px - pk;
    while (x > px && y > py) rev.push_back({LineOp::Same, A(--x)}), --y;
    if (pk == k + 1) rev.push_back({LineOp::Insert, B(--y)});
    else rev.push_back({LineOp::Delete, A(--x)});
  }
  while (x > 0 && y > 0) rev.push_back({LineOp::Same, A(--x)}), --y;
  out.insert(out.end(), rev.rbegin(), rev.rend());
}

}  // namespace

std::vector<DiffLine> diff_lines(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre && a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) ++suf;
  std::vector<DiffLine> out;
  for (size_t i = 0; i < pre; ++i) out.push_back({LineOp::Same, a[i]});
  myers(a, b, pre, a.size() - suf, pre, b.size() - suf, out);
  for (size_t i = a.size() - suf; i < a.size(); ++i) out.push_back({LineOp::Same, a[i]});
  return out;
}

std::string unified_diff(const std::string& a_text, const std::string& b_text, const std::string& a_name,
                         const std::string& b_name, size_t context) {
  std::vector<DiffLine> lines = diff_lines(split_lines(a_text), split_lines(b_text));
  std::vector<size_t> changed;
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].op != LineOp::Same) changed.push_back(i);
  if (changed.empty()) return {};
  std::string out = "--- " + a_name + "\n+++ " + b_name + "\n";
  // Line numbers (1-based) in a and b before each script line.
  std::vector<size_t> line_a(lines.size() + 1, 1), line_b(lines.size() + 1, 1);
  for (size_t i = 0; i < lines.size(); ++i) {
    line_a[i + 1] = line_a[i] + (lines[i].op != LineOp::Insert);
    line_b[i + 1] = line_b[i] + (lines[i].op != LineOp::Delete);
  }
  for (size_t c = 0; c < changed.size();) {
    size_t begin = changed[c] > context ? changed[c] - context : 0;
    size_t last = changed[c];
    while (c + 1 < changed.size() && changed[c + 1] <= last + 2 * context + 1) last = changed[++c];
    ++c;
    size_t end = std::min(lines.size(), last + context + 1);
    size_t count_a = line_a[end] - line_a[begin], count_b = line_b[end] - line_b[begin];
    // diff -u names the line before an empty range.
    size_t start_a = count_a ? line_a[begin] : line_a[begin] - 1;
    size_t start_b = count_b ? line_b[begin] : line_b[begin] - 1;
    out += "@@ -" + std::to_string(start_a) + "," + std::to_string(count_a) + " +" + std::to_string(start_b) + "," +
           std::to_string(count_b) + " @@\n";
    for (size_t i = begin; i < end; ++i) out += char(lines[i].op) + lines[i].text + "\n";
  }
  return out;
}

}  // namespace netpolc::review
