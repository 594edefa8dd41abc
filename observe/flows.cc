#include "observe/flows.h"

#include <libnftnl/expr.h>
#include <libnftnl/udata.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <set>

#include "backends/deny_report.h"
#include "compiler/address.h"
#include "review/json.h"

namespace netpolc::observe {

namespace {

std::optional<IpAddr> key_address(const void* data, uint32_t len) {
  if (len != 4 && len != 16) return std::nullopt;
  return address_at(len == 4 ? Family::V4 : Family::V6, static_cast<const uint8_t*>(data));
}

int comment_cb(const nftnl_udata* attr, void* data) {
  if (nftnl_udata_type(attr) != NFTNL_UDATA_SET_ELEM_COMMENT) return 0;
  const char* text = static_cast<const char*>(nftnl_udata_get(attr));
  uint8_t len = nftnl_udata_len(attr);
  if (len > 0 && text[len - 1] == '\0') *static_cast<std::string*>(data) = std::string(text, len - 1);
  return 0;
}

// Verdict map elements: "10.244.1.10 comment "default/web" : jump in/default/b8062222".
void read_map(nftnl_set* set, TableReports& out) {
  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(set);
  for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it)) {
    uint32_t len = 0;
    const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
    auto addr = key ? key_address(key, len) : std::nullopt;
    const void* ud = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len);
    if (!addr || !ud) continue;
    std::string comment;
    nftnl_udata_parse(ud, len, comment_cb, &comment);
    if (!comment.empty()) out.pods[*addr] = comment;
  }
  nftnl_set_elems_iter_destroy(it);
}

// A rule's `log prefix` and `counter name` statements.
void read_rule(nftnl_rule* r, TableReports& out) {
  const std::string chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
  nftnl_expr_iter* it = nftnl_expr_iter_create(r);
  for (nftnl_expr* e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
    const std::string name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
    if (name == "log" && nftnl_expr_is_set(e, NFTNL_EXPR_LOG_PREFIX)) {
      if (auto d = decode_log_prefix(nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX))) {
        out.logs = true;
        out.audit = out.audit || d->audit;
      }
    } else if (name == "objref" && nftnl_expr_is_set(e, NFTNL_EXPR_OBJREF_IMM_NAME)) {
      if (auto c = decode_deny_counter(nftnl_expr_get_str(e, NFTNL_EXPR_OBJREF_IMM_NAME)))
        out.chain_policies[chain].push_back(c->policy);
    }
  }
  nftnl_expr_iter_destroy(it);
}

std::string name_of(const IpAddr& a, const TableReports& table, const std::map<IpAddr, std::string>& extra) {
  if (auto it = table.pods.find(a); it != table.pods.end()) return it->second;
  if (auto it = extra.find(a); it != extra.end()) return it->second;
  return {};
}

std::string endpoint_text(const IpAddr& a, const std::string& pod) { return pod.empty() ? format_ip(a) : pod; }

}  // namespace

TableReports table_reports(const nl::KernelTable& t) {
  TableReports out;
  for (const auto& s : t.sets) {
    uint32_t flags = nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS);
    if ((flags & NFT_SET_MAP) && !(flags & NFT_SET_ANONYMOUS) &&
        nftnl_set_get_u32(s.get(), NFTNL_SET_DATA_TYPE) == NFT_DATA_VERDICT)
      read_map(s.get(), out);
  }
  for (const auto& r : t.rules) read_rule(r.get(), out);
  for (auto& [chain, policies] : out.chain_policies) {
    std::sort(policies.begin(), policies.end());
    policies.erase(std::unique(policies.begin(), policies.end()), policies.end());
  }
  return out;
}

std::map<IpAddr, std::string> snapshot_pods(const Cluster& cluster) {
  std::map<IpAddr, std::string> out;
  for (const auto& p : cluster.pods)
    if (!p.host_network)
      for (const auto& ip : p.ips) out.emplace(ip, p.ns + "/" + p.name);
  return out;
}

