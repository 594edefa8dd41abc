#include "compiler/snapshot_parser.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "compiler/labels.h"

namespace netpolc {
namespace {

constexpr const char* kNameLabel = "kubernetes.io/metadata.name";

std::string pod_key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

// "pods" + "x/a" -> pods["x/a"]: the path of an entry of a map keyed by names.
std::string entry_path(const std::string& path, const std::string& key) {
  return path + "[" + quoted(key) + "]";
}

const char* family_name(Family f) { return f == Family::V4 ? "IPv4" : "IPv6"; }

// ---------------------------------------------------------------------------
// Value checks shared by both formats.

// Reports unless `at` is a map; unlike check_map, says nothing about its keys.
bool expect_object(const YamlAt& at, Diagnostics& diags) {
  if (at.node.is_map()) return true;
  diags.error(at.loc(), at.path, std::string("expected an object, found ") + node_kind_name(at.node));
  return false;
}

// An optional string field: nullopt when absent, null or of the wrong type
// (the last reported).
std::optional<std::string> optional_string(const YamlAt& at, Diagnostics& diags) {
  if (!at.present()) return std::nullopt;
  return read_string(at, diags);
}

std::optional<Protocol> protocol_from(std::string_view s) {
  if (s == "TCP") return Protocol::TCP;
  if (s == "UDP") return Protocol::UDP;
  if (s == "SCTP") return Protocol::SCTP;
  return std::nullopt;
}

std::string protocol_problem(const std::string& s) {
  return "unsupported protocol " + quoted(s) + " (expected TCP, UDP or SCTP)";
}

std::string port_range_problem(int64_t n) {
  return "port " + std::to_string(n) + " is out of range 1-65535";
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// A container port name is an IANA_SVC_NAME, as the API server checks it.
// Returns what is wrong with `name`, or empty when it is valid.
std::string port_name_problem(const std::string& name) {
  if (name.size() > 15) return "must be no more than 15 characters";
  bool letter = false;
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '-')
      return "must contain only lower-case letters, digits and '-'";
    letter = letter || (c >= 'a' && c <= 'z');
  }
  if (!letter) return "must contain at least one letter";
  if (name.front() == '-' || name.back() == '-') return "must not begin or end with '-'";
  if (name.find("--") != std::string::npos) return "must not contain \"--\"";
  return {};
}

// ---------------------------------------------------------------------------
// Name and label syntax, checked for the hand-written inventory only (kubectl
// output has passed the API server's validation already).

// RFC 1123 label: a namespace name, a label key prefix's parts.
bool is_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!is_lower_alnum(c) && c != '-') return false;
  return s.front() != '-' && s.back() != '-';
}

// RFC 1123 subdomain: a pod name, a label key prefix.
bool is_dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!is_dns_label(s.substr(start, dot == std::string_view::npos ? dot : dot - start)))
      return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// The name part of a label key, and a non-empty label value.
bool is_label_name(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return is_alnum(s.front()) && is_alnum(s.back());
}

bool is_label_key(std::string_view key) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return is_label_name(key);
  return is_dns_subdomain(key.substr(0, slash)) && is_label_name(key.substr(slash + 1));
}

bool is_label_value(std::string_view v) { return v.empty() || is_label_name(v); }

// ---------------------------------------------------------------------------
// Building the cluster.

struct PortAt {
  ContainerPort port;
  SourceLoc loc;
  std::string path;
};

// A pod as read, with where each of its parts came from.
struct PodDraft {
  Pod pod;
  std::string path;          // of the pod's name: "items[3].metadata.name", pods["x/a"]
  SourceLoc ns_loc;          // of its namespace
  std::string ns_path;
  std::vector<SourceLoc> ip_locs;     // parallel to pod.ips
  std::vector<std::string> ip_paths;  // parallel to pod.ips
  std::vector<PortAt> ports;
};

