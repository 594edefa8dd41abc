#include "tests/scenario.h"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/inputs.h"
#include "compiler/policy_parser.h"
#include "compiler/snapshot_parser.h"

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

// Replaces the labels of namespaces and pods, as upstream's label updates do.
void apply_label_overrides(Cluster& c, const YAML::Node& labels) {
  if (!labels) return;
  for (auto it : labels["namespaces"]) {
    std::string name = it.first.as<std::string>();
    auto ns = std::find_if(c.namespaces.begin(), c.namespaces.end(),
                           [&](const Namespace& n) { return n.name == name; });
    REQUIRE_MESSAGE(ns != c.namespaces.end(), "no namespace " << name);
    ns->labels.clear();
    for (auto kv : it.second) ns->labels[kv.first.as<std::string>()] = kv.second.as<std::string>();
    ns->labels["kubernetes.io/metadata.name"] = name;
  }
  for (auto it : labels["pods"]) {
    std::string ref = it.first.as<std::string>();
    auto pod = std::find_if(c.pods.begin(), c.pods.end(),
                            [&](const Pod& p) { return p.ns + "/" + p.name == ref; });
    REQUIRE_MESSAGE(pod != c.pods.end(), "no pod " << ref);
    pod->labels.clear();
    for (auto kv : it.second) pod->labels[kv.first.as<std::string>()] = kv.second.as<std::string>();
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
  YAML::Node doc = YAML::LoadFile(path);
  std::string file = std::filesystem::path(path).filename().string();
  int step_no = 0;
  for (const auto& step : doc["steps"]) {
    ++step_no;
    Scenario s;
    s.name = file + " step " + std::to_string(step_no);
    s.cluster = base;
    apply_label_overrides(s.cluster, step["labels"]);
    s.policies = load_policies({{s.name, step["policies"].as<std::string>("")}});
    for (const auto& ex : step["expect"]) {
      Expectation proto;
      proto.port = ex["port"].as<uint16_t>();
      proto.protocol = parse_l4(ex["protocol"].as<std::string>());
      proto.family = ex["family"].as<std::string>("IPv4") == "IPv6" ? Family::V6 : Family::V4;
      std::istringstream grid(ex["grid"].as<std::string>());
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
  YAML::Node doc = YAML::LoadFile(path);
  std::string file = std::filesystem::path(path).filename().string();
  Scenario s;
  s.name = file + ": " + doc["name"].as<std::string>();
  s.cluster = load_cluster({root() + "/" + doc["snapshot"].as<std::string>()});
  std::vector<InputFile> inputs;
  for (const auto& p : doc["policies"]) {
    std::string rel = p.as<std::string>();
    inputs.push_back({rel, slurp(root() + "/" + rel)});
  }
  s.policies = load_policies(inputs);
  s.dns_carve_out = doc["dnsCarveOut"].as<std::string>("none") == "cluster";
  for (const auto& pr : doc["probes"]) {
    Expectation e;
    e.from = pr["from"].as<std::string>();
    e.to = pr["to"].as<std::string>();
    parse_port(pr["port"].as<std::string>(), e);
    e.family = pr["family"].as<std::string>("IPv4") == "IPv6" ? Family::V6 : Family::V4;
    std::string expect = pr["expect"].as<std::string>();
    REQUIRE_MESSAGE((expect == "allow" || expect == "deny"), s.name << ": bad expect " << expect);
    e.allow = expect == "allow";
    e.where = s.name;
    s.expectations.push_back(e);
  }
  return {s};
}

}  // namespace netpolc::test
