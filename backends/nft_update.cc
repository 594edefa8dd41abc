#include "backends/nft_update.h"

#include <netinet/in.h>  // before the linux/ headers, which would define its types again

#include <linux/netfilter/nf_tables.h>
#include <algorithm>
#include <cstring>
#include <functional>
#include <iterator>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "backends/nft_netlink_set.h"
#include "backends/nft_text.h"

namespace netpolc::nl {

namespace {

// The key's bytes, which sort like the keys (network byte order).
std::string key_of(nftnl_set_elem* e) {
  uint32_t len = 0;
  const auto* k = static_cast<const char*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
  return k ? std::string(k, len) : std::string();
}

bool is_end(nftnl_set_elem* e) {
  return nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
         (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END);
}

// An element that names `e` in a deletion: its key (and key end) and flags.
ElemPtr deletion_of(nftnl_set_elem* e) {
  ElemPtr d = make_elem();
  uint32_t len = 0;
  for (uint16_t attr : {uint16_t(NFTNL_SET_ELEM_KEY), uint16_t(NFTNL_SET_ELEM_KEY_END)})
    if (const void* k = nftnl_set_elem_get(e, attr, &len)) nftnl_set_elem_set(d.get(), attr, k, len);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
    nftnl_set_elem_set_u32(d.get(), NFTNL_SET_ELEM_FLAGS, nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS));
  return d;
}

// The identity of an element: every attribute the kernel keeps, as bytes.
std::string identity(nftnl_set_elem* e) {
  std::string id;
  for (uint16_t attr : {uint16_t(NFTNL_SET_ELEM_KEY), uint16_t(NFTNL_SET_ELEM_KEY_END), uint16_t(NFTNL_SET_ELEM_FLAGS),
                        uint16_t(NFTNL_SET_ELEM_VERDICT), uint16_t(NFTNL_SET_ELEM_CHAIN), uint16_t(NFTNL_SET_ELEM_DATA),
                        uint16_t(NFTNL_SET_ELEM_USERDATA)}) {
    uint32_t len = 0;
    const void* v = nftnl_set_elem_is_set(e, attr) ? nftnl_set_elem_get(e, attr, &len) : nullptr;
    id += char(attr);
    id += std::to_string(v ? len : 0) + ":";
    if (v)
      id.append(static_cast<const char*>(v),
                attr == NFTNL_SET_ELEM_CHAIN ? std::strlen(static_cast<const char*>(v)) : len);
  }
  return id;
}

// The units an update adds or removes whole: an interval set's ranges (a
// start and, unless the range runs to the last key, its end; and the end at
// key 0 on its own), every element of any other set. Each with an identity
// that is equal for equal units.
struct Unit {
  std::string id;
  std::vector<nftnl_set_elem*> elements;
};

std::vector<Unit> units(const std::vector<nftnl_set_elem*>& elems, bool interval) {
  std::vector<std::pair<std::string, nftnl_set_elem*>> sorted;
  sorted.reserve(elems.size());
  for (nftnl_set_elem* e : elems) sorted.push_back({key_of(e), e});
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Unit> out;
  out.reserve(sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    Unit u;
    u.elements.push_back(sorted[i].second);
    if (interval && !is_end(sorted[i].second) && i + 1 < sorted.size() && is_end(sorted[i + 1].second))
      u.elements.push_back(sorted[++i].second);
    for (nftnl_set_elem* e : u.elements) u.id += identity(e);
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<nftnl_set_elem*> raw(const std::vector<ElemPtr>& elems) {
  std::vector<nftnl_set_elem*> out;
  for (const auto& e : elems) out.push_back(e.get());
  return out;
}

std::vector<nftnl_set_elem*> elements_of(nftnl_set* s) {
  std::vector<nftnl_set_elem*> out;
  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s);
  for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it)) out.push_back(e);
  nftnl_set_elems_iter_destroy(it);
  return out;
}

struct SetChange {
  std::string name;
  std::vector<ElemPtr> removed;
  std::vector<ElemPtr> added;
};

