// netpolc stats: the deny counters of an applied --audit/--log-denied
// ruleset, per policy and direction, read back over netlink.
#include <iostream>
#include <memory>

#include "cli/applied_table.h"
#include "cli/commands.h"
#include "cli/pipeline.h"
#include "cli/resolve_step.h"
#include "observe/counters.h"

namespace netpolc {

namespace {

struct StatsOptions {
  std::string netns;
  std::string table = "netpolc";
  std::string output = "text";
};

int run_stats(const StatsOptions& opt) {
  nl::ReadOptions read;
  read.named_set_elements = false;
  std::optional<nl::KernelTable> t = read_applied_table(opt.netns, opt.table, read, "");
  if (!t) return 1;
  auto counters = observe::deny_counters(*t);
  if (counters.empty()) {
    std::cerr << "error: table inet " << opt.table << netns_where(opt.netns)
              << " has no deny counters: apply it with --audit or --log-denied\n";
    return 1;
  }
  return write_output("-", opt.output == "json" ? observe::counters_json(counters) : observe::counters_text(counters))
             ? 0
             : 1;
}

}  // namespace

CommandRun setup_stats(CLI::App& sub) {
  auto opt = std::make_shared<StatsOptions>();
  sub.add_option("--netns", opt->netns, "read the table in the network namespace `ip netns` knows as NAME");
  add_table_option(sub, opt->table);
  sub.add_option("--output", opt->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  return [opt] { return run_stats(*opt); };
}

}  // namespace netpolc