// Adds an address, keeping the API server's rule of one address per family.
void add_pod_ip(PodDraft& d, const IpAddr& ip, const SourceLoc& loc, const std::string& path,
                Diagnostics& diags) {
  for (const IpAddr& have : d.pod.ips) {
    if (have.family != ip.family) continue;
    diags.error(loc, path,
                std::string("pod already has an ") + family_name(ip.family) + " address (" +
                    format_ip(have) + "); a pod has at most one IPv4 and one IPv6 address");
    return;
  }
  d.pod.ips.push_back(ip);
  d.ip_locs.push_back(loc);
  d.ip_paths.push_back(path);
}

std::optional<IpAddr> read_ip(const YamlAt& at, Diagnostics& diags) {
  auto text = read_string(at, diags);
  if (!text) return std::nullopt;
  auto ip = parse_ip(*text);
  if (!ip) diags.error(at.loc(), at.path, quoted(*text) + " is not an IP address");
  return ip;
}

std::string port_text(const ContainerPort& p) {
  return std::to_string(p.port) + "/" + protocol_name(p.protocol);
}

bool same_port(const ContainerPort& a, const ContainerPort& b) {
  return a.name == b.name && a.port == b.port && a.protocol == b.protocol;
}

bool port_less(const ContainerPort& a, const ContainerPort& b) {
  return std::tie(a.name, a.port, a.protocol) < std::tie(b.name, b.port, b.protocol);
}

// Collects the namespaces and pods of every document, catches what only shows
// across objects (duplicates, shared addresses, missing namespaces) and sorts.
class ClusterBuilder {
 public:
  explicit ClusterBuilder(Diagnostics& diags) : diags_(diags) {}

  void add_namespace(Namespace ns, const std::string& path);
  void add_pod(PodDraft d);
  void add_dns_server(const IpAddr& ip) { cluster_.dns_servers.push_back(ip); }
  Cluster finish();

 private:
  struct Origin {  // where a pod of cluster_.pods came from, same index
    SourceLoc ns_loc;
    std::string ns_path;
  };
  struct IpOwner {
    IpAddr ip;
    size_t pod = 0;
    SourceLoc loc;
    std::string path;
  };

  void check_port_names(const PodDraft& d);
  void add_implicit_namespaces();
  void check_shared_addresses();

  Diagnostics& diags_;
  Cluster cluster_;
  std::vector<Origin> origins_;
  std::map<std::string, SourceLoc> namespace_locs_;
  std::map<std::string, SourceLoc> pod_locs_;  // by "ns/name"
  std::vector<IpOwner> ip_owners_;             // addresses of enforced pods
};

void ClusterBuilder::add_namespace(Namespace ns, const std::string& path) {
  auto [it, inserted] = namespace_locs_.emplace(ns.name, ns.loc);
  if (!inserted) {
    diags_.error(ns.loc, path, "duplicate namespace " + quoted(ns.name));
    diags_.note(it->second, "", "namespace " + quoted(ns.name) + " first defined here");
    return;
  }
  ns.labels[kNameLabel] = ns.name;  // the API server forces it
  cluster_.namespaces.push_back(std::move(ns));
}

// Two ports of one pod may not share a name (a policy naming it would be
// ambiguous); the same port declared twice is harmless.
void ClusterBuilder::check_port_names(const PodDraft& d) {
  std::vector<const PortAt*> named;
  for (const PortAt& p : d.ports)
    if (!p.port.name.empty()) named.push_back(&p);
  std::stable_sort(named.begin(), named.end(),
                   [](const PortAt* a, const PortAt* b) { return a->port.name < b->port.name; });
  for (size_t i = 0, first = 0; i < named.size(); ++i) {
    if (named[i]->port.name != named[first]->port.name) first = i;
    const PortAt& a = *named[first];
    const PortAt& b = *named[i];
    if (same_port(a.port, b.port)) continue;
    diags_.error(b.loc, b.path,
                 "duplicate port name " + quoted(b.port.name) + " in pod " +
                     quoted(pod_key(d.pod.ns, d.pod.name)) + " (" + port_text(a.port) + " and " +
                     port_text(b.port) + ")");
    diags_.note(a.loc, a.path, "port name " + quoted(a.port.name) + " first used here");
  }
}

