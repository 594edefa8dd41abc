#include "verify/plan.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace netpolc::verify {

namespace {

bool parse_port(const std::string& text, ContainerPort* out, std::string* error) {
  std::string num = text, proto = "TCP";
  if (auto slash = text.find('/'); slash != std::string::npos) {
    num = text.substr(0, slash);
    proto = text.substr(slash + 1);
    std::transform(proto.begin(), proto.end(), proto.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  }
  bool digits = !num.empty() && num.size() <= 5 &&
                std::all_of(num.begin(), num.end(), [](unsigned char c) { return std::isdigit(c); });
  long port = digits ? std::stol(num) : 0;
  if (port < 1 || port > 65535) {
    *error = "bad port '" + text + "': want 1-65535, optionally with /TCP, /UDP or /SCTP";
    return false;
  }
  out->port = int32_t(port);
  if (proto == "TCP")
    out->protocol = Protocol::TCP;
  else if (proto == "UDP")
    out->protocol = Protocol::UDP;
  else if (proto == "SCTP")
    out->protocol = Protocol::SCTP;
  else {
    *error = "bad protocol in '" + text + "': want TCP, UDP or SCTP";
    return false;
  }
  return true;
}

std::optional<L4> l4_of(Protocol p) {
  switch (p) {
    case Protocol::TCP:
      return L4::TCP;
    case Protocol::UDP:
      return L4::UDP;
    case Protocol::SCTP:
      return L4::SCTP;
  }
  return std::nullopt;
}

const IpAddr* address_of(const lab::LabHost& h, Family f) {
  for (const auto& ip : h.ips)
    if (ip.family == f) return &ip;
  return nullptr;
}

std::string policy_name(const PolicySet& policies, size_t i) {
  return policies.policies[i].ns + "/" + policies.policies[i].name;
}

std::string side_text(const SideVerdict& s, Direction d, const PolicySet& policies, const Cluster& cluster) {
  const Pod& pod = cluster.pods[size_t(s.pod)];
  std::string who = std::string(direction_name(d)) + " of " + pod.ns + "/" + pod.name;
  if (s.allowed_by) {
    const RuleRef& r = *s.allowed_by;
    return policy_name(policies, r.policy) + " " + direction_name(d) + "[" + std::to_string(r.rule) + "]";
  }
  std::string by;
  for (size_t i = 0; i < s.isolating.size(); ++i) by += (i ? ", " : "") + policy_name(policies, s.isolating[i]);
  return "the " + who + " is isolated by " + by + " and no rule allows it";
}

}  // namespace

bool parse_external(const std::string& text, External* out, std::string* error) {
  std::string addr = text, ports;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos) {
      *error = "bad external host '" + text + "': no closing ]";
      return false;
    }
    addr = text.substr(1, close - 1);
    std::string rest = text.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') {
      *error = "bad external host '" + text + "': want [IPv6]:PORTS";
      return false;
    }
    ports = rest.empty() ? "" : rest.substr(1);
  } else if (!parse_ip(text)) {
    size_t colon = text.find(':');
    addr = text.substr(0, colon);
    ports = colon == std::string::npos ? "" : text.substr(colon + 1);
  }
  auto ip = parse_ip(addr);
  if (!ip) {
    *error =
        "bad external host '" + text + "': '" + addr + "' is not an IP address (write IPv6 with ports as [ADDR]:PORTS)";
    return false;
  }
  out->addr = *ip;
  out->ports.clear();
  size_t start = 0;
  while (!ports.empty() && start <= ports.size()) {
    size_t comma = ports.find(',', start);
    std::string one = ports.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    ContainerPort p;
    if (!parse_port(one, &p, error)) {
      *error = "external host '" + text + "': " + *error;
      return false;
    }
    out->ports.push_back(p);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return true;
}

