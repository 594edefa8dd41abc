#include "backends/ipset_text.h"

#include <cassert>
#include <cstdio>

#include "backends/iptables_rule.h"
#include "backends/net_cover.h"

namespace netpolc {

namespace {

// content_hash, then MurmurHash3's finalizer: similar contents get
// unrelated names.
uint64_t set_hash(const std::string& s) {
  uint64_t h = content_hash(s);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

std::string hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

const char* family_digit(Family f) { return f == Family::V4 ? "4" : "6"; }

}  // namespace

std::string IpsetRegistry::add(const std::string& kind, Set set) {
  std::string content = set.type;
  for (const auto& e : set.elements) content += "\n" + e;
  // A hash collision with a different set of this output: rehash, deterministically.
  for (int salt = 0;; ++salt) {
    std::string name = "NETPOLC-" + kind + family_digit(family_) + "-" +
                       hex16(set_hash(salt ? content + "#" + std::to_string(salt) : content));
    assert(name.size() <= 31);
    auto [it, fresh] = sets_.try_emplace(name, set);
    if (fresh || (it->second.type == set.type && it->second.elements == set.elements)) return name;
  }
}

std::string IpsetRegistry::net(const std::vector<IpRange>& ranges) {
  Set s;
  s.type = std::string("hash:net family ") + (family_ == Family::V4 ? "inet" : "inet6");
  const int bits = family_bits(family_);
  for (const NetEntry& e : net_cover(family_, ranges)) {
    assert(e.cidr.prefix > 0);
    s.elements.push_back((e.cidr.prefix == bits ? format_ip(e.cidr.addr) : format_cidr(e.cidr)) +
                         (e.nomatch ? " nomatch" : ""));
  }
  return add("NET", std::move(s));
}

std::string IpsetRegistry::pods(const std::vector<IpsetEntry>& entries) {
  Set s;
  s.type = std::string("hash:ip family ") + (family_ == Family::V4 ? "inet" : "inet6") + " comment";
  for (const auto& e : entries) s.elements.push_back(format_ip(e.addr) + " comment " + ipt_quote(e.comment));
  return add("POD", std::move(s));
}

std::string IpsetRegistry::addr_ports(const std::vector<AddrPort>& targets) {
  Set s;
  s.type = std::string("hash:ip,port family ") + (family_ == Family::V4 ? "inet" : "inet6");
  for (const auto& t : targets)
    s.elements.push_back(format_ip(t.addr) + "," + protocol_keyword(t.protocol) + ":" + std::to_string(t.port));
  return add("PORT", std::move(s));
}

std::string IpsetRegistry::render(const std::string& header) const {
  std::string out = header;
  for (const auto& [name, s] : sets_) {
    out += "create " + name + " " + s.type + " -exist\n";
    for (const auto& e : s.elements) out += "add " + name + " " + e + " -exist\n";
  }
  return out;
}

bool is_netpolc_ipset(const std::string& name, Family family) {
  // NETPOLC-<KIND><digit>-...
  const std::string prefix = "NETPOLC-";
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  size_t dash = name.find('-', prefix.size());
  return dash != std::string::npos && dash > prefix.size() && name.substr(dash - 1, 1) == family_digit(family);
}

}  // namespace netpolc
