// What the review commands (matrix, explain, diff, lint, graph) share on the
// command line: output formats, --port, --external, --family, and reading the
// inputs with every diagnostic printed once.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "cli/pipeline.h"
#include "review/flows.h"

namespace netpolc {

// --format FORMAT, one of `formats` (the first is the default).
void add_format_option(CLI::App& sub, std::string& format, const std::vector<std::string>& formats);
// --markdown, the short way to say --format markdown.
void add_markdown_flag(CLI::App& sub, std::string& format);
// --family both|ipv4|ipv6.
void add_family_option(CLI::App& sub, std::string& family);
review::Families families_of(const std::string& family);

// "80/TCP", "53/UDP", "ICMP" as given to `flag`; reports the malformed ones.
std::vector<review::Probe> parse_probes(const std::vector<std::string>& texts, const std::string& flag,
                                        Diagnostics& diags);
// Addresses outside the cluster as given to `flag`; reports malformed ones
// and the addresses of enforced pods.
std::vector<IpAddr> parse_externals(const std::vector<std::string>& texts, const std::string& flag,
                                    const Cluster& cluster, Diagnostics& diags);

// load_inputs, with the diagnostics printed; nullopt on any error.
std::optional<Inputs> load_reported(const InputOptions& options, SourceFiles& sources, Diagnostics& diags);

}  // namespace netpolc