void ClusterBuilder::add_pod(PodDraft d) {
  std::string key = pod_key(d.pod.ns, d.pod.name);
  auto [it, inserted] = pod_locs_.emplace(key, d.pod.loc);
  if (!inserted) {
    diags_.error(d.pod.loc, d.path, "duplicate pod " + quoted(key));
    diags_.note(it->second, "", "pod " + quoted(key) + " first defined here");
    return;
  }
  check_port_names(d);
  Pod& pod = d.pod;
  for (const PortAt& p : d.ports) pod.ports.push_back(p.port);
  std::sort(pod.ports.begin(), pod.ports.end(), port_less);
  pod.ports.erase(std::unique(pod.ports.begin(), pod.ports.end(), same_port), pod.ports.end());

  size_t index = cluster_.pods.size();
  if (pod.enforced()) {
    for (size_t i = 0; i < pod.ips.size(); ++i)
      ip_owners_.push_back({pod.ips[i], index, d.ip_locs[i], d.ip_paths[i]});
  }
  std::sort(pod.ips.begin(), pod.ips.end());
  origins_.push_back({d.ns_loc, d.ns_path});
  cluster_.pods.push_back(std::move(pod));
}

// A pod whose namespace the snapshot does not list gets one with only the
// implicit label, and one warning per namespace, at its first pod.
void ClusterBuilder::add_implicit_namespaces() {
  std::map<std::string, size_t> first_pod;
  for (size_t i = 0; i < cluster_.pods.size(); ++i) {
    const std::string& ns = cluster_.pods[i].ns;
    if (!namespace_locs_.count(ns)) first_pod.emplace(ns, i);
  }
  for (const auto& [name, i] : first_pod) {
    const Origin& o = origins_[i];
    diags_.warning(o.ns_loc, o.ns_path,
                   "namespace " + quoted(name) +
                       " is not in the snapshot; assuming it exists with only the label " +
                       kNameLabel + "=" + name);
    add_namespace({name, {}, o.ns_loc}, o.ns_path);
  }
}

// Two enforced pods with one address would make every rule about either of
// them ambiguous.
void ClusterBuilder::check_shared_addresses() {
  std::stable_sort(ip_owners_.begin(), ip_owners_.end(),
                   [](const IpOwner& a, const IpOwner& b) { return a.ip < b.ip; });
  for (size_t i = 1, first = 0; i < ip_owners_.size(); ++i) {
    if (ip_owners_[i].ip != ip_owners_[first].ip) {
      first = i;
      continue;
    }
    const IpOwner& a = ip_owners_[first];
    const IpOwner& b = ip_owners_[i];
    const Pod& pa = cluster_.pods[a.pod];
    const Pod& pb = cluster_.pods[b.pod];
    diags_.error(b.loc, b.path,
                 "pods " + quoted(pod_key(pb.ns, pb.name)) + " and " +
                     quoted(pod_key(pa.ns, pa.name)) + " both have the address " +
                     format_ip(b.ip));
    diags_.note(a.loc, a.path, "pod " + quoted(pod_key(pa.ns, pa.name)) + " has it here");
  }
}

Cluster ClusterBuilder::finish() {
  add_implicit_namespaces();
  check_shared_addresses();
  auto& nss = cluster_.namespaces;
  std::sort(nss.begin(), nss.end(),
            [](const Namespace& a, const Namespace& b) { return a.name < b.name; });
  auto& pods = cluster_.pods;
  std::sort(pods.begin(), pods.end(), [](const Pod& a, const Pod& b) {
    return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
  });
  auto& dns = cluster_.dns_servers;
  std::sort(dns.begin(), dns.end());
  dns.erase(std::unique(dns.begin(), dns.end()), dns.end());
  return std::move(cluster_);
}

