// Incremental updates without a kernel: the structure texts, and the element
// changes computed against a table as the kernel would hold it.
#include "backends/nft_update.h"

#include <netinet/in.h>  // before the linux/ headers, which would define its types again

#include <doctest/doctest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include "backends/apply_state.h"
#include "backends/nft_netlink_set.h"

using namespace netpolc;
using namespace netpolc::nl;

namespace {

nft::Ruleset base() {
  nft::Ruleset rs;
  rs.table = "netpolc";
  rs.header = {"16 pods"};
  rs.sets.push_back({"peer", Family::V4, nft::SetKind::Ranges, {{0x0af4010aU, 0x0af4010cU}, {0x0af40120U, 0x0af40120U}}, {}});
  rs.maps.push_back({"egress-v4", Family::V4, {{*parse_ip("10.244.1.10"), "default/web", "eg"}}});
  nft::Chain c;
  c.name = "eg";
  nft::Rule r;
  r.matches.push_back(nft::AddrInSet{{Family::V4, false}, "peer"});
  r.verdict.kind = nft::VerdictKind::Return;
  c.items.push_back(r);
  rs.chains.push_back(c);
  return rs;
}

// The table as the kernel holds it after `rs` was applied.
KernelTable kernel_of(const nft::Ruleset& rs) {
  KernelTable t;
  t.exists = true;
  t.generation = 7;
  for (const auto& s : rs.sets) {
    SetPtr set = named_set(rs.table, s, 1);
    for (auto& e : named_set_elements(s)) nftnl_set_elem_add(set.get(), e.release());
    t.sets.push_back(std::move(set));
  }
  for (const auto& m : rs.maps) {
    SetPtr set = verdict_map(rs.table, m, 2);
    for (auto& e : verdict_map_elements(m)) nftnl_set_elem_add(set.get(), e.release());
    t.sets.push_back(std::move(set));
  }
  return t;
}

// "del peer key 0af4010a; ..." for every element message of a batch.
std::string changes_text(const Batch& b) {
  std::string s;
  for (size_t off = 0; off < b.size();) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(b.data() + off);
    off += NLMSG_ALIGN(nlh->nlmsg_len);
    uint16_t type = nlh->nlmsg_type & 0xff;
    if (nlh->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES) continue;
    SetPtr parsed = make_set();
    REQUIRE(nftnl_set_elems_nlmsg_parse(nlh, parsed.get()) >= 0);
    std::string op = type == NFT_MSG_DELSETELEM ? "del " : "add ";
    nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(parsed.get());
    for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it))
      s += op + nftnl_set_get_str(parsed.get(), NFTNL_SET_NAME) + " " + describe_element(e) + "\n";
    nftnl_set_elems_iter_destroy(it);
  }
  return s;
}

// The update from `old` to `now`, computed from the kernel's elements and
// from the sets themselves: both must send the same.
std::string update_text(const nft::Ruleset& old, const nft::Ruleset& now, ElementChanges* ch) {
  KernelTable k = kernel_of(old);
  Batch from_kernel, from_sets;
  ElementChanges ch2;
  std::string why;
  REQUIRE(build_update_batch(now, contents_of(k), 7, &from_kernel, ch, &why));
  REQUIRE(build_update_batch(now, old.sets, old.maps, 7, &from_sets, &ch2, &why));
  CHECK(changes_text(from_sets) == changes_text(from_kernel));
  CHECK(ch2.added == ch->added);
  CHECK(ch2.removed == ch->removed);
  return changes_text(from_kernel);
}

}  // namespace

TEST_CASE("update: the structure leaves out set elements, map entries and the header") {
  nft::Ruleset a = base(), b = base();
  b.header = {"17 pods"};
  b.sets[0].ranges.push_back({0x0af40130U, 0x0af40130U});
  b.maps[0].entries.clear();
  CHECK(ruleset_structure(a) == ruleset_structure(b));
  b.chains[0].items.push_back(nft::Rule{});
  CHECK(ruleset_structure(a) != ruleset_structure(b));
}

TEST_CASE("update: only what changed, deletions first, whole ranges") {
  nft::Ruleset old = base();
  nft::Ruleset now = base();
  now.sets[0].ranges[0].hi = 0x0af4010dU;  // .10-.12 grows to .10-.13
  now.maps[0].entries.push_back({*parse_ip("10.244.1.13"), "default/new", "eg"});
  ElementChanges ch;
  std::string text = update_text(old, now, &ch);
  CHECK(ch.removed == 2);
  CHECK(ch.added == 3);
  CHECK(text ==
        "del peer key 0af4010a\n"
        "del peer key 0af4010d flags 1\n"
        "add peer key 0af4010a\n"
        "add peer key 0af4010e flags 1\n"
        "add egress-v4 key 0af4010d verdict -3 chain eg udata 000c" +
            hex("default/new", 12) + "\n");
  // The batch carries the generation the table was read at.
  Batch b;
  std::string why;
  REQUIRE(build_update_batch(now, contents_of(kernel_of(old)), 7, &b, &ch, &why));
  const auto* begin = reinterpret_cast<const nlmsghdr*>(b.data());
  const auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(begin, sizeof(nfgenmsg)));
  CHECK(ntohl(mnl_attr_get_u32(attr)) == 7);
}