bool record(const NflogPacket& p, Observations& obs) {
  auto prefix = decode_log_prefix(p.prefix);
  if (!prefix) {
    ++obs.foreign;
    return false;
  }
  std::string why;
  auto h = parse_packet(p.payload.data(), p.payload.size(), &why);
  if (!h) {
    ++obs.unreadable;
    return false;
  }
  ++(prefix->audit ? obs.audit_reports : obs.enforce_reports);
  FlowKey k{h->src, h->dst, h->protocol, h->dport, prefix->direction};
  FlowSeen& seen = obs.flows[k];
  seen.chain = prefix->chain;
  ++seen.count;
  return true;
}

std::vector<ObservedFlow> name_flows(const Observations& obs, const TableReports& table,
                                     const std::map<IpAddr, std::string>& extra) {
  std::vector<ObservedFlow> out;
  for (const auto& [key, seen] : obs.flows) {
    ObservedFlow f;
    f.key = key;
    f.src_pod = name_of(key.src, table, extra);
    f.dst_pod = name_of(key.dst, table, extra);
    f.pod = key.denied_by == Direction::Egress ? f.src_pod : f.dst_pod;
    if (auto it = table.chain_policies.find(seen.chain); it != table.chain_policies.end()) f.policies = it->second;
    f.count = seen.count;
    out.push_back(std::move(f));
  }
  return out;  // in FlowKey order: the map's
}

const char* mode_name(const Observations& obs, const TableReports& table) {
  if (obs.audit_reports || obs.enforce_reports) return obs.audit_reports >= obs.enforce_reports ? "audit" : "enforce";
  return table.audit ? "audit" : "enforce";
}

std::string flows_json(const std::vector<ObservedFlow>& flows, const char* mode) {
  using review::Json;
  Json doc = Json::object();
  doc.set("apiVersion", "netpolc/v1");
  doc.set("kind", "ObservedFlows");
  doc.set("mode", mode);
  Json& items = doc.set("flows", Json::array());
  for (const auto& f : flows) {
    Json item = Json::object();
    auto endpoint = [](const IpAddr& a, const std::string& pod) {
      Json e = Json::object();
      e.set("ip", format_ip(a));
      if (!pod.empty()) e.set("pod", pod);
      return e;
    };
    item.set("src", endpoint(f.key.src, f.src_pod));
    item.set("dst", endpoint(f.key.dst, f.dst_pod));
    item.set("protocol", protocol_text(f.key.protocol, f.key.src.family));
    if (f.key.port) item.set("port", int(*f.key.port));
    item.set("deniedBy", direction_name(f.key.denied_by));
    if (!f.pod.empty()) item.set("pod", f.pod);
    item.set("policies", Json::strings(f.policies));
    item.set("count", static_cast<unsigned long long>(f.count));
    items.push(std::move(item));
  }
  return doc.dump();
}

std::string flows_text(const std::vector<ObservedFlow>& flows, const char* mode) {
  std::vector<std::string> lines;
  for (const auto& f : flows) {
    std::string what = f.key.port ? std::to_string(*f.key.port) + "/" + protocol_text(f.key.protocol, f.key.src.family)
                                  : std::string(protocol_text(f.key.protocol, f.key.src.family));
    const IpAddr& side = f.key.denied_by == Direction::Egress ? f.key.src : f.key.dst;
    // Two named pods hide the family: say when it is IPv6.
    if (f.key.src.family == Family::V6 && !f.src_pod.empty() && !f.dst_pod.empty()) what += " over IPv6";
    std::string line = endpoint_text(f.key.src, f.src_pod) + " -> " + endpoint_text(f.key.dst, f.dst_pod) + " " +
                       what + ": " + (std::string(mode) == "audit" ? "would be denied" : "denied") + " by " +
                       direction_name(f.key.denied_by) + " of " + endpoint_text(side, f.pod);
    if (!f.policies.empty()) line += " (isolated by " + join(f.policies) + ")";
    line += ", " + std::to_string(f.count) + (f.count == 1 ? " report" : " reports");
    lines.push_back(line + "\n");
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l;
  return out;
}

}  // namespace netpolc::observe
