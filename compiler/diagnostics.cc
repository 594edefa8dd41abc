#include "compiler/diagnostics.h"

#include <algorithm>

namespace netpolc {

void SourceFiles::add(const std::string& name, SharedText text) {
  File& f = files_[name];
  f.text = std::move(text);
  f.line_starts.clear();
}

const std::string* SourceFiles::text(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second.text.str();
}

std::string SourceFiles::line(const std::string& name, int line) const {
  auto it = files_.find(name);
  if (it == files_.end() || line <= 0) return {};
  const std::string& t = it->second.text;
  std::vector<size_t>& starts = it->second.line_starts;
  if (starts.empty()) {
    starts.push_back(0);
    for (size_t i = 0; i < t.size(); ++i)
      if (t[i] == '\n') starts.push_back(i + 1);
  }
  if (size_t(line) > starts.size()) return {};
  size_t pos = starts[size_t(line - 1)];
  size_t end = t.find('\n', pos);
  std::string s = t.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

static const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

namespace {

// Diagnostics quote what the input holds, which may be a scalar of a hundred
// megabytes: messages and quoted lines are cut to a readable size.
constexpr size_t kMaxMessage = 1000;
constexpr size_t kMaxQuotedLine = 200;

// A message or field path on one line, whatever the input put in the values
// it quotes: control characters escaped as C does, the middle of a long one
// cut out.
std::string printable(const std::string& s, size_t max) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (u < 0x20 || u == 0x7f) out += "\\x" + std::string{"0123456789abcdef"[u >> 4], "0123456789abcdef"[u & 15]};
    else out += c;
  }
  if (out.size() <= max) return out;
  size_t keep = (max - 5) / 2;
  return out.substr(0, keep) + "[...]" + out.substr(out.size() - keep);
}

// The source line and its caret line (" 14 |     podSelector:"), the line cut
// to a window around the caret when it is long.
std::string quote_line(const std::string& line, const SourceLoc& loc) {
  size_t col = size_t(loc.col - 1);
  size_t first = 0;
  std::string text = line;
  if (text.size() > kMaxQuotedLine) {
    first = col > kMaxQuotedLine / 2 ? std::min(col, text.size()) - kMaxQuotedLine / 2 : 0;
    text = (first > 0 ? "..." : "") + text.substr(first, kMaxQuotedLine) +
           (first + kMaxQuotedLine < line.size() ? "..." : "");
    col = col - first + (first > 0 ? 3 : 0);
  }
  std::string num = std::to_string(loc.line);
  std::string out = " " + num + " | " + text + "\n";
  out += " " + std::string(num.size(), ' ') + " | ";
  // Keep tabs in the gutter so the caret lines up under them.
  for (size_t i = 0; i < col && i < text.size(); ++i) out += text[i] == '\t' ? '\t' : ' ';
  long room = long(text.size()) - long(col);
  int len = int(std::max(1L, std::min<long>(loc.length, room)));
  out += "^" + std::string(size_t(len - 1), '~') + "\n";
  return out;
}

}  // namespace

std::string format_diagnostic(const Diagnostic& d, const SourceFiles& sources) {
  std::string out;
  if (!d.loc.file.empty()) {
    out += d.loc.file;
    if (d.loc.line > 0) out += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col);
    out += ": ";
  }
  out += severity_name(d.severity);
  out += ": ";
  if (!d.field.empty()) out += printable(d.field, kMaxMessage) + ": ";
  out += printable(d.message, kMaxMessage) + "\n";
  std::string text = sources.line(d.loc.file, d.loc.line);
  if (!text.empty() && d.loc.col > 0) out += quote_line(text, d.loc);
  return out;
}

std::string format_diagnostics(const Diagnostics& diags, const SourceFiles& sources) {
  std::string out;
  for (const auto& d : diags.items()) out += format_diagnostic(d, sources);
  return out;
}

static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) s += sep;
    s += items[i];
  }
  return s;
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

}  // namespace netpolc
