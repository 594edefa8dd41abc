#include "lab/lab.h"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iterator>
#include <set>

#include "lab/cleanup.h"
#include "lab/command.h"

namespace netpolc::lab {

namespace {

constexpr const char kGatewayV4[] = "169.254.1.1";
constexpr const char kGatewayV6[] = "fe80::1";
constexpr size_t kMaxHosts = 4096;  // the MACs below have room for 65536
constexpr auto kReadyTimeout = std::chrono::seconds(3);
constexpr auto kReadyRetry = std::chrono::milliseconds(20);

constexpr const char* kAllowedRanges[] = {
    "10.244.0.0/16", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
    "fd00::/8",      "2001:db8::/32",
};

// Settings for every lab namespace: no reverse-path filter, no DAD, and no
// ICMP rate limits (a rejected probe must always get its ICMP error back).
const std::vector<std::pair<std::string, std::string>> kCommonSysctls = {
    {"net/ipv4/conf/all/rp_filter", "0"},
    {"net/ipv4/conf/default/rp_filter", "0"},
    {"net/ipv6/conf/all/accept_dad", "0"},
    {"net/ipv6/conf/default/accept_dad", "0"},
    {"net/ipv4/icmp_ratelimit", "0"},
    {"net/ipv4/icmp_msgs_per_sec", "1000000"},
    {"net/ipv4/icmp_msgs_burst", "1000000"},
    {"net/ipv6/icmp/ratelimit", "0"},
};

const std::vector<std::pair<std::string, std::string>> kNodeSysctls = {
    {"net/ipv4/ip_forward", "1"},
    {"net/ipv6/conf/all/forwarding", "1"},
    {"net/ipv6/conf/default/forwarding", "1"},
};

// Fixed MACs, so that both ends of every veth can have static neighbours.
std::string mac(bool node_side, size_t host) {
  char buf[32];
  snprintf(buf, sizeof buf, "02:6e:70:%02x:%02x:%02x", node_side ? 0 : 1, unsigned(host >> 8) & 0xff,
           unsigned(host) & 0xff);
  return buf;
}

std::string family_name(Family f) { return f == Family::V4 ? "v4" : "v6"; }

bool validate(const LabSpec& spec, std::string* error) {
  if (spec.hosts.size() > kMaxHosts) {
    *error = "a lab has at most " + std::to_string(kMaxHosts) + " hosts";
    return false;
  }
  std::vector<Cidr> allowed;
  for (const char* r : kAllowedRanges) allowed.push_back(*parse_cidr(r));
  std::set<std::string> ids;
  std::set<IpAddr> seen;
  for (size_t i = 0; i < spec.hosts.size(); ++i) {
    const LabHost& h = spec.hosts[i];
    std::string where = "host " + std::to_string(i) + " '" + h.id + "'";
    if (h.id.empty()) {
      *error = "host " + std::to_string(i) + " has no id";
      return false;
    }
    if (!ids.insert(h.id).second) {
      *error = where + ": duplicate id";
      return false;
    }
    if (h.ips.empty() || h.ips.size() > 2 || (h.ips.size() == 2 && h.ips[0].family == h.ips[1].family)) {
      *error = where + ": needs one or two addresses, at most one per family";
      return false;
    }
    for (const IpAddr& ip : h.ips) {
      bool ok = false;
      for (const Cidr& c : allowed) ok = ok || contains(c, ip);
      if (!ok) {
        *error = where + ": address " + format_ip(ip) +
                 " is outside the lab ranges (10.244.0.0/16, fd00::/8, documentation ranges)";
        return false;
      }
      if (!seen.insert(ip).second) {
        *error = where + ": address " + format_ip(ip) + " is used twice";
        return false;
      }
    }
  }
  return true;
}

std::string node_script(const LabSpec& spec, const std::vector<std::string>& names) {
  std::string s = "link set lo up\n";
  for (size_t i = 0; i < spec.hosts.size(); ++i) {
    std::string dev = "h" + std::to_string(i);
    std::string host_mac = mac(false, i);
    s += "link add " + dev + " address " + mac(true, i) + " type veth peer name eth0 address " + host_mac +
         " netns " + names[i + 1] + "\n";
    // fe80::1 is the only link-local address on the node side: what the node
    // sends (ICMPv6 errors of a reject) comes from the host's static neighbour.
    s += "link set " + dev + " addrgenmode none\n";
    s += "link set " + dev + " up\n";
    s += "addr add " + std::string(kGatewayV4) + "/32 dev " + dev + "\n";
    s += "addr add " + std::string(kGatewayV6) + "/64 dev " + dev + " nodad\n";
    for (const IpAddr& ip : spec.hosts[i].ips) {
      std::string a = format_ip(ip);
      s += "route add " + a + (ip.family == Family::V4 ? "/32" : "/128") + " dev " + dev + "\n";
      s += "neigh replace " + a + " lladdr " + host_mac + " dev " + dev + " nud permanent\n";
    }
  }
  return s;
}

std::string host_script(const LabHost& host, size_t index) {
  std::string node_mac = mac(true, index);
  std::string s = "link set lo up\nlink set eth0 up\n";
  for (const IpAddr& ip : host.ips) {
    std::string a = format_ip(ip);
    if (ip.family == Family::V4) {
      s += "addr add " + a + "/32 dev eth0\n";
      s += "neigh replace " + std::string(kGatewayV4) + " lladdr " + node_mac + " dev eth0 nud permanent\n";
      s += "route add default via " + std::string(kGatewayV4) + " dev eth0 onlink\n";
    } else {
      s += "addr add " + a + "/128 dev eth0 nodad\n";
      s += "neigh replace " + std::string(kGatewayV6) + " lladdr " + node_mac + " dev eth0 nud permanent\n";
      s += "route add default via " + std::string(kGatewayV6) + " dev eth0\n";
    }
  }
  return s;
}

}  // namespace

std::unique_ptr<Lab> Lab::create(const LabSpec& spec, std::string* error, const LabBuildOptions& options) {
  if (!validate(spec, error)) return nullptr;
  install_cleanup();
  remove_stale_labs();
  std::unique_ptr<Lab> lab(new Lab());
  lab->spec_ = spec;
  std::string prefix = next_lab_prefix();
  lab->names_.push_back(prefix + "node");
  for (size_t i = 0; i < spec.hosts.size(); ++i) lab->names_.push_back(prefix + "h" + std::to_string(i));
  // A stage that fails sets *error; returning nullptr then destroys the
  // half-built lab, which deletes every namespace name it has.
  using Stage = bool (Lab::*)(std::string*);
  const Stage stages[] = {&Lab::make_namespaces, &Lab::set_sysctls, &Lab::wire_node, &Lab::wire_hosts,
                          &Lab::wait_until_ready};
  for (int k = 0; k < int(std::size(stages)); ++k) {
    if (!(lab.get()->*stages[k])(error)) return nullptr;
    if (k + 1 == options.fail_after_stage) {
      *error = "failing after build stage " + std::to_string(k + 1) + " as asked";
      return nullptr;
    }
  }
  return lab;
}

bool Lab::make_namespaces(std::string* error) {
  if (!create_named_netns(names_, error)) return false;
  for (const std::string& name : names_) {
    netns_.push_back(NetnsFd::open_named(name, error));
    if (!netns_.back().valid()) return false;
  }
  return true;
}

// Before any interface exists, so that the "default" settings apply to all.
bool Lab::set_sysctls(std::string* error) {
  for (size_t n = 0; n < netns_.size(); ++n) {
    if (!write_sysctls(netns_[n].get(), kCommonSysctls, error)) return false;
    if (n == 0 && !write_sysctls(netns_[n].get(), kNodeSysctls, error)) return false;
  }
  return true;
}

// Every veth pair (made inside the lab, never in the caller's namespace), the
// node's gateway addresses, routes and neighbours.
bool Lab::wire_node(std::string* error) {
  CommandResult r = run_command({{"ip", "-batch", "-"}, node_script(spec_, names_), netns_[0].get()});
  if (!r.ok) *error = "configuring the node failed: " + r.output;
  return r.ok;
}

// Every host at once: one `ip` per namespace.
bool Lab::wire_hosts(std::string* error) {
  std::vector<Command> commands;
  for (size_t i = 0; i < spec_.hosts.size(); ++i)
    commands.push_back({{"ip", "-batch", "-"}, host_script(spec_.hosts[i], i), netns_[i + 1].get()});
  std::vector<CommandResult> results = run_commands(commands);
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok) {
      *error = "configuring host " + std::to_string(i) + " '" + spec_.hosts[i].id + "' failed: " + results[i].output;
      return false;
    }
  }
  return true;
}

