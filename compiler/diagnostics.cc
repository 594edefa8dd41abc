#include "compiler/diagnostics.h"

#include <algorithm>

namespace netpolc {

bool Diagnostics::has_errors() const { return error_count() > 0; }

size_t Diagnostics::error_count() const {
  return size_t(std::count_if(items_.begin(), items_.end(),
                              [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}

const std::string* SourceFiles::text(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

std::string SourceFiles::line(const std::string& name, int line) const {
  const std::string* t = text(name);
  if (!t || line <= 0) return {};
  size_t pos = 0;
  for (int i = 1; i < line; ++i) {
    pos = t->find('\n', pos);
    if (pos == std::string::npos) return {};
    ++pos;
  }
  size_t end = t->find('\n', pos);
  std::string s = t->substr(pos, end == std::string::npos ? std::string::npos : end - pos);
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

std::string format_diagnostic(const Diagnostic& d, const SourceFiles& sources) {
  std::string out;
  if (!d.loc.file.empty()) {
    out += d.loc.file;
    if (d.loc.line > 0) out += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col);
    out += ": ";
  }
  out += severity_name(d.severity);
  out += ": ";
  if (!d.field.empty()) out += d.field + ": ";
  out += d.message + "\n";
  std::string text = sources.line(d.loc.file, d.loc.line);
  if (!text.empty() && d.loc.col > 0) {
    std::string num = std::to_string(d.loc.line);
    out += " " + num + " | " + text + "\n";
    out += " " + std::string(num.size(), ' ') + " | ";
    // Keep tabs in the gutter so the caret lines up under them.
    for (int i = 0; i + 1 < d.loc.col && i < int(text.size()); ++i)
      out += text[size_t(i)] == '\t' ? '\t' : ' ';
    int len = std::max(1, std::min<int>(d.loc.length, int(text.size()) - d.loc.col + 1));
    out += "^" + std::string(size_t(len - 1), '~') + "\n";
  }
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
