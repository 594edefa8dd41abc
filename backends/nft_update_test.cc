// Incremental updates without a kernel: the structure texts, and the element
// changes computed against a table as the kernel would hold it.
#include "backends/nft_update.h"

#include <doctest/doctest.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>  // before the linux/ headers
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "backends/nft_netlink_set.h"

using namespace netpolc;
using namespace netpolc::nl;

namespace {

nft::Ruleset base() {
  nft::Ruleset rs;
  rs.table = "netpolc";
  rs.header = {"16 pods"};
  rs.sets.push_back({"peer", Family::V4, true, {{0x0af4010aU, 0x0af4010cU}, {0x0af40120U, 0x0af40120U}}, {}});
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
  KernelTable k = kernel_of(old);
  nft::Ruleset now = base();
  now.sets[0].ranges[0].hi = 0x0af4010dU;  // .10-.12 grows to .10-.13
  now.maps[0].entries.push_back({*parse_ip("10.244.1.13"), "default/new", "eg"});
  Batch b;
  ElementChanges ch;
  std::string why;
  REQUIRE(build_update_batch(now, k, &b, &ch, &why));
  CHECK(ch.removed == 2);
  CHECK(ch.added == 3);
  CHECK(changes_text(b) ==
        "del peer key 0af4010a\n"
        "del peer key 0af4010d flags 1\n"
        "add peer key 0af4010a\n"
        "add peer key 0af4010e flags 1\n"
        "add egress-v4 key 0af4010d verdict -3 chain eg udata 000c" + hex("default/new", 12) + "\n");
  // The batch carries the generation the table was read at.
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
  REQUIRE(build_update_batch(rs, k, &b, &ch, &why));
  CHECK(b.changes() == 0);
  rs.sets.push_back({"other", Family::V6, true, {}, {}});
  CHECK_FALSE(build_update_batch(rs, k, &b, &ch, &why));
  CHECK(why == "set other is not in the kernel's table");
}

TEST_CASE("update: a changed map entry is deleted and added again; the end at 0 is its own unit") {
  nft::Ruleset old = base();
  KernelTable k = kernel_of(old);
  nft::Ruleset now = base();
  now.maps[0].entries[0].chain = "eg2";
  now.sets[0].ranges[0].lo = 0;  // the range now starts at 0: no end at 0 any more
  Batch b;
  ElementChanges ch;
  std::string why;
  REQUIRE(build_update_batch(now, k, &b, &ch, &why));
  CHECK(changes_text(b) ==
        "del peer key 00000000 flags 1\n"
        "del peer key 0af4010a\n"
        "del peer key 0af4010d flags 1\n"
        "del egress-v4 key 0af4010a\n"
        "add peer key 00000000\n"
        "add peer key 0af4010d flags 1\n"
        "add egress-v4 key 0af4010a verdict -3 chain eg2 udata 000c" + hex("default/web", 12) + "\n");
}