// The node pings every host address. A link only carries traffic once the
// kernel has noticed its carrier, a moment after `ip` is done, so the pings
// repeat until each is answered. This proves both directions of every veth
// before anyone probes.
bool Lab::wait_until_ready(std::string* error) {
  engine_ = std::make_unique<ProbeEngine>();
  std::vector<Flow> pings;
  std::vector<std::string> what;
  for (size_t i = 0; i < spec_.hosts.size(); ++i) {
    for (const IpAddr& ip : spec_.hosts[i].ips) {
      pings.push_back({netns_[0].get(), ip, ProbeKind::ICMP, 0});
      what.push_back(spec_.hosts[i].id + " " + format_ip(ip));
    }
  }
  auto give_up = std::chrono::steady_clock::now() + kReadyTimeout;
  while (!pings.empty()) {
    std::vector<ProbeResult> ready = engine_->run(pings, kReadyRetry);
    std::vector<Flow> again;
    std::vector<std::string> again_what;
    for (size_t k = 0; k < ready.size(); ++k) {
      if (ready[k].connected()) continue;
      if (ready[k].outcome != ProbeOutcome::Timeout || std::chrono::steady_clock::now() > give_up) {
        *error = "the node cannot reach " + what[k] + ": " + ready[k].detail;
        return false;
      }
      again.push_back(pings[k]);
      again_what.push_back(what[k]);
    }
    pings = std::move(again);
    what = std::move(again_what);
  }
  return true;
}