// What turns the kernel's elements into the wanted ones.
SetChange diff(const std::string& name, const std::vector<nftnl_set_elem*>& current, std::vector<ElemPtr> wanted,
               bool interval) {
  SetChange c;
  c.name = name;
  std::vector<Unit> have = units(current, interval);
  std::vector<Unit> want = units(raw(wanted), interval);
  std::unordered_set<std::string> have_ids, want_ids;
  for (const auto& u : have) have_ids.insert(u.id);
  for (const auto& u : want) want_ids.insert(u.id);
  for (const auto& u : have)
    if (!want_ids.count(u.id))
      for (nftnl_set_elem* e : u.elements) c.removed.push_back(deletion_of(e));
  std::unordered_map<nftnl_set_elem*, ElemPtr*> owner;
  for (auto& e : wanted) owner[e.get()] = &e;
  for (const auto& u : want)
    if (!have_ids.count(u.id))
      for (nftnl_set_elem* e : u.elements) c.added.push_back(std::move(*owner[e]));
  return c;
}

// The elements of `a` that are not in `b`, both sorted by `less` first.
template <typename T, typename Less>
std::vector<T> minus(std::vector<T> a, std::vector<T> b, Less less) {
  std::sort(a.begin(), a.end(), less);
  std::sort(b.begin(), b.end(), less);
  std::vector<T> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out), less);
  return out;
}

void take_deletions(std::vector<ElemPtr> elems, std::vector<ElemPtr>* out) {
  for (auto& e : elems) out->push_back(deletion_of(e.get()));
}

void take(std::vector<ElemPtr> elems, std::vector<ElemPtr>* out) {
  for (auto& e : elems) out->push_back(std::move(e));
}

// The same as diff() on the elements, computed on the sets themselves: whole
// ranges (or keys) that went or came, and the end at key 0 when the first
// range starts at 0 now and did not before, or the other way round.
SetChange diff_sets(const nft::NamedSet& old, const nft::NamedSet& now) {
  SetChange c;
  c.name = now.name;
  if (now.kind == nft::SetKind::AddrPorts) {
    take_deletions(addr_port_elements(minus(old.addr_ports, now.addr_ports, std::less<>())), &c.removed);
    take(addr_port_elements(minus(now.addr_ports, old.addr_ports, std::less<>())), &c.added);
    return c;
  }
  if (now.kind == nft::SetKind::Addresses) {
    take_deletions(address_elements(old.family, minus(old.ranges, now.ranges, std::less<>())), &c.removed);
    take(address_elements(now.family, minus(now.ranges, old.ranges, std::less<>())), &c.added);
    return c;
  }
  auto zero = [](const nft::NamedSet& s) { return !s.ranges.empty() && s.ranges.front().lo != 0; };
  size_t key_len = now.family == Family::V4 ? 4 : 16;
  if (zero(old) && !zero(now)) c.removed.push_back(deletion_of(zero_end(key_len).get()));
  take_deletions(range_elements(old.family, minus(old.ranges, now.ranges, std::less<>())), &c.removed);
  if (!zero(old) && zero(now)) c.added.push_back(zero_end(key_len));
  take(range_elements(now.family, minus(now.ranges, old.ranges, std::less<>())), &c.added);
  return c;
}

SetChange diff_maps(const nft::VerdictMap& old, const nft::VerdictMap& now) {
  auto less = [](const nft::MapEntry& a, const nft::MapEntry& b) {
    return std::tie(a.addr, a.chain, a.comment) < std::tie(b.addr, b.chain, b.comment);
  };
  SetChange c;
  c.name = now.name;
  nft::VerdictMap gone{now.name, now.family, minus(old.entries, now.entries, less)};
  nft::VerdictMap came{now.name, now.family, minus(now.entries, old.entries, less)};
  take_deletions(verdict_map_elements(gone), &c.removed);
  take(verdict_map_elements(came), &c.added);
  return c;
}