TEST_CASE("update: nothing changed, nothing sent; a set the kernel lacks means a replacement") {
  nft::Ruleset rs = base();
  KernelTable k = kernel_of(rs);
  Batch b;
  ElementChanges ch;
  std::string why;
  REQUIRE(build_update_batch(rs, contents_of(k), k.generation, &b, &ch, &why));
  CHECK(b.changes() == 0);
  CHECK_FALSE(build_update_batch(rs, rs.sets, {}, 7, &b, &ch, &why));
  CHECK(why == "map egress-v4 is not in the table");
  rs.sets.push_back({"other", Family::V6, nft::SetKind::Ranges, {}, {}});
  CHECK_FALSE(build_update_batch(rs, contents_of(k), k.generation, &b, &ch, &why));
  CHECK(why == "set other is not in the table");
}

TEST_CASE("update: a changed map entry is deleted and added again; the end at 0 is its own unit") {
  nft::Ruleset old = base();
  nft::Ruleset now = base();
  now.maps[0].entries[0].chain = "eg2";
  now.sets[0].ranges[0].lo = 0;  // the range now starts at 0: no end at 0 any more
  ElementChanges ch;
  CHECK(update_text(old, now, &ch) ==
        "del peer key 00000000 flags 1\n"
        "del peer key 0af4010a\n"
        "del peer key 0af4010d flags 1\n"
        "del egress-v4 key 0af4010a\n"
        "add peer key 00000000\n"
        "add peer key 0af4010d flags 1\n"
        "add egress-v4 key 0af4010a verdict -3 chain eg2 udata 000c" +
            hex("default/web", 12) + "\n");
}

TEST_CASE("update: a set of pod addresses gains and loses single keys, never a range") {
  nft::Ruleset old = base();
  old.sets[0].kind = nft::SetKind::Addresses;
  old.sets[0].ranges = {{0x0af4010aU, 0x0af4010aU}, {0x0af4010bU, 0x0af4010bU}};
  nft::Ruleset now = old;
  now.sets[0].ranges = {{0x0af4010aU, 0x0af4010aU}, {0x0af4010cU, 0x0af4010cU}};  // .11 went, .12 came
  ElementChanges ch;
  CHECK(update_text(old, now, &ch) ==
        "del peer key 0af4010b\n"
        "add peer key 0af4010c\n");
  CHECK(ch.removed == 1);
  CHECK(ch.added == 1);
  // A set that changes kind is another set: the table is replaced.
  now.sets[0].kind = nft::SetKind::Ranges;
  Batch b;
  std::string why;
  CHECK_FALSE(build_update_batch(now, old.sets, old.maps, 7, &b, &ch, &why));
}

TEST_CASE("update: the state file keeps sets and maps exactly, and refuses anything else") {
  ApplyState st;
  st.ruleset = 0x1234abcdULL;
  st.kernel = 0xfeedULL;
  st.generation = 4242;
  st.sets.push_back(
      {"peer/x/y/ingress-0/v6", Family::V6, nft::SetKind::Ranges, {{1, 2}, {u128(1) << 120, ~u128(0)}}, {}});
  st.sets.push_back({"peer/x/y/ingress-1/v4", Family::V4, nft::SetKind::Addresses, {{5, 5}, {7, 7}}, {}});
  st.sets.push_back({"port/x", Family::V4, nft::SetKind::AddrPorts, {}, {{*parse_ip("10.0.0.1"), Protocol::SCTP, 9}}});
  st.maps.push_back(
      {"ingress-v4", Family::V4, {{*parse_ip("10.0.0.1"), "x/a b", "in/x/1"}, {*parse_ip("10.0.0.2"), "", "in/x/2"}}});
  auto back = parse_state(format_state(st));
  REQUIRE(back);
  CHECK(back->ruleset == st.ruleset);
  CHECK(back->kernel == st.kernel);
  CHECK(back->generation == 4242);
  CHECK(back->sets == st.sets);
  CHECK(back->maps == st.maps);

  CHECK_FALSE(parse_state(""));
  CHECK_FALSE(parse_state("netpolc-apply-state 2\n"));
  std::string text = format_state(st);
  CHECK_FALSE(parse_state(text.substr(0, text.size() - 20)));  // cut short
  CHECK_FALSE(parse_state(text + "set extra v5 interval 0\n"));
  CHECK(generation_after(7) == 8);
  CHECK(generation_after(0xffffffffU) == 1);
}
