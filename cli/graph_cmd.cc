// netpolc graph: inputs -> parse -> resolve -> evaluate -> fold -> DOT,
// Mermaid, or SVG through Graphviz.
#include <memory>

#include "cli/commands.h"
#include "cli/review_options.h"
#include "cli/run_program.h"
#include "compiler/resolve.h"
#include "review/graph.h"

namespace netpolc {

namespace {

struct GraphCmdOptions {
  InputOptions inputs;
  std::vector<std::string> ports;
  std::string format;
  std::string family;
  std::string output;
};

int run_graph(const GraphCmdOptions& opt) {
  SourceFiles sources;
  Diagnostics diags;
  auto in = load_reported(opt.inputs, sources, diags);
  if (!in) return 1;
  Diagnostics args;
  review::GraphOptions go;
  go.extra_probes = parse_probes(opt.ports, "--port", args);
  go.families = families_of(opt.family);
  print_diagnostics(args, sources);
  if (args.has_errors()) return 2;
  Diagnostics resolve_diags;
  Program prog = resolve(in->cluster, in->policies, ResolveOptions{}, resolve_diags);
  review::Graph g = review::build_graph(in->cluster, in->policies, prog, go);
  std::string text = opt.format == "mermaid" ? review::graph_mermaid(g) : review::graph_dot(g);
  if (opt.format == "svg") {
    std::string svg, error;
    if (!run_filter({"dot", "-Tsvg"}, text, &svg, &error)) {
      std::cerr << "graph: error: " << error
                << "\n  (SVG needs Graphviz: apt-get install graphviz; or use --format dot)\n";
      return 1;
    }
    text = svg;
  }
  return write_output(opt.output, text) ? 0 : 1;
}

}  // namespace

CommandRun setup_graph(CLI::App& sub) {
  auto opt = std::make_shared<GraphCmdOptions>();
  add_input_options(sub, opt->inputs);
  sub.add_option("--port", opt->ports, "PORT/PROTOCOL or ICMP to probe besides the declared and named ports (repeatable)");
  add_format_option(sub, opt->format, {"dot", "mermaid", "svg"});
  add_family_option(sub, opt->family);
  sub.add_option("-o,--output", opt->output, "output file (default: stdout)");
  return [opt] { return run_graph(*opt); };
}

}  // namespace netpolc