// ---------------------------------------------------------------------------
// kubectl output: lenient about fields, strict about the types of what is read.

struct ObjectMeta {
  std::string ns;
  std::string name;
  Labels labels;
  SourceLoc loc;  // of the name
  std::string name_path;
  SourceLoc ns_loc;
  std::string ns_path;
};

std::optional<Labels> read_labels(const YamlAt& at, Diagnostics& diags) {
  auto entries = read_string_map(at, diags);
  if (!entries) return std::nullopt;
  Labels out;
  for (const auto& e : *entries) out.emplace(e.key, e.value);
  return out;
}

// What is wrong with a name (labels.h), or nullopt.
using NameCheck = std::optional<std::string> (*)(std::string_view);

// metadata of a Namespace or a Pod. Names are checked even in kubectl output,
// as the API server checks them: they end up in rule comments and in
// --endpoint, and a name no cluster can have means the input is not what it
// claims to be.
std::optional<ObjectMeta> read_metadata(const YamlAt& obj, NameCheck check_name,
                                        Diagnostics& diags) {
  YamlAt meta = obj.field("metadata");
  if (!meta.present()) {
    report_missing(obj, "metadata", diags);
    return std::nullopt;
  }
  if (!expect_object(meta, diags)) return std::nullopt;
  ObjectMeta out;
  YamlAt name = meta.field("name");
  auto name_text = optional_string(name, diags);
  if (!name.present()) report_missing(meta, "name", diags);
  if (!name_text) return std::nullopt;
  if (auto why = check_name(*name_text)) {
    diags.error(name.loc(), name.path, "invalid name " + quoted(*name_text) + ": " + *why);
    return std::nullopt;
  }
  out.name = *name_text;
  out.loc = name.loc();
  out.name_path = name.path;

  YamlAt ns = meta.field("namespace");
  out.ns = optional_string(ns, diags).value_or("");
  out.ns_loc = ns.present() ? ns.loc() : out.loc;
  out.ns_path = ns.path;
  if (out.ns.empty()) out.ns = "default";
  if (auto why = check_dns1123_label(out.ns)) {
    diags.error(ns.loc(), ns.path, "invalid namespace " + quoted(out.ns) + ": " + *why);
    return std::nullopt;
  }

  auto labels = read_labels(meta.field("labels"), diags);
  if (labels) out.labels = std::move(*labels);
  return out;
}

void read_namespace_object(const YamlAt& obj, Diagnostics& diags, ClusterBuilder& out) {
  auto meta = read_metadata(obj, check_dns1123_label, diags);
  if (!meta) return;
  out.add_namespace({meta->name, std::move(meta->labels), meta->loc}, meta->name_path);
}

// One of spec.containers[].ports[].
void read_container_port(const YamlAt& at, PodDraft& d, Diagnostics& diags) {
  if (!expect_object(at, diags)) return;
  ContainerPort port;
  bool ok = true;
  YamlAt number = at.field("containerPort");
  if (!number.present()) {
    report_missing(at, "containerPort", diags);
    ok = false;
  } else if (auto n = read_int(number, diags); !n) {
    ok = false;
  } else if (*n < 1 || *n > 65535) {
    diags.error(number.loc(), number.path, port_range_problem(*n));
    ok = false;
  } else {
    port.port = int32_t(*n);
  }
  YamlAt name = at.field("name");
  if (auto s = optional_string(name, diags); s && !s->empty()) {
    std::string problem = port_name_problem(*s);
    if (!problem.empty()) {
      diags.error(name.loc(), name.path, "invalid port name " + quoted(*s) + ": " + problem);
      ok = false;
    }
    port.name = *s;
  }
  YamlAt protocol = at.field("protocol");
  if (auto s = optional_string(protocol, diags)) {
    auto p = protocol_from(*s);
    if (!p) {
      diags.error(protocol.loc(), protocol.path, protocol_problem(*s));
      ok = false;
    }
    port.protocol = p.value_or(Protocol::TCP);
  }
  if (!ok) return;
  bool named = !port.name.empty();
  d.ports.push_back({port, named ? name.loc() : at.loc(), named ? name.path : at.path});
}

