#include "tests/scenario.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "compiler/snapshot_parser.h"
#include "compiler/yaml_reader.h"

namespace netpolc::test {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  REQUIRE_MESSAGE(f.good(), "cannot read " << path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string root() { return NETPOLC_SOURCE_DIR; }

Cluster load_cluster(const std::vector<std::string>& paths) {
  Diagnostics diags;
  SourceFiles sources;
  auto files = read_inputs(paths, diags, sources);
  Cluster c = parse_snapshot(files, diags);
  INFO(format_diagnostics(diags, sources));
  REQUIRE_FALSE(diags.has_errors());
  return c;
}

PolicySet load_policies(const std::vector<InputFile>& files) {
  Diagnostics diags;
  SourceFiles sources;
  for (const auto& f : files) sources.add(f.name, f.text);
  PolicySet p = parse_policies(files, diags);
  INFO(format_diagnostics(diags, sources));
  REQUIRE_FALSE(diags.has_errors());
  return p;
}

// The one document of a test's YAML file.
Document load_yaml_file(const std::string& path) {
  InputFile in{path, slurp(path)};
  ReadBudget budget({in});
  Diagnostics diags;
  std::vector<Document> docs = read_yaml(in, budget, diags);
  REQUIRE_MESSAGE(!diags.has_errors(), "cannot read " << path);
  REQUIRE_MESSAGE(docs.size() == 1, path << " must hold one document");
  return std::move(docs[0]);
}

// The value of `key` in a map, absent when there is none.
NodeRef get(const NodeRef& map, std::string_view key) {
  for (size_t i = 0; i < map.size() && map.is_map(); ++i)
    if (map.key(i).scalar() == key) return map.value(i);
  return {};
}

std::string text(const NodeRef& n, const std::string& fallback = "") {
  return n.is_scalar() ? std::string(n.scalar()) : fallback;
}

Labels labels_of(const NodeRef& map) {
  Labels out;
  for (size_t i = 0; i < map.size() && map.is_map(); ++i) out[text(map.key(i))] = text(map.value(i));
  return out;
}

// Replaces the labels of namespaces and pods, as upstream's label updates do.
void apply_label_overrides(Cluster& c, const NodeRef& labels) {
  NodeRef namespaces = get(labels, "namespaces");
  for (size_t i = 0; i < namespaces.size() && namespaces.is_map(); ++i) {
    std::string name = text(namespaces.key(i));
    auto ns = std::find_if(c.namespaces.begin(), c.namespaces.end(),
                           [&](const Namespace& n) { return n.name == name; });
    REQUIRE_MESSAGE(ns != c.namespaces.end(), "no namespace " << name);
    ns->labels = labels_of(namespaces.value(i));
    ns->labels["kubernetes.io/metadata.name"] = name;
  }
  NodeRef pods = get(labels, "pods");
  for (size_t i = 0; i < pods.size() && pods.is_map(); ++i) {
    std::string ref = text(pods.key(i));
    auto pod = std::find_if(c.pods.begin(), c.pods.end(),
                            [&](const Pod& p) { return p.ns + "/" + p.name == ref; });
    REQUIRE_MESSAGE(pod != c.pods.end(), "no pod " << ref);
    pod->labels = labels_of(pods.value(i));
  }
}

L4 parse_l4(const std::string& s) {
  if (s == "TCP") return L4::TCP;
  if (s == "UDP") return L4::UDP;
  if (s == "SCTP") return L4::SCTP;
  REQUIRE_MESSAGE(s == "ICMP", "bad protocol " << s);
  return L4::ICMP;
}

// "80/TCP", "53/UDP", "ICMP".
void parse_port(const std::string& s, Expectation& e) {
  if (s == "ICMP") {
    e.protocol = L4::ICMP;
    return;
  }
  auto slash = s.find('/');
  REQUIRE_MESSAGE(slash != std::string::npos, "bad port " << s);
  e.port = uint16_t(std::stoi(s.substr(0, slash)));
  e.protocol = parse_l4(s.substr(slash + 1));
}

}  // namespace

std::vector<std::string> fixture_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root() + "/" + dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.path().extension() == ".yaml" && name != "cluster.yaml") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool endpoint_address(const Cluster& cluster, const std::string& who, Family f, IpAddr* out) {
  if (auto ip = parse_ip(who)) {
    *out = *ip;
    return ip->family == f;
  }
  for (const auto& p : cluster.pods)
    if (p.ns + "/" + p.name == who)
      for (const auto& ip : p.ips)
        if (ip.family == f) {
          *out = ip;
          return true;
        }
  return false;
}

