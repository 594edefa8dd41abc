#include "review/flows.h"

#include <algorithm>
#include <cctype>

namespace netpolc::review {

namespace {

L4 l4_of(Protocol p) {
  switch (p) {
    case Protocol::TCP: return L4::TCP;
    case Protocol::UDP: return L4::UDP;
    case Protocol::SCTP: return L4::SCTP;
  }
  return L4::TCP;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string Probe::label() const {
  if (protocol == L4::ICMP) return "ICMP";
  if (other) return std::string(l4_name(protocol)) + " (other ports)";
  return std::to_string(port) + "/" + l4_name(protocol);
}

std::optional<Probe> parse_probe(std::string_view text) {
  std::string t = upper(text);
  if (t == "ICMP") return Probe{L4::ICMP, 0, false};
  size_t slash = t.find('/');
  std::string num = t.substr(0, slash);
  Probe p;
  if (slash != std::string::npos) {
    std::string proto = t.substr(slash + 1);
    if (proto == "TCP") p.protocol = L4::TCP;
    else if (proto == "UDP") p.protocol = L4::UDP;
    else if (proto == "SCTP") p.protocol = L4::SCTP;
    else return std::nullopt;
  }
  if (num.empty() || num.size() > 5 || !std::all_of(num.begin(), num.end(), ::isdigit)) return std::nullopt;
  int n = std::stoi(num);
  if (n < 1 || n > 65535) return std::nullopt;
  p.port = uint16_t(n);
  return p;
}

void sort_probes(std::vector<Probe>& probes) {
  std::sort(probes.begin(), probes.end());
  probes.erase(std::unique(probes.begin(), probes.end()), probes.end());
}

char reach_char(Reach r) {
  switch (r) {
    case Reach::Deny: return 'X';
    case Reach::Allow: return '.';
    case Reach::V4Only: return '4';
    case Reach::V6Only: return '6';
    case Reach::NoPath: return '-';
  }
  return '?';
}

const char* reach_name(Reach r) {
  switch (r) {
    case Reach::Deny: return "deny";
    case Reach::Allow: return "allow";
    case Reach::V4Only: return "ipv4-only";
    case Reach::V6Only: return "ipv6-only";
    case Reach::NoPath: return "no-common-family";
  }
  return "?";
}

bool reach_allows_any(Reach r) { return r == Reach::Allow || r == Reach::V4Only || r == Reach::V6Only; }

std::optional<Flow> flow_of(const Endpoint& from, const Endpoint& to, const Probe& probe, Family f) {
  if (!from.addr(f) || !to.addr(f)) return std::nullopt;
  return Flow{*from.addr(f), *to.addr(f), probe.protocol, probe.protocol == L4::ICMP ? uint16_t(0) : probe.port};
}

Reach reach(const Evaluator& ev, const Endpoint& from, const Endpoint& to, const Probe& probe, Families families) {
  bool same = from.pod >= 0 ? from.pod == to.pod : (to.pod < 0 && from.v4 == to.v4 && from.v6 == to.v6);
  if (same) return Reach::Allow;
  int have = 0;
  bool ok[2] = {false, false};
  for (Family f : {Family::V4, Family::V6}) {
    if ((f == Family::V4 && families == Families::V6) || (f == Family::V6 && families == Families::V4)) continue;
    auto flow = flow_of(from, to, probe, f);
    if (!flow) continue;
    have |= 1 << int(f);
    ok[int(f)] = ev.evaluate(*flow).allowed;
  }
  if (have == 0) return Reach::NoPath;
  if (have != 3) return ok[0] || ok[1] ? Reach::Allow : Reach::Deny;
  if (ok[0] == ok[1]) return ok[0] ? Reach::Allow : Reach::Deny;
  return ok[0] ? Reach::V4Only : Reach::V6Only;
}

std::vector<Endpoint> pod_endpoints(const Cluster& cluster) {
  std::vector<Endpoint> out;
  for (size_t i = 0; i < cluster.pods.size(); ++i) {
    const Pod& p = cluster.pods[i];
    if (!p.enforced()) continue;
    Endpoint e;
    e.pod = long(i);
    e.name = p.ns + "/" + p.name;
    for (const auto& ip : p.ips) {
      auto& slot = ip.family == Family::V4 ? e.v4 : e.v6;
      if (!slot) slot = ip;
    }
    out.push_back(std::move(e));
  }
  return out;
}

Endpoint address_endpoint(const IpAddr& ip) {
  Endpoint e;
  e.kind = Endpoint::Kind::External;
  e.name = format_ip(ip);
  (ip.family == Family::V4 ? e.v4 : e.v6) = ip;
  return e;
}

std::vector<Probe> declared_probes(const Pod& pod) {
  std::vector<Probe> out;
  for (const auto& cp : pod.ports) out.push_back({l4_of(cp.protocol), uint16_t(cp.port), false});
  sort_probes(out);
  return out;
}

std::vector<Probe> declared_probes(const Cluster& cluster) {
  std::vector<Probe> out;
  for (const auto& p : cluster.pods)
    if (p.enforced())
      for (const auto& probe : declared_probes(p)) out.push_back(probe);
  sort_probes(out);
  return out;
}

std::vector<Probe> policy_probes(const PolicySet& policies) {
  std::vector<Probe> out;
  for (const auto& p : policies.policies)
    for (Direction d : {Direction::Ingress, Direction::Egress})
      for (const auto& r : p.rules(d))
        for (const auto& spec : r.ports)
          if (spec.port) out.push_back({l4_of(spec.protocol), uint16_t(*spec.port), false});
  sort_probes(out);
  return out;
}

std::vector<Probe> other_probes(const std::vector<Probe>& named, const std::vector<const PolicySet*>& policy_sets) {
  std::vector<Probe> out;
  for (Protocol proto : {Protocol::TCP, Protocol::UDP, Protocol::SCTP}) {
    L4 l4 = l4_of(proto);
    auto taken = [&](int port) {
      for (const auto& p : named)
        if (p.protocol == l4 && p.port == port) return true;
      for (const PolicySet* ps : policy_sets)
        for (const auto& pol : ps->policies)
          for (Direction d : {Direction::Ingress, Direction::Egress})
            for (const auto& r : pol.rules(d))
              for (const auto& spec : r.ports)
                if (spec.protocol == proto && spec.port && port >= *spec.port &&
                    port <= (spec.end_port ? *spec.end_port : *spec.port))
                  return true;
      return false;
    };
    for (int port = 65535; port >= 1; --port)
      if (!taken(port)) {
        out.push_back({l4, uint16_t(port), true});
        break;
      }
  }
  out.push_back({L4::ICMP, 0, true});
  return out;
}

}  // namespace netpolc::review
