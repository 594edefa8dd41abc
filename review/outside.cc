// The outside addresses the ipBlocks tell apart (see ipblock_endpoints in
// flows.h).
#include <algorithm>
#include <map>
#include <set>

#include "review/flows.h"

namespace netpolc::review {

namespace {

u128 family_max(Family f) { return f == Family::V4 ? u128(0xffffffffu) : ~u128(0); }

// Every ipBlock of the policy sets, once each.
std::vector<const IpBlock*> all_ip_blocks(const std::vector<const PolicySet*>& sets) {
  std::vector<const IpBlock*> out;
  for (const PolicySet* ps : sets)
    for (const auto& p : ps->policies)
      for (Direction d : {Direction::Ingress, Direction::Egress})
        for (const auto& r : p.rules(d))
          for (const auto& peer : r.peers) {
            if (!peer.ip_block) continue;
            const IpBlock& b = *peer.ip_block;
            bool seen = std::any_of(out.begin(), out.end(), [&](const IpBlock* o) {
              return o->cidr == b.cidr && o->except == b.except;
            });
            if (!seen) out.push_back(&b);
          }
  return out;
}

bool block_contains(const IpBlock& b, const IpAddr& ip) {
  if (!contains(b.cidr, ip)) return false;
  return std::none_of(b.except.begin(), b.except.end(), [&](const Cidr& e) { return contains(e, ip); });
}

// One class of outside addresses while they are being collected.
struct AddressClass {
  std::vector<size_t> blocks;  // the ipBlocks containing it
  Endpoint endpoint;
  std::vector<std::pair<Family, IpRange>> ranges;
};

std::string ranges_label(const std::vector<std::pair<Family, IpRange>>& ranges) {
  std::vector<std::string> cidrs;
  for (const auto& [f, r] : ranges)
    for (const auto& c : range_to_cidrs(f, r)) cidrs.push_back(format_cidr(c));
  std::string s;
  for (size_t i = 0; i < cidrs.size() && i < 4; ++i) s += (i ? ", " : "") + cidrs[i];
  if (cidrs.size() > 4) s += ", +" + std::to_string(cidrs.size() - 4) + " more";
  return s;
}

}  // namespace

std::vector<Endpoint> ipblock_endpoints(const Cluster& cluster, const std::vector<const PolicySet*>& policy_sets) {
  std::vector<const IpBlock*> blocks = all_ip_blocks(policy_sets);
  std::vector<AddressClass> classes;
  std::map<std::vector<size_t>, size_t> by_blocks;
  for (Family f : {Family::V4, Family::V6}) {
    std::set<u128> cuts = {0};
    auto cut_after = [&](u128 hi) {
      if (hi != family_max(f)) cuts.insert(hi + 1);
    };
    for (const IpBlock* b : blocks) {
      if (b->cidr.addr.family != f) continue;
      IpRange r = cidr_range(b->cidr);
      cuts.insert(r.lo);
      cut_after(r.hi);
      for (const auto& e : b->except) {
        IpRange x = cidr_range(e);
        cuts.insert(x.lo);
        cut_after(x.hi);
      }
    }
    std::set<u128> pods;
    for (const auto& p : cluster.pods)
      if (p.enforced())
        for (const auto& ip : p.ips)
          if (ip.family == f) pods.insert(ip.value);
    for (auto it = cuts.begin(); it != cuts.end(); ++it) {
      auto next = std::next(it);
      IpRange r{*it, next == cuts.end() ? family_max(f) : *next - 1};
      u128 rep = r.lo;
      while (pods.count(rep) && rep < r.hi) ++rep;
      if (pods.count(rep)) continue;  // pod addresses only
      IpAddr addr{f, rep};
      std::vector<size_t> in;
      for (size_t b = 0; b < blocks.size(); ++b)
        if (block_contains(*blocks[b], addr)) in.push_back(b);
      auto [slot, fresh] = by_blocks.try_emplace(in, classes.size());
      if (fresh) {
        classes.push_back({in, {}, {}});
        classes.back().endpoint.kind = Endpoint::Kind::External;
      }
      AddressClass& c = classes[slot->second];
      auto& slot_f = f == Family::V4 ? c.endpoint.v4 : c.endpoint.v6;
      if (!slot_f) slot_f = addr;
      c.ranges.push_back({f, r});
    }
  }
  // Names: the most specific ipBlock containing the class.
  std::map<std::string, int> uses;
  for (auto& c : classes) {
    const IpBlock* best = nullptr;
    for (size_t b : c.blocks)
      if (!best || blocks[b]->cidr.prefix > best->cidr.prefix) best = blocks[b];
    c.endpoint.name = best ? ip_block_text(*best) : "other addresses";
    ++uses[c.endpoint.name];
  }
  std::vector<Endpoint> out;
  for (auto& c : classes) {
    if (uses[c.endpoint.name] > 1) c.endpoint.name = ranges_label(c.ranges);
    out.push_back(std::move(c.endpoint));
  }
  return out;
}

}  // namespace netpolc::review