std::vector<Scenario> load_e2e_case(const std::string& path) {
  std::vector<Scenario> out;
  const Cluster base = load_cluster({root() + "/fixtures/e2e/cluster.yaml"});
  Document doc = load_yaml_file(path);
  std::string file = std::filesystem::path(path).filename().string();
  NodeRef steps = get(root_of(doc), "steps");
  for (size_t step_no = 1; step_no <= steps.size(); ++step_no) {
    NodeRef step = steps.item(step_no - 1);
    Scenario s;
    s.name = file + " step " + std::to_string(step_no);
    s.cluster = base;
    apply_label_overrides(s.cluster, get(step, "labels"));
    s.policies = load_policies({{s.name, text(get(step, "policies"))}});
    NodeRef expect = get(step, "expect");
    for (size_t i = 0; i < expect.size(); ++i) {
      NodeRef ex = expect.item(i);
      Expectation proto;
      proto.port = uint16_t(std::stoi(text(get(ex, "port"))));
      proto.protocol = parse_l4(text(get(ex, "protocol")));
      proto.family = text(get(ex, "family"), "IPv4") == "IPv6" ? Family::V6 : Family::V4;
      std::istringstream grid(text(get(ex, "grid")));
      std::string line;
      std::vector<std::string> columns;
      std::getline(grid, line);
      std::istringstream header(line);
      std::string tok;
      header >> tok;  // "-"
      while (header >> tok) columns.push_back(tok);
      while (std::getline(grid, line)) {
        std::istringstream row(line);
        std::string from;
        if (!(row >> from)) continue;
        for (const auto& to : columns) {
          bool cell = bool(row >> tok);
          REQUIRE_MESSAGE(cell, s.name << ": short grid row " << from);
          // Upstream ignores loopback: a pod reaching its own address never
          // crosses the host's firewall.
          if (from == to) continue;
          Expectation e = proto;
          e.from = from;
          e.to = to;
          e.allow = tok == ".";
          e.where = s.name + " " + std::to_string(e.port) + "/" + l4_name(e.protocol) +
                    (e.family == Family::V6 ? " IPv6" : "");
          s.expectations.push_back(e);
        }
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Scenario> load_seed_scenario(const std::string& path) {
  Document doc = load_yaml_file(path);
  NodeRef top = root_of(doc);
  std::string file = std::filesystem::path(path).filename().string();
  Scenario s;
  s.name = file + ": " + text(get(top, "name"));
  s.cluster = load_cluster({root() + "/" + text(get(top, "snapshot"))});
  std::vector<InputFile> inputs;
  NodeRef policies = get(top, "policies");
  for (size_t i = 0; i < policies.size(); ++i) {
    std::string rel = text(policies.item(i));
    inputs.push_back({rel, slurp(root() + "/" + rel)});
  }
  s.policies = load_policies(inputs);
  s.dns_carve_out = text(get(top, "dnsCarveOut"), "none") == "cluster";
  NodeRef probes = get(top, "probes");
  for (size_t i = 0; i < probes.size(); ++i) {
    NodeRef pr = probes.item(i);
    Expectation e;
    e.from = text(get(pr, "from"));
    e.to = text(get(pr, "to"));
    parse_port(text(get(pr, "port")), e);
    e.family = text(get(pr, "family"), "IPv4") == "IPv6" ? Family::V6 : Family::V4;
    std::string expect = text(get(pr, "expect"));
    REQUIRE_MESSAGE((expect == "allow" || expect == "deny"), s.name << ": bad expect " << expect);
    e.allow = expect == "allow";
    e.where = s.name;
    s.expectations.push_back(e);
  }
  return {s};
}

}  // namespace netpolc::test