// The messages of `sets`' changes: deletions first, so that a range that
// grows is gone before its new form (which would overlap it) is added.
void emit(const std::string& table, const std::vector<SetChange>& sets, uint32_t generation, Batch* batch,
          ElementChanges* changes) {
  *batch = Batch();
  batch->begin(generation);
  *changes = {};
  BatchObject what;
  for (const auto& c : sets) {
    what.kind = BatchObject::Kind::DeleteElements;
    what.name = c.name;
    add_element_messages(*batch, NFT_MSG_DELSETELEM, table, c.name, std::nullopt, c.removed, what);
    changes->removed += c.removed.size();
  }
  for (const auto& c : sets) {
    what.kind = BatchObject::Kind::Elements;
    what.name = c.name;
    add_element_messages(*batch, NFT_MSG_NEWSETELEM, table, c.name, std::nullopt, c.added, what);
    changes->added += c.added.size();
  }
  if (batch->changes() > 0) batch->ack_last();
  batch->end();
}

}  // namespace

std::string ruleset_structure(const nft::Ruleset& rs) {
  nft::Ruleset copy = rs;
  copy.header.clear();
  for (auto& s : copy.sets) {
    s.ranges.clear();
    s.addr_ports.clear();
  }
  for (auto& m : copy.maps) m.entries.clear();
  return nft::print_ruleset(copy);
}

std::string kernel_structure(const KernelTable& t) {
  DescribeOptions opt;
  opt.handles = false;
  opt.use_counts = false;
  opt.named_set_elements = false;
  return describe(t, opt);
}

SetContents contents_of(const KernelTable& t) {
  SetContents out;
  for (const auto& s : t.sets)
    if (!(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS))
      out[nftnl_set_get_str(s.get(), NFTNL_SET_NAME)] = elements_of(s.get());
  return out;
}

bool build_update_batch(const nft::Ruleset& rs, const SetContents& current, uint32_t generation, Batch* batch,
                        ElementChanges* changes, std::string* why) {
  std::vector<SetChange> sets;
  auto change = [&](const std::string& name, std::vector<ElemPtr> wanted, bool interval) {
    auto it = current.find(name);
    if (it == current.end()) {
      *why = "set " + name + " is not in the table";
      return false;
    }
    sets.push_back(diff(name, it->second, std::move(wanted), interval));
    return true;
  };
  // Port sets are named after their elements, so that only a hand edit
  // changes them; this repairs it.
  for (const auto& p : rs.port_sets)
    if (!change(p.name, port_set_elements(p), p.intervals())) return false;
  for (const auto& s : rs.sets)
    if (!change(s.name, named_set_elements(s), s.kind == nft::SetKind::Ranges)) return false;
  for (const auto& m : rs.maps)
    if (!change(m.name, verdict_map_elements(m), false)) return false;
  emit(rs.table, sets, generation, batch, changes);
  return true;
}

bool build_update_batch(const nft::Ruleset& rs, const std::vector<nft::NamedSet>& old_sets,
                        const std::vector<nft::VerdictMap>& old_maps, uint32_t generation, Batch* batch,
                        ElementChanges* changes, std::string* why) {
  std::vector<SetChange> sets;
  for (const auto& s : rs.sets) {
    auto old = std::find_if(old_sets.begin(), old_sets.end(), [&](const nft::NamedSet& o) { return o.name == s.name; });
    if (old == old_sets.end() || old->family != s.family || old->kind != s.kind) {
      *why = "set " + s.name + " is not in the table";
      return false;
    }
    sets.push_back(diff_sets(*old, s));
  }
  for (const auto& m : rs.maps) {
    auto old =
        std::find_if(old_maps.begin(), old_maps.end(), [&](const nft::VerdictMap& o) { return o.name == m.name; });
    if (old == old_maps.end() || old->family != m.family) {
      *why = "map " + m.name + " is not in the table";
      return false;
    }
    sets.push_back(diff_maps(*old, m));
  }
  emit(rs.table, sets, generation, batch, changes);
  return true;
}

}  // namespace netpolc::nl