std::string explain(const Verdict& v, const PolicySet& policies, const Cluster& cluster) {
  if (v.loopback) return "allowed: a pod talking to itself";
  std::vector<std::string> parts;
  if (v.allowed) {
    for (auto [side, d] : {std::pair{&v.egress, Direction::Egress}, std::pair{&v.ingress, Direction::Ingress}})
      if (side->isolated()) parts.push_back(side_text(*side, d, policies, cluster));
    if (parts.empty()) return "allowed: neither end is isolated";
    return "allowed by " + parts[0] + (parts.size() > 1 ? " and " + parts[1] : "");
  }
  for (auto [side, d] : {std::pair{&v.egress, Direction::Egress}, std::pair{&v.ingress, Direction::Ingress}})
    if (!side->allowed()) parts.push_back(side_text(*side, d, policies, cluster));
  return "denied: " + parts[0] + (parts.size() > 1 ? "; " + parts[1] : "");
}

bool make_plan(const Cluster& cluster, const PolicySet& policies, const Program& prog, const PlanOptions& options,
               Plan* plan, std::string* error) {
  *plan = Plan{};
  Evaluator ev(cluster, policies);
  std::vector<std::vector<ContainerPort>> ports;  // per host
  for (size_t i = 0; i < cluster.pods.size(); ++i) {
    const Pod& p = cluster.pods[i];
    if (!p.enforced()) {
      ++plan->pods_skipped;
      continue;
    }
    plan->spec.hosts.push_back({p.ns + "/" + p.name, p.ips});
    plan->pod_of_host.push_back(long(i));
    ports.push_back(p.ports);
  }
  std::set<IpAddr> seen;
  for (const auto& e : options.externals) {
    if (ev.pod_by_ip(e.addr) >= 0) {
      *error = "external host " + format_ip(e.addr) + " is the address of a pod";
      return false;
    }
    if (!seen.insert(e.addr).second) {
      *error = "external host " + format_ip(e.addr) + " is given twice";
      return false;
    }
    plan->spec.hosts.push_back({format_ip(e.addr), {e.addr}});
    plan->pod_of_host.push_back(-1);
    ports.push_back(e.ports);
  }
  for (auto& list : ports) {
    list.insert(list.end(), options.extra_ports.begin(), options.extra_ports.end());
    std::set<std::pair<Protocol, int32_t>> unique;
    std::vector<ContainerPort> kept;
    for (const auto& p : list)
      if (unique.insert({p.protocol, p.port}).second) kept.push_back(p);
    list = kept;
  }
  const auto& hosts = plan->spec.hosts;
  for (size_t from = 0; from < hosts.size(); ++from) {
    for (size_t to = 0; to < hosts.size(); ++to) {
      if (from == to) continue;
      for (Family f : {Family::V4, Family::V6}) {
        const IpAddr* src = address_of(hosts[from], f);
        const IpAddr* dst = address_of(hosts[to], f);
        if (!src || !dst) continue;
        auto add = [&](L4 l4, uint16_t port) {
          PlannedProbe pp;
          pp.probe = {from, to, f,
                      l4 == L4::ICMP  ? lab::ProbeKind::ICMP
                      : l4 == L4::UDP ? lab::ProbeKind::UDP
                                      : lab::ProbeKind::TCP,
                      port};
          pp.protocol = l4;
          Verdict v = ev.evaluate(Flow{*src, *dst, l4, port});
          pp.expect_allow = v.allowed;
          pp.why = explain(v, policies, cluster);
          bool dns = l4 == L4::UDP || l4 == L4::TCP;
          if (!v.allowed && options.dns_carve_out && dns && port == 53 && ev.pod_by_ip(*src) >= 0 &&
              prog.dns_servers.contains(*dst)) {
            pp.expect_allow = true;
            pp.why = "allowed by --dns-carve-out cluster";
          }
          (l4 == L4::SCTP ? plan->not_probed : plan->probes).push_back(std::move(pp));
        };
        add(L4::ICMP, 0);
        for (const auto& p : ports[to]) add(*l4_of(p.protocol), uint16_t(p.port));
      }
    }
  }
  return true;
}

}  // namespace netpolc::verify
