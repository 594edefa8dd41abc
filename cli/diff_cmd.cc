// netpolc diff: both inputs -> parse -> evaluate every flow in both worlds ->
// group the changes -> print, with the compiled rules diffed underneath.
#include <memory>

#include "cli/commands.h"
#include "cli/review_options.h"
#include "review/flow_diff.h"

namespace netpolc {

namespace {

struct DiffCmdOptions {
  InputOptions before;
  std::vector<std::string> snapshots2, policies2;
  std::vector<std::string> ports;
  std::string format;
  std::string family;
  bool exit_code = false;
  bool no_compiled = false;
  std::string output;
};

int run_diff(const DiffCmdOptions& opt) {
  if (opt.snapshots2.empty() && opt.policies2.empty()) {
    Diagnostics usage;
    usage.error({"--policies2"}, "", "nothing to compare with: give the second policy set (--policies2, -p2), "
                                     "the second snapshot (--snapshot2, -s2), or both");
    print_diagnostics(usage, {});
    return 2;
  }
  InputOptions after{opt.snapshots2.empty() ? opt.before.snapshots : opt.snapshots2,
                     opt.policies2.empty() ? opt.before.policies : opt.policies2};
  SourceFiles sources;
  Diagnostics diags;
  auto old_in = load_reported(opt.before, sources, diags);
  if (!old_in) return 1;
  Diagnostics diags2;
  auto new_in = load_reported(after, sources, diags2);
  if (!new_in) return 1;
  Diagnostics args;
  review::DiffOptions dopt;
  dopt.extra_probes = parse_probes(opt.ports, "--port", args);
  dopt.families = families_of(opt.family);
  dopt.compiled = !opt.no_compiled;
  print_diagnostics(args, sources);
  if (args.has_errors()) return 2;
  review::FlowDiff d = review::diff_flows({&old_in->cluster, &old_in->policies},
                                          {&new_in->cluster, &new_in->policies}, dopt);
  std::string text = opt.format == "json"       ? review::diff_json(d).dump()
                     : opt.format == "markdown" ? review::diff_markdown(d)
                                                : review::diff_text(d);
  if (!write_output(opt.output, text)) return 1;
  return opt.exit_code && d.changed() ? 1 : 0;
}

}  // namespace

CommandRun setup_diff(CLI::App& sub) {
  auto opt = std::make_shared<DiffCmdOptions>();
  add_input_options(sub, opt->before);
  sub.add_option("--snapshot2", opt->snapshots2, "the second snapshot (default: the first; alias -s2, repeatable)");
  sub.add_option("--policies2", opt->policies2, "the second policy set (default: the first; alias -p2, repeatable)");
  sub.add_option("--port", opt->ports, "PORT/PROTOCOL or ICMP to probe on every destination too (repeatable)");
  add_format_option(sub, opt->format, {"text", "markdown", "json"});
  add_markdown_flag(sub, opt->format);
  add_family_option(sub, opt->family);
  sub.add_flag("--exit-code", opt->exit_code, "exit with 1 when flows change");
  sub.add_flag("--no-compiled", opt->no_compiled, "leave out the diff of the compiled nft rules");
  sub.add_option("-o,--output", opt->output, "output file (default: stdout)");
  return [opt] { return run_diff(*opt); };
}

}  // namespace netpolc
