#include "cli/review_options.h"

#include "compiler/evaluator.h"

namespace netpolc {

void add_format_option(CLI::App& sub, std::string& format, const std::vector<std::string>& formats) {
  format = formats.front();
  sub.add_option("--format", format, "output format")->check(CLI::IsMember(formats))->capture_default_str();
}

void add_markdown_flag(CLI::App& sub, std::string& format) {
  sub.add_flag_callback("--markdown", [&format] { format = "markdown"; }, "the same as --format markdown");
}

void add_family_option(CLI::App& sub, std::string& family) {
  family = "both";
  sub.add_option("--family", family, "address families to evaluate")
      ->check(CLI::IsMember({"both", "ipv4", "ipv6"}))
      ->capture_default_str();
}

review::Families families_of(const std::string& family) {
  if (family == "ipv4") return review::Families::V4;
  if (family == "ipv6") return review::Families::V6;
  return review::Families::Both;
}

std::vector<review::Probe> parse_probes(const std::vector<std::string>& texts, const std::string& flag,
                                        Diagnostics& diags) {
  std::vector<review::Probe> out;
  for (const auto& t : texts) {
    if (auto p = review::parse_probe(t)) out.push_back(*p);
    else diags.error({flag}, "", "invalid port \"" + t + "\" (expected PORT/PROTOCOL such as 80/TCP or 53/UDP, or ICMP)");
  }
  return out;
}

std::vector<IpAddr> parse_externals(const std::vector<std::string>& texts, const std::string& flag,
                                    const Cluster& cluster, Diagnostics& diags) {
  std::vector<IpAddr> out;
  for (const auto& t : texts) {
    auto ip = parse_ip(t);
    if (!ip) {
      diags.error({flag}, "", "invalid address \"" + t + "\"");
      continue;
    }
    for (const auto& p : cluster.pods)
      if (p.enforced() && std::find(p.ips.begin(), p.ips.end(), *ip) != p.ips.end())
        diags.error({flag}, "", t + " is the address of pod " + p.ns + "/" + p.name + ", which is shown already");
    if (std::find(out.begin(), out.end(), *ip) == out.end()) out.push_back(*ip);
  }
  return out;
}

std::optional<Inputs> load_reported(const InputOptions& options, SourceFiles& sources, Diagnostics& diags) {
  auto in = load_inputs(options, sources, diags);
  print_diagnostics(diags, sources);
  return in;
}

}  // namespace netpolc
