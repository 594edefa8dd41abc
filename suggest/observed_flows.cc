#include "suggest/observed_flows.h"

#include <map>
#include <tuple>

#include "compiler/labels.h"

namespace netpolc::suggest {

namespace {

constexpr const char* kApiVersion = "netpolc/v1";
constexpr const char* kKind = "ObservedFlows";

// A required string field that must be one of `allowed`.
std::optional<std::string> read_enum(const YamlAt& parent, const std::string& key,
                                     const std::vector<std::string>& allowed, Diagnostics& diags) {
  YamlAt at = parent.field(key);
  if (!at.present()) {
    report_missing(parent, key, diags);
    return std::nullopt;
  }
  auto s = read_string(at, diags);
  if (!s) return std::nullopt;
  for (const auto& a : allowed)
    if (*s == a) return s;
  std::string expected;
  for (size_t i = 0; i < allowed.size(); ++i)
    expected += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + quoted(allowed[i]);
  std::string hint = closest_match(*s, allowed);
  diags.error(at.loc(), at.path, "unsupported value " + quoted(*s) +
                                     (hint.empty() ? " (expected " + expected + ")" : " (did you mean " + quoted(hint) + "?)"));
  return std::nullopt;
}

// "namespace/name", as observe names pods and policies.
std::optional<std::string> read_object_ref(const YamlAt& at, const char* what, Diagnostics& diags) {
  auto s = read_string(at, diags);
  if (!s) return std::nullopt;
  size_t slash = s->find('/');
  if (slash == std::string::npos || check_dns1123_label(s->substr(0, slash)) ||
      check_dns1123_subdomain(s->substr(slash + 1))) {
    diags.error(at.loc(), at.path, "invalid " + std::string(what) + " " + quoted(*s) + ": expected \"namespace/name\"");
    return std::nullopt;
  }
  return s;
}

std::optional<FlowEnd> read_end(const YamlAt& at, Diagnostics& diags) {
  if (!check_map(at, {"ip", "pod"}, diags)) return std::nullopt;
  FlowEnd end;
  YamlAt ip_at = at.field("ip");
  if (!ip_at.present()) {
    report_missing(at, "ip", diags);
    return std::nullopt;
  }
  auto text = read_string(ip_at, diags);
  if (!text) return std::nullopt;
  auto ip = parse_ip(*text);
  if (!ip) {
    diags.error(ip_at.loc(), ip_at.path, "invalid IP address " + quoted(*text));
    return std::nullopt;
  }
  end.ip = *ip;
  YamlAt pod_at = at.field("pod");
  if (pod_at.present()) {
    auto pod = read_object_ref(pod_at, "pod", diags);
    if (!pod) return std::nullopt;
    end.pod = *pod;
  }
  return end;
}

const std::vector<std::string> kProtocols = {"TCP", "UDP", "SCTP", "ICMP", "ICMPv6"};

std::optional<ObservedFlow> read_flow(const YamlAt& at, Diagnostics& diags) {
  if (!check_map(at, {"src", "dst", "protocol", "port", "deniedBy", "pod", "policies", "count"}, diags))
    return std::nullopt;
  size_t errors = diags.error_count();
  ObservedFlow f;
  f.loc = at.loc();
  std::optional<FlowEnd> src, dst;
  for (const char* key : {"src", "dst"}) {
    YamlAt end_at = at.field(key);
    if (!end_at.present()) report_missing(at, key, diags);
    else (key[0] == 's' ? src : dst) = read_end(end_at, diags);
  }
  auto protocol = read_enum(at, "protocol", kProtocols, diags);
  auto side = read_enum(at, "deniedBy", {"egress", "ingress"}, diags);
  if (side) f.denied_by = *side == "egress" ? Direction::Egress : Direction::Ingress;

  YamlAt port_at = at.field("port");
  bool icmp = protocol && protocol->rfind("ICMP", 0) == 0;
  if (protocol && icmp && port_at.present()) {
    diags.error(port_at.loc(), port_at.path, *protocol + " has no port: leave \"port\" out");
  } else if (protocol && !icmp && !port_at.present()) {
    report_missing(at, "port", diags);
  } else if (protocol && !icmp) {
    if (auto n = read_int(port_at, diags)) {
      if (*n < 1 || *n > 65535) diags.error(port_at.loc(), port_at.path, "port " + std::to_string(*n) + " is out of range 1-65535");
      else f.port = uint16_t(*n);
    }
  }
  if (protocol) f.protocol = *protocol == "TCP" ? L4::TCP : *protocol == "UDP" ? L4::UDP : *protocol == "SCTP" ? L4::SCTP : L4::ICMP;

  YamlAt pod_at = at.field("pod");
  if (pod_at.present())
    if (auto pod = read_object_ref(pod_at, "pod", diags)) f.pod = *pod;

  YamlAt policies_at = at.field("policies");
  if (!policies_at.present()) {
    report_missing(at, "policies", diags);
  } else if (check_sequence(policies_at, diags)) {
    for (size_t i = 0; i < policies_at.node.size(); ++i)
      if (auto p = read_object_ref(policies_at.item(i), "policy", diags)) f.policies.push_back(*p);
  }

  YamlAt count_at = at.field("count");
  if (!count_at.present()) {
    report_missing(at, "count", diags);
  } else if (auto n = read_int(count_at, diags)) {
    if (*n < 1) diags.error(count_at.loc(), count_at.path, "count " + std::to_string(*n) + " must be at least 1");
    else f.count = uint64_t(*n);
  }
  if (diags.error_count() != errors || !src || !dst) return std::nullopt;
  f.src = *src;
  f.dst = *dst;

  // What one entry says must hold together.
  if (f.src.ip.family != f.dst.ip.family) {
    diags.error(at.field("dst").field("ip").loc(), at.path + ".dst.ip", "the source and the destination are of different address families");
    return std::nullopt;
  }
  if (*protocol == "ICMP" && f.src.ip.family != Family::V4) {
    diags.error(at.field("protocol").loc(), at.path + ".protocol", "ICMP between IPv6 addresses (did you mean \"ICMPv6\"?)");
    return std::nullopt;
  }
  if (*protocol == "ICMPv6" && f.src.ip.family != Family::V6) {
    diags.error(at.field("protocol").loc(), at.path + ".protocol", "ICMPv6 between IPv4 addresses (did you mean \"ICMP\"?)");
    return std::nullopt;
  }
  const std::string& side_pod = f.denied_by == Direction::Egress ? f.src.pod : f.dst.pod;
  if (!side_pod.empty() && !f.pod.empty() && side_pod != f.pod) {
    diags.error(pod_at.loc(), pod_at.path, "the isolated pod " + quoted(f.pod) + " is not the " +
                                               (f.denied_by == Direction::Egress ? "source" : "destination") + " " +
                                               quoted(side_pod));
    return std::nullopt;
  }
  return f;
}

}  // namespace

std::optional<ObservedFlows> read_observed_flows(const InputFile& file, Diagnostics& diags) {
  size_t errors = diags.error_count();
  ReadBudget budget({file});
  std::vector<Document> docs;
  for (Document& doc : load_documents(file, budget, diags))
    if (!root_of(doc).is_null()) docs.push_back(std::move(doc));
  if (diags.error_count() != errors) return std::nullopt;
  if (docs.size() != 1) {
    diags.error({file.name}, "", docs.empty() ? "no ObservedFlows object in the file"
                                              : "more than one document: expected one ObservedFlows object");
    return std::nullopt;
  }
  if (check_document_size(docs[0], file.name, budget, diags) != DocumentSize::Ok) return std::nullopt;
  YamlAt root{root_of(docs[0]), file.name, ""};
  if (!check_map(root, {"apiVersion", "kind", "mode", "flows"}, diags)) return std::nullopt;
  ObservedFlows out;
  if (auto api = read_enum(root, "apiVersion", {kApiVersion}, diags); !api) return std::nullopt;
  if (auto kind = read_enum(root, "kind", {kKind}, diags); !kind) return std::nullopt;
  if (auto mode = read_enum(root, "mode", {"audit", "enforce"}, diags)) out.mode = *mode;
  YamlAt flows = root.field("flows");
  if (!flows.present()) {
    report_missing(root, "flows", diags);
  } else if (check_sequence(flows, diags)) {
    // (source, destination, protocol, port, side) -> where it was first given
    std::map<std::tuple<IpAddr, IpAddr, L4, uint16_t, Direction>, SourceLoc> seen;
    for (size_t i = 0; i < flows.node.size(); ++i) {
      auto f = read_flow(flows.item(i), diags);
      if (!f) continue;
      auto [it, fresh] = seen.try_emplace({f->src.ip, f->dst.ip, f->protocol, f->port, f->denied_by}, f->loc);
      if (!fresh) {
        diags.error(f->loc, flows.item(i).path, "the same flow and side as the entry at line " + std::to_string(it->second.line));
        continue;
      }
      out.flows.push_back(std::move(*f));
    }
  }
  if (diags.error_count() != errors) return std::nullopt;
  return out;
}

}  // namespace netpolc::suggest
