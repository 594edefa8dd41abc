// netpolc lint: inputs -> parse -> resolve -> every check -> print.
#include <memory>

#include "cli/commands.h"
#include "cli/review_options.h"
#include "compiler/resolve.h"
#include "review/lint.h"

namespace netpolc {

namespace {

struct LintCmdOptions {
  InputOptions inputs;
  std::string format;
  std::string fail_on = "error";
  std::string output;
};

int run_lint(const LintCmdOptions& opt) {
  SourceFiles sources;
  Diagnostics diags;
  auto in = load_reported(opt.inputs, sources, diags);
  if (!in) return 1;
  // The resolver's own warnings (hostNetwork pods) are findings here.
  Diagnostics resolve_diags;
  Program prog = resolve(in->cluster, in->policies, ResolveOptions{}, resolve_diags);
  auto findings = review::lint(in->cluster, in->policies, prog);
  std::string text = opt.format == "json"    ? review::lint_json(findings).dump()
                     : opt.format == "sarif" ? review::lint_sarif(findings).dump()
                                             : review::lint_text(findings, sources);
  if (!write_output(opt.output, text)) return 1;
  int threshold = opt.fail_on == "never" ? -1 : opt.fail_on == "note" ? 2 : opt.fail_on == "warning" ? 1 : 0;
  for (const auto& f : findings)
    if (int(f.level) <= threshold) return 1;
  return 0;
}

}  // namespace

CommandRun setup_lint(CLI::App& sub) {
  auto opt = std::make_shared<LintCmdOptions>();
  add_input_options(sub, opt->inputs);
  add_format_option(sub, opt->format, {"text", "json", "sarif"});
  sub.add_option("--fail-on", opt->fail_on, "exit with 1 when a finding of this level or above is found")
      ->check(CLI::IsMember({"error", "warning", "note", "never"}))
      ->capture_default_str();
  sub.add_option("-o,--output", opt->output, "output file (default: stdout)");
  return [opt] { return run_lint(*opt); };
}

}  // namespace netpolc
