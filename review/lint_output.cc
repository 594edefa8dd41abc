// The findings as text (like compiler diagnostics), JSON and SARIF 2.1.0.
#include <array>

#include "review/explain.h"
#include "review/lint.h"

namespace netpolc::review {

namespace {

Severity severity_of(LintLevel l) {
  switch (l) {
    case LintLevel::Error: return Severity::Error;
    case LintLevel::Warning: return Severity::Warning;
    case LintLevel::Note: return Severity::Note;
  }
  return Severity::Warning;
}

std::array<size_t, 3> counts(const std::vector<Finding>& findings) {
  std::array<size_t, 3> n = {0, 0, 0};
  for (const auto& f : findings) ++n[size_t(f.level)];
  return n;
}

// A SARIF artifact URI: relative paths stay relative (to %SRCROOT%).
std::string uri_of(const std::string& path) {
  std::string out = path.size() && path[0] == '/' ? "file://" : "";
  for (char c : path) {
    if (c == ' ') out += "%20";
    else if (c == '%') out += "%25";
    else out += c;
  }
  return out;
}

}  // namespace

std::string lint_text(const std::vector<Finding>& findings, const SourceFiles& sources) {
  std::string out;
  for (const auto& f : findings) {
    out += format_diagnostic({severity_of(f.level), f.loc, f.field, f.message + " [" + f.id + "]"}, sources);
    if (!f.fix.empty()) out += "    = fix: " + f.fix + "\n";
  }
  auto n = counts(findings);
  if (findings.empty()) return "lint: no findings\n";
  return out + "lint: " + std::to_string(n[0]) + (n[0] == 1 ? " error, " : " errors, ") + std::to_string(n[1]) +
         (n[1] == 1 ? " warning, " : " warnings, ") + std::to_string(n[2]) + (n[2] == 1 ? " note\n" : " notes\n");
}

Json lint_json(const std::vector<Finding>& findings) {
  Json root = Json::object();
  Json& list = root.set("findings", Json::array());
  for (const auto& f : findings) {
    Json& j = list.push(Json::object());
    j.set("id", f.id);
    j.set("check", find_lint_check(f.id)->name);
    j.set("level", lint_level_name(f.level));
    j.set("file", f.loc.file);
    j.set("line", f.loc.line);
    j.set("column", f.loc.col);
    j.set("field", f.field);
    j.set("message", f.message);
    j.set("fix", f.fix);
  }
  auto n = counts(findings);
  Json& c = root.set("counts", Json::object());
  c.set("error", n[0]);
  c.set("warning", n[1]);
  c.set("note", n[2]);
  return root;
}

Json lint_sarif(const std::vector<Finding>& findings) {
  Json root = Json::object();
  root.set("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
  root.set("version", "2.1.0");
  Json& run = root.set("runs", Json::array()).push(Json::object());
  Json& driver = run.set("tool", Json::object()).set("driver", Json::object());
  driver.set("name", "netpolc");
  driver.set("semanticVersion", "0.1.0");
  Json& rules = driver.set("rules", Json::array());
  const auto& checks = lint_checks();
  for (const auto& c : checks) {
    Json& r = rules.push(Json::object());
    r.set("id", c.id);
    r.set("name", c.name);
    r.set("shortDescription", Json::object()).set("text", c.title);
    r.set("help", Json::object())
        .set("text", std::string("See docs/lint.md, section ") + c.id + " " + c.name + ", for an example and its fix.");
    r.set("defaultConfiguration", Json::object()).set("level", lint_level_name(c.level));
  }
  Json& results = run.set("results", Json::array());
  for (const auto& f : findings) {
    Json& r = results.push(Json::object());
    r.set("ruleId", f.id);
    for (size_t i = 0; i < checks.size(); ++i)
      if (f.id == checks[i].id) r.set("ruleIndex", i);
    r.set("level", lint_level_name(f.level));
    std::string text = (f.field.empty() ? "" : f.field + ": ") + f.message;
    if (!f.fix.empty()) text += ". Fix: " + f.fix;
    r.set("message", Json::object()).set("text", text);
    Json& locations = r.set("locations", Json::array());
    if (f.loc.file.empty()) continue;
    Json& phys = locations.push(Json::object()).set("physicalLocation", Json::object());
    Json& art = phys.set("artifactLocation", Json::object());
    art.set("uri", uri_of(f.loc.file));
    if (f.loc.file[0] != '/') art.set("uriBaseId", "%SRCROOT%");
    if (f.loc.line > 0) {
      Json& region = phys.set("region", Json::object());
      region.set("startLine", f.loc.line);
      region.set("startColumn", f.loc.col > 0 ? f.loc.col : 1);
    }
  }
  run.set("columnKind", "unicodeCodePoints");
  return root;
}

}  // namespace netpolc::review