// A sidecar: an init container that keeps running (restartPolicy: Always) and
// so serves its ports, which named ports resolve to like any container's.
bool is_sidecar(const YamlAt& container, Diagnostics& diags) {
  return optional_string(container.field("restartPolicy"), diags) == "Always";
}

void read_containers(const YamlAt& list, bool init, PodDraft& d, Diagnostics& diags) {
  if (!list.present() || !check_sequence(list, diags)) return;
  for (size_t i = 0; i < list.node.size(); ++i) {
    YamlAt container = list.item(i);
    if (!expect_object(container, diags)) continue;
    if (init && !is_sidecar(container, diags)) continue;
    YamlAt ports = container.field("ports");
    if (!ports.present() || !check_sequence(ports, diags)) continue;
    for (size_t j = 0; j < ports.node.size(); ++j) read_container_port(ports.item(j), d, diags);
  }
}

// status.podIPs[].ip, or status.podIP when podIPs is absent. When both are
// given, podIP must be podIPs[0] (kubectl output always agrees).
void read_status_ips(const YamlAt& status, PodDraft& d, Diagnostics& diags) {
  YamlAt single = status.field("podIP");
  std::optional<IpAddr> single_ip;
  bool single_empty = single.node.is_scalar() && single.node.scalar().empty();  // "" is unset
  if (single.present() && !single_empty) single_ip = read_ip(single, diags);

  YamlAt list = status.field("podIPs");
  if (list.present() && !check_sequence(list, diags)) return;
  if (!list.present() || list.node.size() == 0) {
    if (single_ip) add_pod_ip(d, *single_ip, single.loc(), single.path, diags);
    return;
  }
  for (size_t i = 0; i < list.node.size(); ++i) {
    YamlAt item = list.item(i);
    if (!expect_object(item, diags)) continue;
    YamlAt ip = item.field("ip");
    if (!ip.present()) {
      report_missing(item, "ip", diags);
      continue;
    }
    auto addr = read_ip(ip, diags);
    if (!addr) continue;
    if (i == 0 && single_ip && *single_ip != *addr)
      diags.error(single.loc(), single.path,
                  "status.podIP " + format_ip(*single_ip) + " is not status.podIPs[0].ip " +
                      format_ip(*addr));
    add_pod_ip(d, *addr, ip.loc(), ip.path, diags);
  }
}

void read_pod_object(const YamlAt& obj, Diagnostics& diags, ClusterBuilder& out) {
  auto meta = read_metadata(obj, check_dns1123_subdomain, diags);
  if (!meta) return;
  PodDraft d;
  d.pod.ns = meta->ns;
  d.pod.name = meta->name;
  d.pod.labels = std::move(meta->labels);
  d.pod.loc = meta->loc;
  d.path = meta->name_path;
  d.ns_loc = meta->ns_loc;
  d.ns_path = meta->ns_path;

  YamlAt spec = obj.field("spec");
  if (spec.present() && expect_object(spec, diags)) {
    YamlAt host = spec.field("hostNetwork");
    if (host.present()) d.pod.host_network = read_bool(host, diags).value_or(false);
    read_containers(spec.field("containers"), false, d, diags);
    read_containers(spec.field("initContainers"), true, d, diags);
  }
  YamlAt status = obj.field("status");
  if (status.present() && expect_object(status, diags)) {
    d.pod.phase = optional_string(status.field("phase"), diags).value_or("");
    read_status_ips(status, d, diags);
  }
  out.add_pod(std::move(d));
}

// ---------------------------------------------------------------------------
// The lab inventory: strict.

struct Entry {
  std::string key;
  SourceLoc key_loc;
  YamlAt value;
};

