#include "backends/nft_update.h"

#include <netinet/in.h>  // before the linux/ headers
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "backends/nft_netlink_set.h"
#include "backends/nft_text.h"

namespace netpolc::nl {

namespace {

Bytes key_of(nftnl_set_elem* e) {
  uint32_t len = 0;
  const auto* k = static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len));
  return k ? Bytes(k, k + len) : Bytes{};
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

// The units an update adds or removes whole: an interval set's ranges (a
// start and, unless the range runs to the last key, its end; and the end at
// key 0 on its own), every element of any other set. Each with a text that
// is equal for equal units.
struct Unit {
  std::string text;
  std::vector<nftnl_set_elem*> elements;
};

std::vector<Unit> units(std::vector<nftnl_set_elem*> elems, bool interval) {
  std::sort(elems.begin(), elems.end(), [](nftnl_set_elem* a, nftnl_set_elem* b) { return key_of(a) < key_of(b); });
  std::vector<Unit> out;
  for (size_t i = 0; i < elems.size(); ++i) {
    Unit u;
    u.elements.push_back(elems[i]);
    if (interval && !is_end(elems[i]) && i + 1 < elems.size() && is_end(elems[i + 1])) u.elements.push_back(elems[++i]);
    for (nftnl_set_elem* e : u.elements) u.text += describe_element(e) + ";";
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<nftnl_set_elem*> raw(const std::vector<ElemPtr>& elems) {
  std::vector<nftnl_set_elem*> out;
  for (const auto& e : elems) out.push_back(e.get());
  return out;
}

std::vector<nftnl_set_elem*> kernel_elements(nftnl_set* s) {
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
SetChange diff(const std::string& name, nftnl_set* current, std::vector<ElemPtr> wanted, bool interval) {
  SetChange c;
  c.name = name;
  std::vector<Unit> have = units(kernel_elements(current), interval);
  std::vector<Unit> want = units(raw(wanted), interval);
  std::set<std::string> have_text, want_text;
  for (const auto& u : have) have_text.insert(u.text);
  for (const auto& u : want) want_text.insert(u.text);
  for (const auto& u : have)
    if (!want_text.count(u.text))
      for (nftnl_set_elem* e : u.elements) c.removed.push_back(deletion_of(e));
  std::map<nftnl_set_elem*, ElemPtr*> owner;
  for (auto& e : wanted) owner[e.get()] = &e;
  for (const auto& u : want)
    if (!have_text.count(u.text))
      for (nftnl_set_elem* e : u.elements) c.added.push_back(std::move(*owner[e]));
  return c;
}

nftnl_set* find_set(const KernelTable& t, const std::string& name) {
  for (const auto& s : t.sets)
    if (name == nftnl_set_get_str(s.get(), NFTNL_SET_NAME)) return s.get();
  return nullptr;
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

bool build_update_batch(const nft::Ruleset& rs, const KernelTable& current, Batch* batch, ElementChanges* changes,
                        std::string* why) {
  std::vector<SetChange> sets;
  for (const auto& s : rs.sets) {
    nftnl_set* k = find_set(current, s.name);
    if (!k) {
      *why = "set " + s.name + " is not in the kernel's table";
      return false;
    }
    sets.push_back(diff(s.name, k, named_set_elements(s), s.interval));
  }
  for (const auto& m : rs.maps) {
    nftnl_set* k = find_set(current, m.name);
    if (!k) {
      *why = "map " + m.name + " is not in the kernel's table";
      return false;
    }
    sets.push_back(diff(m.name, k, verdict_map_elements(m), false));
  }
  *batch = Batch();
  batch->begin(current.generation);
  *changes = {};
  BatchObject what;
  // Deletions first: a range that grows is deleted and added again, and the
  // new one must not overlap what is still there.
  for (const auto& c : sets) {
    what.kind = BatchObject::Kind::DeleteElements;
    what.name = c.name;
    add_element_messages(*batch, NFT_MSG_DELSETELEM, rs.table, c.name, std::nullopt, c.removed, what);
    changes->removed += c.removed.size();
  }
  for (const auto& c : sets) {
    what.kind = BatchObject::Kind::Elements;
    what.name = c.name;
    add_element_messages(*batch, NFT_MSG_NEWSETELEM, rs.table, c.name, std::nullopt, c.added, what);
    changes->added += c.added.size();
  }
  if (batch->changes() > 0) batch->ack_last();
  batch->end();
  return true;
}

}  // namespace netpolc::nl