Lab& Lab::operator=(Lab&& other) noexcept {
  if (this != &other) {
    teardown();
    spec_ = std::move(other.spec_);
    names_ = std::move(other.names_);
    netns_ = std::move(other.netns_);
    engine_ = std::move(other.engine_);
    other.names_.clear();
  }
  return *this;
}

Lab::~Lab() { teardown(); }

void Lab::teardown() {
  engine_.reset();  // responder sockets first: they hold the namespaces
  netns_.clear();
  delete_named_netns(names_);
  names_.clear();
}

const IpAddr* Lab::address(size_t host, Family family) const {
  for (const IpAddr& ip : spec_.hosts[host].ips)
    if (ip.family == family) return &ip;
  return nullptr;
}

bool Lab::run_in(const std::string& netns, const std::vector<std::string>& argv,
                 const std::string& stdin_text, std::string* output) {
  std::string error;
  NetnsFd fd = NetnsFd::open_named(netns, &error);
  if (!fd.valid()) {
    *output = error;
    return false;
  }
  CommandResult r = run_command({argv, stdin_text, fd.get()});
  *output = std::move(r.output);
  return r.ok;
}

std::vector<ProbeResult> Lab::probe(const std::vector<Probe>& probes, std::chrono::milliseconds timeout) {
  std::vector<ProbeResult> results(probes.size());
  std::vector<Flow> flows;
  std::vector<size_t> flow_of;  // probe index of each flow
  for (size_t i = 0; i < probes.size(); ++i) {
    const Probe& p = probes[i];
    auto reject = [&](std::string why) { results[i] = {ProbeOutcome::Error, "error: " + why}; };
    if (p.from >= spec_.hosts.size() || p.to >= spec_.hosts.size()) {
      reject("no such host");
      continue;
    }
    const IpAddr* dst = address(p.to, p.family);
    if (!dst || !address(p.from, p.family)) {
      reject("no " + family_name(p.family) + " address on both ends");
      continue;
    }
    if (p.kind != ProbeKind::ICMP) {
      if (p.port == 0) {
        reject("port 0");
        continue;
      }
      std::string error;
      if (!engine_->serve(netns_[p.to + 1].get(), p.port, &error)) {
        reject(error);
        continue;
      }
    }
    flows.push_back({netns_[p.from + 1].get(), *dst, p.kind, p.port});
    flow_of.push_back(i);
  }
  std::vector<ProbeResult> ran = engine_->run(flows, timeout);
  for (size_t k = 0; k < ran.size(); ++k) results[flow_of[k]] = std::move(ran[k]);
  return results;
}

std::string Lab::describe(const Probe& p) const {
  auto name = [&](size_t h) { return h < spec_.hosts.size() ? spec_.hosts[h].id : "#" + std::to_string(h); };
  std::string s = name(p.from) + " -> " + name(p.to) + " " + kind_name(p.kind);
  if (p.kind != ProbeKind::ICMP) s += "/" + std::to_string(p.port);
  return s + " " + family_name(p.family);
}

bool lab_supported(std::string* why) {
  if (geteuid() != 0) {
    *why = "not running as root";
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) _exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *why = "cannot create network namespaces";
    return false;
  }
  if (!run_command({{"ip", "-V"}, "", -1}).ok) {
    *why = "the ip command (iproute2) is missing";
    return false;
  }
  return true;
}

}  // namespace netpolc::lab