// The entries of a map keyed by names (null counts as empty); the value paths
// are `path["key"]`. Duplicate keys are left to the caller's duplicate checks.
std::vector<Entry> map_entries(const YamlAt& at, Diagnostics& diags) {
  std::vector<Entry> out;
  if (!at.present()) return out;
  if (!expect_object(at, diags)) return out;
  for (size_t i = 0; i < at.node.size(); ++i) {
    NodeRef k = at.node.key(i);
    SourceLoc loc = loc_of(k, at.file);
    if (!k.is_scalar()) {
      diags.error(loc, at.path, "object keys must be strings");
      continue;
    }
    std::string key(k.scalar());
    out.push_back({key, loc, {at.node.value(i), at.file, entry_path(at.path, key)}});
  }
  return out;
}

// Labels of a namespace or pod, with their syntax checked.
std::optional<Labels> read_inventory_labels(const YamlAt& at, Diagnostics& diags) {
  auto entries = read_string_map(at, diags);
  if (!entries) return std::nullopt;
  bool ok = true;
  Labels labels;
  for (const auto& e : *entries) {
    if (!is_label_key(e.key)) {
      diags.error(e.key_loc(), e.value_at.path, "invalid label key " + quoted(e.key));
      ok = false;
    } else if (!is_label_value(e.value)) {
      diags.error(e.value_at.loc(), e.value_at.path, "invalid label value " + quoted(e.value));
      ok = false;
    }
    labels.emplace(e.key, e.value);
  }
  if (!ok) return std::nullopt;
  return labels;
}

void read_inventory_namespace(const Entry& e, Diagnostics& diags, ClusterBuilder& out) {
  if (!is_dns_label(e.key)) {
    diags.error(e.key_loc, e.value.path,
                "invalid namespace name " + quoted(e.key) +
                    ": must be lower-case letters, digits and '-', at most 63, starting and "
                    "ending with a letter or digit");
    return;
  }
  // Even with bad labels the namespace exists: its pods must not read as
  // being in an unknown namespace.
  Labels labels = read_inventory_labels(e.value, diags).value_or(Labels{});
  auto it = labels.find(kNameLabel);
  if (it != labels.end() && it->second != e.key) {
    YamlAt v = e.value.field(kNameLabel);
    diags.error(v.loc(), v.path,
                std::string("the label ") + kNameLabel + " is always the namespace name " +
                    quoted(e.key));
  }
  out.add_namespace({e.key, std::move(labels), e.key_loc}, e.value.path);
}

// "[name=]port[/TCP|UDP|SCTP]". Returns the port, or sets `problem`.
std::optional<ContainerPort> parse_port_text(const std::string& text, std::string& problem) {
  ContainerPort port;
  std::string_view rest = text;
  if (size_t eq = rest.find('='); eq != std::string_view::npos) {
    port.name = std::string(rest.substr(0, eq));
    rest.remove_prefix(eq + 1);
    std::string name_problem = port.name.empty() ? "must not be empty" : port_name_problem(port.name);
    if (!name_problem.empty()) {
      problem = "invalid port name " + quoted(port.name) + ": " + name_problem;
      return std::nullopt;
    }
  }
  std::string_view number = rest;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    number = rest.substr(0, slash);
    std::string proto(rest.substr(slash + 1));
    auto p = protocol_from(proto);
    if (!p) {
      problem = protocol_problem(proto);
      return std::nullopt;
    }
    port.protocol = *p;
  }
  bool digits = !number.empty() && number.size() <= 6 && number.front() != '0';
  for (char c : number) digits = digits && c >= '0' && c <= '9';
  if (number == "0") digits = true;
  if (!digits) {
    problem = "invalid port " + quoted(text) + ": expected [name=]port[/TCP|UDP|SCTP]";
    return std::nullopt;
  }
  int64_t n = std::stoll(std::string(number));
  if (n < 1 || n > 65535) {
    problem = port_range_problem(n);
    return std::nullopt;
  }
  port.port = int32_t(n);
  return port;
}

