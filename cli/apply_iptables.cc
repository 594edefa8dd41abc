#include "cli/apply_iptables.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <set>
#include <sstream>

#include "backends/ipset_text.h"
#include "lab/command.h"
#include "lab/netns.h"

namespace netpolc {

namespace {

constexpr char kPrefix[] = "NETPOLC-";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The second word of "create NAME ..." / the chain of ":NAME - [0:0]".
std::set<std::string> declared_sets(const std::string& ipsets) {
  std::set<std::string> out;
  for (const auto& l : lines_of(ipsets))
    if (l.starts_with("create ")) out.insert(l.substr(7, l.find(' ', 7) - 7));
  return out;
}

std::set<std::string> declared_chains(const std::string& save) {
  std::set<std::string> out;
  for (const auto& l : lines_of(save))
    if (l.starts_with(":")) out.insert(l.substr(1, l.find(' ') - 1));
  return out;
}

class Loader {
 public:
  Loader(const IptablesLoad& load, const CommandRunner& run)
      : load_(load), run_(run), cmd_(iptables_command(load.family)) {}

  bool run(std::string* error);
  bool check(std::string* error);

 private:
  bool step(const std::vector<std::string>& argv, const std::string& input, const std::string& what,
            std::string* output = nullptr);
  std::set<std::string> our_sets();
  void destroy_sets(const std::set<std::string>& names);
  bool add_jumps(const std::string& save);
  bool remove_stale_chains(const std::string& save);
  bool remove_stale_sets(const std::set<std::string>& before);

