// netpolc matrix: inputs -> parse -> evaluate every pair -> fold -> print.
#include <memory>

#include "cli/commands.h"
#include "cli/review_options.h"
#include "review/matrix.h"

namespace netpolc {

namespace {

struct MatrixCmdOptions {
  InputOptions inputs;
  std::vector<std::string> ports;
  std::vector<std::string> externals;
  std::string format;
  std::string family;
  bool no_group = false;
  std::string output;
};

int run_matrix(const MatrixCmdOptions& opt) {
  SourceFiles sources;
  Diagnostics diags;
  auto in = load_reported(opt.inputs, sources, diags);
  if (!in) return 1;
  Diagnostics args;
  review::MatrixOptions mo;
  mo.probes = parse_probes(opt.ports, "--port", args);
  mo.externals = parse_externals(opt.externals, "--external", in->cluster, args);
  mo.group = !opt.no_group;
  mo.families = families_of(opt.family);
  print_diagnostics(args, sources);
  if (args.has_errors()) return 2;
  review::Matrix m = review::build_matrix(in->cluster, in->policies, mo);
  std::string text = opt.format == "json"       ? review::matrix_json(m).dump()
                     : opt.format == "markdown" ? review::matrix_markdown(m)
                                                : review::matrix_text(m);
  return write_output(opt.output, text) ? 0 : 1;
}

}  // namespace

CommandRun setup_matrix(CLI::App& sub) {
  auto opt = std::make_shared<MatrixCmdOptions>();
  add_input_options(sub, opt->inputs);
  sub.add_option("--port", opt->ports, "PORT/PROTOCOL or ICMP to show (repeatable; default: every declared port)");
  sub.add_option("--external", opt->externals, "an address outside the cluster to add as a row and column (repeatable)");
  add_format_option(sub, opt->format, {"text", "json", "markdown"});
  add_markdown_flag(sub, opt->format);
  add_family_option(sub, opt->family);
  sub.add_flag("--no-group", opt->no_group, "one row and column per pod, nothing folded");
  sub.add_option("-o,--output", opt->output, "output file (default: stdout)");
  return [opt] { return run_matrix(*opt); };
}

}  // namespace netpolc
