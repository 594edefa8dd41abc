#include "observe/counters.h"

#include <libnftnl/object.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <tuple>

#include "backends/deny_report.h"
#include "review/json.h"

namespace netpolc::observe {

std::vector<DenyCounter> deny_counters(const nl::KernelTable& t) {
  std::vector<DenyCounter> out;
  for (const auto& o : t.objects) {
    if (nftnl_obj_get_u32(o.get(), NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER) continue;
    auto d = decode_deny_counter(nftnl_obj_get_str(o.get(), NFTNL_OBJ_NAME));
    if (!d) continue;
    out.push_back({d->policy, d->direction, nftnl_obj_get_u64(o.get(), NFTNL_OBJ_CTR_PKTS),
                   nftnl_obj_get_u64(o.get(), NFTNL_OBJ_CTR_BYTES)});
  }
  std::sort(out.begin(), out.end(), [](const DenyCounter& a, const DenyCounter& b) {
    return std::tie(a.policy, a.direction) < std::tie(b.policy, b.direction);
  });
  return out;
}

std::string counters_text(const std::vector<DenyCounter>& counters) {
  size_t width = 6;
  for (const auto& c : counters) width = std::max(width, c.policy.size());
  auto row = [&](const std::string& policy, const std::string& dir, const std::string& packets,
                 const std::string& bytes) {
    std::string s = policy + std::string(width - policy.size() + 2, ' ') + dir + std::string(11 - dir.size(), ' ');
    return s + std::string(packets.size() < 12 ? 12 - packets.size() : 0, ' ') + packets +
           std::string(bytes.size() < 14 ? 14 - bytes.size() : 0, ' ') + bytes + "\n";
  };
  std::string out = row("POLICY", "DIRECTION", "PACKETS", "BYTES");
  for (const auto& c : counters)
    out += row(c.policy, direction_name(c.direction), std::to_string(c.packets), std::to_string(c.bytes));
  return out;
}

std::string counters_json(const std::vector<DenyCounter>& counters) {
  using review::Json;
  Json doc = Json::object();
  doc.set("apiVersion", "netpolc/v1");
  doc.set("kind", "DenyCounters");
  Json& items = doc.set("counters", Json::array());
  for (const auto& c : counters) {
    Json item = Json::object();
    item.set("policy", c.policy);
    item.set("direction", direction_name(c.direction));
    item.set("packets", static_cast<unsigned long long>(c.packets));
    item.set("bytes", static_cast<unsigned long long>(c.bytes));
    items.push(std::move(item));
  }
  return doc.dump();
}

}  // namespace netpolc::observe