  const IptablesLoad& load_;
  const CommandRunner& run_;
  const std::string cmd_;
  std::string error_;
};

bool Loader::step(const std::vector<std::string>& argv, const std::string& input, const std::string& what,
                  std::string* output) {
  std::string out;
  if (run_(argv, input, &out)) {
    if (output) *output = out;
    return true;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  error_ += (error_.empty() ? "" : "\n") + what + ": " + lab::describe_argv(argv) + ": " + out;
  return false;
}

// The NETPOLC-* ipsets of this family in the kernel.
std::set<std::string> Loader::our_sets() {
  std::string out;
  std::set<std::string> sets;
  if (!run_({"ipset", "list", "-n"}, "", &out)) return sets;  // no ipset: nothing of ours either
  for (const auto& name : lines_of(out))
    if (is_netpolc_ipset(name, load_.family)) sets.insert(name);
  return sets;
}

void Loader::destroy_sets(const std::set<std::string>& names) {
  for (const auto& name : names) step({"ipset", "destroy", name}, "", "cannot remove ipset " + name);
}

// The jumps from the built-in chains, unless `save` shows them already:
//   iptables -I FORWARD -j NETPOLC-FORWARD
bool Loader::add_jumps(const std::string& save) {
  const auto rules = lines_of(save);
  for (const auto& [builtin, entry] : iptables_entry_jumps(load_.target)) {
    if (std::find(rules.begin(), rules.end(), "-A " + builtin + " -j " + entry) != rules.end()) continue;
    if (!step({cmd_, "-w", "-t", "filter", "-I", builtin, "-j", entry}, "", "cannot add the jump")) return false;
  }
  return true;
}

// In one commit: every rule outside our chains that jumps to a stale chain is
// deleted, and the stale chains are flushed (by declaring them) and removed.
//   *filter
//   :NETPOLC-IN-0badc0de - [0:0]
//   -D FORWARD -j NETPOLC-FORWARD      (when the target changed)
//   -X NETPOLC-IN-0badc0de
//   COMMIT
bool Loader::remove_stale_chains(const std::string& save) {
  const std::set<std::string> wanted = declared_chains(load_.rules);
  std::set<std::string> stale;
  for (const auto& c : declared_chains(save))
    if (c.starts_with(kPrefix) && !wanted.count(c)) stale.insert(c);
  if (stale.empty()) return true;
  std::string batch = "*filter\n";
  for (const auto& c : stale) batch += ":" + c + " - [0:0]\n";
  for (const auto& l : lines_of(save)) {
    if (!l.starts_with("-A ") || l.starts_with(std::string("-A ") + kPrefix)) continue;
    auto j = l.rfind(" -j ");
    if (j != std::string::npos && stale.count(l.substr(j + 4))) batch += "-D " + l.substr(3) + "\n";
  }
  for (const auto& c : stale) batch += "-X " + c + "\n";
  batch += "COMMIT\n";
  return step({cmd_ + "-restore", "-w", "--noflush"}, batch, "cannot remove the chains of an older output");
}

// After the load the kernel holds the sets of before and of this output:
// those of before that this output does not create are stale.
bool Loader::remove_stale_sets(const std::set<std::string>& before) {
  const std::set<std::string> wanted = declared_sets(load_.ipsets);
  std::set<std::string> stale;
  for (const auto& s : before)
    if (!wanted.count(s)) stale.insert(s);
  const size_t errors = error_.size();
  destroy_sets(stale);
  return error_.size() == errors;
}

bool Loader::run(std::string* error) {
  const std::set<std::string> before = our_sets();
  auto undo_new_sets = [&] {
    std::set<std::string> created;
    for (const auto& s : declared_sets(load_.ipsets))
      if (!before.count(s)) created.insert(s);
    destroy_sets(created);
  };
  bool ok = true;
  std::string save;
  if (!load_.ipsets.empty() && !step({"ipset", "restore"}, load_.ipsets, "ipset refused the sets")) {
    undo_new_sets();
    ok = false;
  } else if (!step({cmd_ + "-restore", "-w", "--noflush"}, load_.rules, cmd_ + "-restore refused the rules")) {
    undo_new_sets();
    ok = false;
  } else if (!step({cmd_ + "-save", "-t", "filter"}, "", "cannot list the chains", &save)) {
    ok = false;
  } else {
    // The new rules are in force; what follows adds the jump and cleans up.
    ok = add_jumps(save);
    ok = remove_stale_chains(save) && ok;
    ok = remove_stale_sets(before) && ok;
  }
  *error = error_;
  return ok;
}

bool Loader::check(std::string* error) {
  bool ok = (load_.ipsets.empty() || step({"ipset", "restore"}, load_.ipsets, "ipset refused the sets")) &&
            step({cmd_ + "-restore", "--noflush"}, load_.rules, cmd_ + "-restore refused the rules");
  *error = error_;
  return ok;
}

// Runs `body` with a runner inside a network namespace made for it and
// removed afterwards.
bool in_scratch_netns(const std::function<bool(const CommandRunner&)>& body, std::string* error) {
  const std::string name = "netpolc-check-" + std::to_string(getpid());
  if (!lab::create_named_netns({name}, error)) {
    lab::delete_named_netns({name});
    return false;
  }
  lab::NetnsFd fd = lab::NetnsFd::open_named(name, error);
  bool ok = fd.valid() && body(runner_in(fd.get()));
  fd = lab::NetnsFd();
  lab::delete_named_netns({name});
  return ok;
}

}  // namespace

CommandRunner runner_in(int netns_fd) {
  return [netns_fd](const std::vector<std::string>& argv, const std::string& input, std::string* output) {
    lab::CommandResult r = lab::run_command({argv, input, netns_fd});
    *output = r.output;
    return r.ok;
  };
}

bool check_iptables(const IptablesLoad& load, const CommandRunner& run, std::string* error) {
  return Loader(load, run).check(error);
}

bool load_iptables(const IptablesLoad& load, const CommandRunner& run, std::string* error) {
  return Loader(load, run).run(error);
}

int apply_iptables(const Program& prog, const Cluster& cluster, const IptablesOptions& options,
                   const std::string& netns, bool check) {
  lab::NetnsFd ns;
  if (!netns.empty()) {
    std::string why;
    ns = lab::NetnsFd::open_named(netns, &why);
    if (!ns.valid()) {
      std::cerr << "error: --netns " << netns << ": " << why << "\n";
      return 1;
    }
  }
  IptablesOutput out = emit_iptables(prog, cluster, options);
  const IptablesLoad load{options.family, options.target, out.rules, out.ipsets};
  std::string error;
  bool ok = check ? in_scratch_netns([&](const CommandRunner& run) { return check_iptables(load, run, &error); },
                                     &error)
                  : load_iptables(load, runner_in(ns.get()), &error);
  if (!ok) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  return 0;
}

}  // namespace netpolc
