// netpolc compile: inputs -> parse -> resolve -> emit -> write.
#include <cctype>
#include <iostream>
#include <memory>

#include "backends/iptables_text.h"
#include "backends/nft_text.h"
#include "cli/commands.h"
#include "cli/pipeline.h"
#include "compiler/resolve.h"

namespace netpolc {

namespace {

struct CompileOptions {
  InputOptions inputs;
  std::string backend = "nft";
  std::string endpoint;
  std::string dns_carve_out = "none";
  std::string table = "netpolc";
  bool table_given = false;
  std::string output;
  std::string ipset_output;
};

// -b iptables|ip6tables: the rules to -o, the ipsets (if asked for) to
// --ipset-out; nothing is written unless both can be.
int write_iptables(const CompileOptions& opt, const Program& prog, const Cluster& cluster, const NftOptions& nft) {
  IptablesOptions ipt;
  ipt.family = opt.backend == "ip6tables" ? Family::V6 : Family::V4;
  ipt.target = nft.target;
  ipt.endpoint_pod = nft.endpoint_pod;
  ipt.dns_carve_out = nft.dns_carve_out;
  ipt.ipset = !opt.ipset_output.empty();
  IptablesOutput out = emit_iptables(prog, cluster, ipt);
  if (ipt.ipset && !write_output(opt.ipset_output, out.ipsets)) return 1;
  return write_output(opt.output, out.rules) ? 0 : 1;
}

int run_compile(const CompileOptions& opt) {
  const bool nft_backend = opt.backend == "nft";
  if (nft_backend && !opt.ipset_output.empty()) {
    std::cerr << "error: --ipset-out needs -b iptables or -b ip6tables\n";
    return 2;
  }
  if (!nft_backend && opt.table_given) {
    std::cerr << "error: --table names the nftables table; -b " << opt.backend << " has none\n";
    return 2;
  }
  if (!opt.ipset_output.empty() && opt.ipset_output == opt.output) {
    std::cerr << "error: --ipset-out and -o name the same file\n";
    return 2;
  }
  SourceFiles sources;
  Diagnostics diags;
  auto in = load_inputs(opt.inputs, sources, diags);
  if (!in) {
    print_diagnostics(diags, sources);
    return 1;
  }
  NftOptions nft;
  nft.table = opt.table;
  nft.dns_carve_out = opt.dns_carve_out == "cluster";
  if (!opt.endpoint.empty()) {
    long pod = find_pod(in->cluster, opt.endpoint, diags);
    if (pod >= 0 && !in->cluster.pods[size_t(pod)].enforced())
      diags.error({"--endpoint"}, "", "pod " + opt.endpoint +
                                          " is not enforced (hostNetwork, no IP, or finished)");
    nft.target = Target::Endpoint;
    nft.endpoint_pod = pod < 0 ? 0 : size_t(pod);
  }
  Program prog = resolve(in->cluster, in->policies, ResolveOptions{}, diags);
  print_diagnostics(diags, sources);
  if (diags.has_errors()) return 1;
  if (!nft_backend) return write_iptables(opt, prog, in->cluster, nft);
  return write_output(opt.output, emit_nft(prog, in->cluster, nft)) ? 0 : 1;
}

}  // namespace

void add_input_options(CLI::App& sub, InputOptions& in) {
  sub.add_option("-s,--snapshot", in.snapshots, "cluster snapshot: kubectl YAML/JSON or a lab inventory (repeatable)")
      ->required();
  sub.add_option("-p,--policies", in.policies, "NetworkPolicy file, directory or - for stdin (repeatable)")
      ->required();
}

CommandRun setup_compile(CLI::App& sub) {
  auto opt = std::make_shared<CompileOptions>();
  add_input_options(sub, opt->inputs);
  sub.add_option("-b,--backend", opt->backend, "output format")
      ->check(CLI::IsMember({"nft", "iptables", "ip6tables"}))
      ->capture_default_str();
  sub.add_option("--endpoint", opt->endpoint, "the ruleset for the host that is this pod (NS/POD)");
  sub.add_option("--dns-carve-out", opt->dns_carve_out, "let every pod reach the cluster DNS on 53")
      ->check(CLI::IsMember({"none", "cluster"}))
      ->capture_default_str();
  auto* table = sub.add_option("--table", opt->table, "name of the nftables table (family inet)")
                    ->check(CLI::Validator(
                        [](std::string& name) -> std::string {
                          bool ok = !name.empty() && name.size() <= 64 &&
                                    std::isalpha(static_cast<unsigned char>(name[0]));
                          for (char c : name)
                            ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
                          return ok ? "" : "a table name is a letter followed by letters, digits, '_' or '-' (at most 64)";
                        },
                        "NAME"))
                    ->capture_default_str();
  sub.add_option("-o,--output", opt->output, "output file (default: stdout)");
  sub.add_option("--ipset-out", opt->ipset_output,
                 "-b iptables|ip6tables: put address groups into ipsets, written to this file for `ipset restore`");
  return [opt, table] {
    opt->table_given = table->count() > 0;
    return run_compile(*opt);
  };
}

}  // namespace netpolc