void read_inventory_ports(const YamlAt& list, PodDraft& d, Diagnostics& diags) {
  if (!list.present() || !check_sequence(list, diags)) return;
  for (size_t i = 0; i < list.node.size(); ++i) {
    YamlAt item = list.item(i);
    auto text = read_string(item, diags);
    if (!text) continue;
    std::string problem;
    auto port = parse_port_text(*text, problem);
    if (!port) {
      diags.error(item.loc(), item.path, problem);
      continue;
    }
    d.ports.push_back({*port, item.loc(), item.path});
  }
}

void read_inventory_ips(const YamlAt& list, PodDraft& d, Diagnostics& diags) {
  if (!list.present() || !check_sequence(list, diags)) return;
  for (size_t i = 0; i < list.node.size(); ++i) {
    YamlAt item = list.item(i);
    if (auto ip = read_ip(item, diags)) add_pod_ip(d, *ip, item.loc(), item.path, diags);
  }
}

const std::vector<std::string> kPhases = {"Pending", "Running", "Succeeded", "Failed", "Unknown"};

std::optional<std::string> read_phase(const YamlAt& at, Diagnostics& diags) {
  auto phase = read_string(at, diags);
  if (!phase) return std::nullopt;
  if (std::find(kPhases.begin(), kPhases.end(), *phase) != kPhases.end()) return phase;
  std::string msg = "unknown phase " + quoted(*phase);
  std::string hint = closest_match(*phase, kPhases);
  msg += hint.empty() ? " (expected Pending, Running, Succeeded, Failed or Unknown)"
                      : " (did you mean " + quoted(hint) + "?)";
  diags.error(at.loc(), at.path, msg);
  return std::nullopt;
}

void read_inventory_pod(const Entry& e, Diagnostics& diags, ClusterBuilder& out) {
  size_t slash = e.key.find('/');
  std::string ns = e.key.substr(0, slash);
  std::string name = slash == std::string::npos ? "" : e.key.substr(slash + 1);
  if (slash == std::string::npos || !is_dns_label(ns) || !is_dns_subdomain(name)) {
    diags.error(e.key_loc, e.value.path,
                "invalid pod key " + quoted(e.key) +
                    ": expected \"namespace/name\" (lower-case letters, digits, '-' and '.')");
    return;
  }
  PodDraft d;
  d.pod.ns = ns;
  d.pod.name = name;
  d.pod.loc = e.key_loc;
  d.path = e.value.path;
  d.ns_loc = e.key_loc;
  d.ns_path = e.value.path;
  const YamlAt& v = e.value;
  if (v.present() && check_map(v, {"labels", "ips", "ports", "hostNetwork", "phase"}, diags)) {
    if (auto labels = read_inventory_labels(v.field("labels"), diags)) d.pod.labels = *labels;
    read_inventory_ips(v.field("ips"), d, diags);
    read_inventory_ports(v.field("ports"), d, diags);
    YamlAt host = v.field("hostNetwork");
    if (host.present()) d.pod.host_network = read_bool(host, diags).value_or(false);
    YamlAt phase = v.field("phase");
    if (phase.present()) d.pod.phase = read_phase(phase, diags).value_or("");
  }
  out.add_pod(std::move(d));
}

void read_dns_servers(const YamlAt& list, Diagnostics& diags, ClusterBuilder& out) {
  if (!list.present() || !check_sequence(list, diags)) return;
  for (size_t i = 0; i < list.node.size(); ++i)
    if (auto ip = read_ip(list.item(i), diags)) out.add_dns_server(*ip);
}

void read_inventory(const YamlAt& doc, Diagnostics& diags, ClusterBuilder& out) {
  if (!check_map(doc, {"apiVersion", "kind", "namespaces", "pods", "dnsServers"}, diags)) return;
  for (const Entry& e : map_entries(doc.field("namespaces"), diags))
    read_inventory_namespace(e, diags, out);
  for (const Entry& e : map_entries(doc.field("pods"), diags)) read_inventory_pod(e, diags, out);
  read_dns_servers(doc.field("dnsServers"), diags, out);
}

