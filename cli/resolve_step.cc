#include "cli/resolve_step.h"

#include <cctype>
#include <iostream>

#include "compiler/resolve.h"

namespace netpolc {

void add_input_options(CLI::App& sub, InputOptions& in) {
  sub.add_option("-s,--snapshot", in.snapshots, "cluster snapshot: kubectl YAML/JSON or a lab inventory (repeatable)")
      ->required();
  sub.add_option("-p,--policies", in.policies, "NetworkPolicy file, directory or - for stdin (repeatable)")
      ->required();
}

void add_target_options(CLI::App& sub, TargetOptions& target) {
  sub.add_option("--endpoint", target.endpoint, "the ruleset for the host that is this pod (NS/POD)");
  add_dns_carve_out_option(sub, target);
}

void add_dns_carve_out_option(CLI::App& sub, TargetOptions& target) {
  sub.add_option("--dns-carve-out", target.dns_carve_out, "let every pod reach the cluster DNS on 53")
      ->check(CLI::IsMember({"none", "cluster"}))
      ->capture_default_str();
}

void add_report_options(CLI::App& sub, ReportOptions& report) {
  sub.add_flag("--audit", report.audit,
               "let what the policies deny through, and report it (nflog and counters; see docs/audit.md)");
  sub.add_option("--log-denied", report.log_denied,
                 "report each denied new connection to nflog, at most RATE (COUNT/second|minute|hour|day) per chain")
      ->expected(0, 1)
      ->default_str("10/second");
  sub.add_option("--nflog-group", report.nflog_group, "the nflog group reports go to")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
}

std::optional<DenyReport> deny_report(const ReportOptions& report) {
  DenyReport r;
  r.audit = report.audit;
  r.nflog_group = report.nflog_group;
  if (!report.log_denied.empty()) {
    std::string error;
    r.log = parse_rate(report.log_denied, &error);
    if (!r.log) {
      std::cerr << "error: --log-denied: " << error << "\n";
      return std::nullopt;
    }
  }
  return r;
}

CLI::Option* add_table_option(CLI::App& sub, std::string& table) {
  return sub.add_option("--table", table, "name of the nftables table (family inet)")
      ->check(CLI::Validator(
          [](std::string& name) -> std::string {
            bool ok = !name.empty() && name.size() <= 64 && std::isalpha(static_cast<unsigned char>(name[0]));
            for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
            return ok ? "" : "a table name is a letter followed by letters, digits, '_' or '-' (at most 64)";
          },
          "NAME"))
      ->capture_default_str();
}

std::optional<Resolved> load_and_resolve(const InputOptions& inputs, const TargetOptions& target) {
  SourceFiles sources;
  Diagnostics diags;
  auto in = load_inputs(inputs, sources, diags);
  if (!in) {
    print_diagnostics(diags, sources);
    return std::nullopt;
  }
  Resolved r;
  r.dns_carve_out = target.dns_carve_out == "cluster";
  if (!target.endpoint.empty()) {
    long pod = find_pod(in->cluster, target.endpoint, diags);
    if (pod >= 0 && !in->cluster.pods[size_t(pod)].enforced())
      diags.error({"--endpoint"}, "", "pod " + target.endpoint +
                                          " is not enforced (hostNetwork, no IP, or finished)");
    r.target = Target::Endpoint;
    r.endpoint_pod = pod < 0 ? 0 : size_t(pod);
  }
  r.program = resolve(in->cluster, in->policies, ResolveOptions{}, diags);
  print_diagnostics(diags, sources);
  if (diags.has_errors()) return std::nullopt;
  r.inputs = std::move(*in);
  r.sources = std::move(sources);
  return r;
}

NftOptions nft_options(const Resolved& r, const std::string& table, const DenyReport& report) {
  NftOptions nft;
  nft.report = report;
  nft.table = table;
  nft.target = r.target;
  nft.endpoint_pod = r.endpoint_pod;
  nft.dns_carve_out = r.dns_carve_out;
  return nft;
}

IptablesOptions iptables_options(const Resolved& r, const std::string& backend, bool ipset) {
  IptablesOptions ipt;
  ipt.family = backend == "ip6tables" ? Family::V6 : Family::V4;
  ipt.target = r.target;
  ipt.endpoint_pod = r.endpoint_pod;
  ipt.dns_carve_out = r.dns_carve_out;
  ipt.ipset = ipset;
  return ipt;
}

}  // namespace netpolc
