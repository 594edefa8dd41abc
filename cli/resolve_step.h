// The stages every command that compiles shares: read and parse the inputs,
// find the --endpoint pod, resolve the program; every diagnostic printed once.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "backends/iptables_text.h"
#include "backends/nft_ruleset.h"
#include "backends/target.h"
#include "cli/pipeline.h"
#include "compiler/program.h"

namespace netpolc {

struct TargetOptions {
  std::string endpoint;  // NS/POD, or empty for the gateway target
  std::string dns_carve_out = "none";
};

// -s and -p (both required).
void add_input_options(CLI::App& sub, InputOptions& inputs);

// --endpoint and --dns-carve-out.
void add_target_options(CLI::App& sub, TargetOptions& target);
// --dns-carve-out alone.
void add_dns_carve_out_option(CLI::App& sub, TargetOptions& target);

// --audit, --log-denied[=RATE], --nflog-group N.
struct ReportOptions {
  bool audit = false;
  std::string log_denied;  // empty: not given
  uint16_t nflog_group = 100;
};
void add_report_options(CLI::App& sub, ReportOptions& report);

// The reports asked for, or nullopt after printing why the rate is wrong.
std::optional<DenyReport> deny_report(const ReportOptions& report);

// --table NAME (the nftables table), checked; returns the option.
CLI::Option* add_table_option(CLI::App& sub, std::string& table);

struct Resolved {
  SourceFiles sources;  // for diagnostics that point into the inputs later
  Inputs inputs;
  Program program;
  Target target = Target::Gateway;
  size_t endpoint_pod = 0;  // with Target::Endpoint: index into Cluster::pods
  bool dns_carve_out = false;
};

// Prints every diagnostic; nullopt when any is an error.
std::optional<Resolved> load_and_resolve(const InputOptions& inputs, const TargetOptions& target);

// The backend options for what was resolved: -b nft with --table; -b
// iptables|ip6tables, inline or with ipsets.
NftOptions nft_options(const Resolved& r, const std::string& table, const DenyReport& report = {});
IptablesOptions iptables_options(const Resolved& r, const std::string& backend, bool ipset);

}  // namespace netpolc