// ---------------------------------------------------------------------------
// Documents and lists.

constexpr const char* kInventoryApi = "netpolc/v1";

void read_object(const YamlAt& obj, const std::string& default_kind, bool in_list,
                 Diagnostics& diags, ClusterBuilder& out);

// The items of a List, NamespaceList or PodList. Items of a typed list may
// omit their kind (the API server's lists do).
void read_items(const YamlAt& list, const std::string& item_kind, Diagnostics& diags,
                ClusterBuilder& out) {
  YamlAt items = list.field("items");
  if (!items.present() || !check_sequence(items, diags)) return;
  for (size_t i = 0; i < items.node.size(); ++i)
    read_object(items.item(i), item_kind, true, diags, out);
}

bool is_list_kind(const std::string& kind) {
  return kind == "List" || kind == "NamespaceList" || kind == "PodList";
}

// Any object of a snapshot: what is not a Namespace, a Pod, a list of them or
// an inventory (Services, Deployments, Nodes, ...) is skipped. kubectl never
// nests lists, and refusing to keeps a self-referencing YAML alias
// (`&l {kind: List, items: [*l]}`) from recursing forever.
void read_object(const YamlAt& obj, const std::string& default_kind, bool in_list,
                 Diagnostics& diags, ClusterBuilder& out) {
  if (!expect_object(obj, diags)) return;
  YamlAt kind_at = obj.field("kind");
  YamlAt api_at = obj.field("apiVersion");
  auto kind = optional_string(kind_at, diags);
  auto api = optional_string(api_at, diags);
  if (kind_at.present() && !kind) return;
  if (api_at.present() && !api) return;
  if (!kind || kind->empty()) kind = default_kind;
  if (kind->empty()) {
    report_missing(obj, "kind", diags);
    return;
  }

  if (*kind == "Inventory" || api == kInventoryApi) {
    if (!api)
      report_missing(obj, "apiVersion", diags);
    else if (*api != kInventoryApi)
      diags.error(api_at.loc(), api_at.path,
                  "unsupported apiVersion " + quoted(*api) +
                      " for kind Inventory (expected " + kInventoryApi + ")");
    else if (*kind != "Inventory")
      diags.error(kind_at.loc(), kind_at.path,
                  "unsupported kind " + quoted(*kind) + " for apiVersion " + kInventoryApi +
                      " (expected Inventory)");
    else
      read_inventory(obj, diags, out);
    return;
  }
  if (in_list && is_list_kind(*kind)) {
    diags.error(kind_at.loc(), kind_at.path, "a " + *kind + " cannot be an item of a list");
    return;
  }
  if (*kind == "List") return read_items(obj, "", diags, out);
  if (*kind == "NamespaceList") return read_items(obj, "Namespace", diags, out);
  if (*kind == "PodList") return read_items(obj, "Pod", diags, out);
  if (*kind != "Namespace" && *kind != "Pod") return;
  if (api && *api != "v1") {
    diags.warning(api_at.loc(), api_at.path,
                  "skipping a " + *kind + " of apiVersion " + quoted(*api) +
                      ": only core v1 objects are read");
    return;
  }
  if (*kind == "Namespace") read_namespace_object(obj, diags, out);
  else read_pod_object(obj, diags, out);
}

}  // namespace

Cluster parse_snapshot(const std::vector<InputFile>& files, Diagnostics& diags) {
  ClusterBuilder out(diags);
  ReadBudget budget(files);
  for (const InputFile& file : files) {
    for (const Document& doc : load_documents(file, budget, diags)) {
      if (root_of(doc).is_null()) continue;  // an empty document: "---" at the end, a comment
      DocumentSize size = check_document_size(doc, file.name, budget, diags);
      if (size == DocumentSize::TooLarge) return out.finish();
      if (size == DocumentSize::TooDeep) continue;
      read_object({root_of(doc), file.name, ""}, "", false, diags, out);
    }
  }
  return out.finish();
}

}  // namespace netpolc
