// netpolc suggest: inputs and observed flows -> parse -> the rules the denied
// flows need -> YAML, read back by the policy parser -> written whole, with
// the reachability it opens (review's flow diff) on stderr.
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/pipeline.h"
#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "review/flow_diff.h"
#include "suggest/suggestion_yaml.h"

namespace netpolc {

namespace {

struct SuggestCmdOptions {
  InputOptions inputs;
  std::string flows;
  std::string output;
  std::string diff = "text";
  bool allow_icmp = false;
};

std::string joined(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

std::vector<std::string> header(const SuggestCmdOptions& opt, const suggest::ObservedFlows& flows,
                                const suggest::Suggestion& s) {
  return {"Suggested by `netpolc suggest` (docs/suggest.md): NetworkPolicy allow rules for the flows",
          "observed denied (mode " + flows.mode + ") in " + opt.flows + ",",
          "on top of the policies " + joined(opt.inputs.policies) + " and the snapshot " + joined(opt.inputs.snapshots) + ".",
          std::to_string(flows.flows.size()) + " observed flows: " + std::to_string(s.used) + " allowed by " +
              std::to_string(s.policies.size()) + " policies below, " + std::to_string(s.skipped) +
              " skipped (see the warnings). Review before committing."};
}

int run_suggest(const SuggestCmdOptions& opt) {
  SourceFiles sources;
  Diagnostics diags;
  auto in = load_inputs(opt.inputs, sources, diags);
  std::optional<suggest::ObservedFlows> flows;
  auto files = read_inputs({opt.flows}, diags, sources);
  if (files.size() > 1) diags.error({opt.flows}, "", "--from-observed takes one file, not a directory");
  else if (files.size() == 1) flows = suggest::read_observed_flows(files[0], diags);
  if (!in || !flows || diags.has_errors()) {
    print_diagnostics(diags, sources);
    return 1;
  }
  suggest::SuggestOptions sopt;
  sopt.allow_icmp_as_all_ports = opt.allow_icmp;
  suggest::Suggestion s = suggest::suggest_policies(in->cluster, in->policies, *flows, sopt, diags);
  std::string yaml = suggest::suggestion_yaml(s, header(opt, *flows, s));

  // What is written must be what the policy parser reads.
  std::string name = opt.output.empty() || opt.output == "-" ? "<suggestion>" : opt.output;
  sources.add(name, yaml);
  PolicySet suggested = parse_policies({{name, yaml}}, diags);
  if (diags.has_errors() || suggested.policies.size() != s.policies.size()) {
    diags.error({name}, "", "internal error: the suggestion does not read back as the policies it should be");
    print_diagnostics(diags, sources);
    return 1;
  }
  print_diagnostics(diags, sources);
  if (!write_output(opt.output, yaml)) return 1;

  if (opt.diff != "none") {
    PolicySet after = suggest::with_suggested(in->policies, suggested);
    review::DiffOptions dopt;
    dopt.compiled = false;
    review::FlowDiff d = review::diff_flows({&in->cluster, &in->policies}, {&in->cluster, &after}, dopt);
    std::cerr << "\nwhat the suggestion opens (netpolc diff of the policies without and with it):\n"
              << (opt.diff == "markdown" ? review::diff_markdown(d) : review::diff_text(d));
  }
  return 0;
}

}  // namespace

CommandRun setup_suggest(CLI::App& sub) {
  auto opt = std::make_shared<SuggestCmdOptions>();
  add_input_options(sub, opt->inputs);
  sub.add_option("--from-observed", opt->flows, "the flows `netpolc observe --output json` wrote (JSON or YAML; - for stdin)")
      ->required();
  sub.add_option("-o,--output", opt->output, "output file, written whole or not at all (default: stdout)");
  sub.add_option("--diff", opt->diff, "the reachability the suggestion opens, on stderr")
      ->check(CLI::IsMember({"text", "markdown", "none"}))
      ->capture_default_str();
  sub.add_flag("--allow-icmp-as-all-ports", opt->allow_icmp,
               "allow ICMP flows with a rule without ports, which allows every protocol and port to that peer "
               "(NetworkPolicy cannot allow ICMP alone); without it ICMP flows are skipped with a warning");
  return [opt] { return run_suggest(*opt); };
}

}  // namespace netpolc
