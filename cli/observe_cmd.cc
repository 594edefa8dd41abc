// netpolc observe: bind the nflog group of an applied --audit/--log-denied
// ruleset, read its reports until --duration, --count or a signal, then print
// each flow once, named from the table read back (and -s snapshots).
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/applied_table.h"
#include "cli/commands.h"
#include "cli/pipeline.h"
#include "cli/resolve_step.h"
#include "compiler/inputs.h"
#include "compiler/snapshot_parser.h"
#include "observe/flows.h"

namespace netpolc {

namespace {

struct ObserveOptions {
  std::string netns;
  uint16_t group = 100;
  std::string duration;  // empty: until --count or a signal
  size_t count = 0;      // 0: no limit
  std::vector<std::string> snapshots;
  std::string output = "text";
  std::string table = "netpolc";
};

// "30s", "500ms", "2m", "1h" -> milliseconds; nullopt when malformed.
std::optional<long long> parse_duration(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && digits < 9 && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  long long n = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  if (unit == "ms") return n;
  if (unit == "s") return n * 1000;
  if (unit == "m") return n * 60 * 1000;
  if (unit == "h") return n * 3600 * 1000;
  return std::nullopt;
}

std::optional<std::map<IpAddr, std::string>> snapshot_names(const std::vector<std::string>& paths) {
  if (paths.empty()) return std::map<IpAddr, std::string>{};
  SourceFiles sources;
  Diagnostics diags;
  Cluster cluster = parse_snapshot(read_inputs(paths, diags, sources), diags);
  print_diagnostics(diags, sources);
  if (diags.has_errors()) return std::nullopt;
  return observe::snapshot_pods(cluster);
}

bool read_reports_table(const ObserveOptions& opt, observe::TableReports* out) {
  std::optional<nl::KernelTable> t =
      read_applied_table(opt.netns, opt.table, {}, " (apply one with --audit or --log-denied)");
  if (!t) return false;
  *out = observe::table_reports(*t);
  if (!out->logs) {
    std::cerr << "error: table inet " << opt.table << netns_where(opt.netns)
              << " reports nothing: apply it with --audit or --log-denied\n";
    return false;
  }
  return true;
}

// Reads nflog until the deadline, `count` flows, or SIGINT/SIGTERM.
bool listen(const ObserveOptions& opt, std::optional<long long> duration_ms, observe::Observations& obs) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  int sfd = signalfd(-1, &signals, SFD_CLOEXEC);
  std::string error;
  auto nflog = observe::NflogSocket::open(opt.netns, opt.group, &error);
  if (!nflog || sfd < 0) {
    std::cerr << "error: " << (nflog ? "cannot wait for signals" : error) << "\n";
    if (sfd >= 0) close(sfd);
    return false;
  }
  std::cerr << "observing nflog group " << opt.group << (opt.netns.empty() ? "" : " in " + opt.netns)
            << "; Ctrl-C to stop\n";
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(duration_ms.value_or(0));
  size_t dropped = 0;
  bool ok = true;
  while (opt.count == 0 || obs.flows.size() < opt.count) {
    int wait = -1;
    if (duration_ms) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      wait = int(std::min<long long>(left, 1000 * 1000));
    }
    pollfd fds[2] = {{nflog->fd(), POLLIN, 0}, {sfd, POLLIN, 0}};
    int n = poll(fds, 2, wait);
    if (n < 0 && errno != EINTR) break;
    if (fds[1].revents) break;
    if (!fds[0].revents) continue;
    std::vector<observe::NflogPacket> packets;
    if (!nflog->receive(&packets, &dropped, &error)) {
      std::cerr << "error: " << error << "\n";
      ok = false;
      break;
    }
    for (const auto& p : packets) {
      if (p.group != opt.group) continue;
      observe::record(p, obs);
      if (opt.count && obs.flows.size() >= opt.count) break;
    }
  }
  close(sfd);
  sigprocmask(SIG_UNBLOCK, &signals, nullptr);
  if (dropped) std::cerr << "warning: " << dropped << " nflog messages lost or unreadable\n";
  if (obs.unreadable) std::cerr << "warning: " << obs.unreadable << " reported packets could not be read\n";
  return ok;
}

int run_observe(const ObserveOptions& opt) {
  std::optional<long long> duration_ms;
  if (!opt.duration.empty()) {
    duration_ms = parse_duration(opt.duration);
    if (!duration_ms) {
      std::cerr << "error: --duration: invalid duration '" << opt.duration << "' (e.g. 30s, 500ms, 2m, 1h)\n";
      return 2;
    }
  }
  auto names = snapshot_names(opt.snapshots);
  if (!names) return 1;
  observe::TableReports table;
  if (!read_reports_table(opt, &table)) return 1;
  observe::Observations obs;
  if (!listen(opt, duration_ms, obs)) return 1;
  // Read again: the table may have been replaced while we listened (when it
  // is gone, or reports nothing now, the names it had at the start serve).
  observe::TableReports now;
  if (read_reports_table(opt, &now)) table = std::move(now);
  else std::cerr << "warning: naming the flows from the table as it was when observing started\n";
  auto flows = observe::name_flows(obs, table, *names);
  const char* mode = observe::mode_name(obs, table);
  std::string out = opt.output == "json" ? observe::flows_json(flows, mode) : observe::flows_text(flows, mode);
  return write_output("-", out) ? 0 : 1;
}

}  // namespace

CommandRun setup_observe(CLI::App& sub) {
  auto opt = std::make_shared<ObserveOptions>();
  sub.add_option("--netns", opt->netns, "observe in the network namespace `ip netns` knows as NAME");
  sub.add_option("--nflog-group", opt->group, "the nflog group the rules report to")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sub.add_option("--duration", opt->duration, "stop after this long (30s, 500ms, 2m, 1h)");
  sub.add_option("--count", opt->count, "stop after N distinct flows")->check(CLI::PositiveNumber);
  sub.add_option("-s,--snapshot", opt->snapshots, "name every pod of this snapshot (repeatable)");
  sub.add_option("--output", opt->output, "text or json (ObservedFlows, read by suggest --from-observed)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  add_table_option(sub, opt->table);
  return [opt] { return run_observe(*opt); };
}

}  // namespace netpolc
