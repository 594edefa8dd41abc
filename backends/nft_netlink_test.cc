// The netlink backend without a kernel: batches are built, parsed back with
// libnftnl and compared (libnftnl's own tests do the same). Expected
// expressions and set encodings are what `nft --debug=netlink` 1.0.6 prints
// for the same nft syntax; the kernel round trip in tests/apply_test.cc
// checks the whole ruleset against `nft -f`.
#include "backends/nft_netlink.h"

#include <netinet/in.h>  // before the linux/ headers, which would define its types again

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <functional>

#include "backends/netlink_batch.h"
#include "backends/netlink_dump.h"
#include "backends/nft_netlink_rule.h"
#include "backends/nft_netlink_set.h"
#include "backends/nft_text.h"

using namespace netpolc;
using namespace netpolc::nl;

namespace {

std::vector<const nlmsghdr*> messages(const Batch& b) {
  std::vector<const nlmsghdr*> out;
  for (size_t off = 0; off < b.size();) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(b.data() + off);
    out.push_back(nlh);
    off += NLMSG_ALIGN(nlh->nlmsg_len);
  }
  return out;
}

uint16_t nft_type(const nlmsghdr* nlh) { return nlh->nlmsg_type & 0xff; }

// The rule, put into a message and parsed back: its expressions as text.
std::string round_trip(const nftnl_rule* rule) {
  std::vector<char> buf(65536);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), NFT_MSG_NEWRULE, NFPROTO_INET, 0, 1);
  nftnl_rule_nlmsg_build_payload(nlh, const_cast<nftnl_rule*>(rule));
  RulePtr parsed = make_rule();
  REQUIRE(nftnl_rule_nlmsg_parse(nlh, parsed.get()) >= 0);
  return describe_expressions(parsed.get());
}

std::string udata_hex(const nftnl_set* s) {
  uint32_t len = 0;
  const void* d = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &len);
  return d ? hex(d, len) : "";
}

std::string elements(const std::vector<ElemPtr>& elems) {
  std::string s;
  for (const auto& e : elems) s += describe_element(e.get()) + "\n";
  return s;
}

nft::Rule rule(std::vector<nft::Match> matches, nft::VerdictKind v = nft::VerdictKind::Return) {
  nft::Rule r;
  r.matches = std::move(matches);
  r.verdict.kind = v;
  return r;
}

BuiltRule build(const nft::Rule& r) {
  static uint32_t next_id = 1;
  return build_rule(r, RuleContext{"netpolc", "c", &next_id, false});
}

PortRange tcp(uint16_t lo, uint16_t hi) { return {Protocol::TCP, lo, hi}; }
PortRange udp(uint16_t lo, uint16_t hi) { return {Protocol::UDP, lo, hi}; }

}  // namespace

TEST_CASE("netlink rules: each match is linearized as nft 1.0.6 does it") {
  struct Case {
    const char* nft;
    nft::Rule rule;
    const char* expressions;
  };
  const Case cases[] = {
      {"ct state established,related accept", rule({nft::CtEstablished{}}, nft::VerdictKind::Accept),
       "[ ct load state => reg 1 ]\n"
       "[ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ]\n"
       "[ cmp neq reg 1 0x00000000 ]\n"
       "[ immediate reg 0 accept ]\n"},
      {"iif \"lo\" accept", rule({nft::Loopback{true}}, nft::VerdictKind::Accept),
       "[ meta load iif => reg 1 ]\n[ cmp eq reg 1 0x00000001 ]\n[ immediate reg 0 accept ]\n"},
      {"ip saddr @s return", rule({nft::AddrInSet{{Family::V4, true}, "s"}}),
       "[ meta load nfproto => reg 1 ]\n[ cmp eq reg 1 0x00000002 ]\n"
       "[ payload load 4b @ network header + 12 => reg 1 ]\n[ lookup reg 1 set s ]\n[ immediate reg 0 return ]\n"},
      {"ip6 saddr @a ip6 daddr @b return",
       rule({nft::AddrInSet{{Family::V6, true}, "a"}, nft::AddrInSet{{Family::V6, false}, "b"}}),
       "[ meta load nfproto => reg 1 ]\n[ cmp eq reg 1 0x0000000a ]\n"
       "[ payload load 16b @ network header + 8 => reg 1 ]\n[ lookup reg 1 set a ]\n"
       "[ payload load 16b @ network header + 24 => reg 1 ]\n[ lookup reg 1 set b ]\n[ immediate reg 0 return ]\n"},
      {"ip daddr . meta l4proto . th dport @p return", rule({nft::DestPortInSet{Family::V4, "p"}}),
       "[ meta load nfproto => reg 1 ]\n[ cmp eq reg 1 0x00000002 ]\n"
       "[ payload load 4b @ network header + 16 => reg 1 ]\n[ meta load l4proto => reg 9 ]\n"
       "[ payload load 2b @ transport header + 2 => reg 10 ]\n[ lookup reg 1 set p ]\n[ immediate reg 0 return ]\n"},
      {"ip6 daddr . meta l4proto . th dport @p return", rule({nft::DestPortInSet{Family::V6, "p"}}),
       "[ meta load nfproto => reg 1 ]\n[ cmp eq reg 1 0x0000000a ]\n"
       "[ payload load 16b @ network header + 24 => reg 1 ]\n[ meta load l4proto => reg 2 ]\n"
       "[ payload load 2b @ transport header + 2 => reg 13 ]\n[ lookup reg 1 set p ]\n[ immediate reg 0 return ]\n"},
      {"tcp dport 80 return", rule({nft::PortMatch{{tcp(80, 80)}, ""}}),
       "[ meta load l4proto => reg 1 ]\n[ cmp eq reg 1 0x00000006 ]\n"
       "[ payload load 2b @ transport header + 2 => reg 1 ]\n[ cmp eq reg 1 0x00005000 ]\n[ immediate reg 0 return "
       "]\n"},
      {"tcp dport 5432-5440 return", rule({nft::PortMatch{{tcp(5432, 5440)}, ""}}),
       "[ meta load l4proto => reg 1 ]\n[ cmp eq reg 1 0x00000006 ]\n"
       "[ payload load 2b @ transport header + 2 => reg 1 ]\n[ cmp gte reg 1 0x00003815 ]\n"
       "[ cmp lte reg 1 0x00004015 ]\n[ immediate reg 0 return ]\n"},
      {"meta l4proto udp return", rule({nft::PortMatch{{udp(0, 65535)}, ""}}),
       "[ meta load l4proto => reg 1 ]\n[ cmp eq reg 1 0x00000011 ]\n[ immediate reg 0 return ]\n"},
      {"tcp dport @p return", rule({nft::PortMatch{{tcp(80, 80), tcp(443, 443)}, "p"}}),
       "[ meta load l4proto => reg 1 ]\n[ cmp eq reg 1 0x00000006 ]\n"
       "[ payload load 2b @ transport header + 2 => reg 1 ]\n[ lookup reg 1 set p ]\n[ immediate reg 0 return ]\n"},
      {"meta l4proto @p return", rule({nft::PortMatch{{tcp(0, 65535), udp(0, 65535)}, "p"}}),
       "[ meta load l4proto => reg 1 ]\n[ lookup reg 1 set p ]\n[ immediate reg 0 return ]\n"},
      {"meta l4proto . th dport @p accept",
       rule({nft::PortMatch{{tcp(53, 53), udp(53, 53)}, "p"}}, nft::VerdictKind::Accept),
       "[ meta load l4proto => reg 1 ]\n[ payload load 2b @ transport header + 2 => reg 9 ]\n"
       "[ lookup reg 1 set p ]\n[ immediate reg 0 accept ]\n"},
      {"meta l4proto . th dport @p return (a port range among them)",
       rule({nft::PortMatch{{tcp(80, 80), udp(1000, 2000)}, "p"}}),
       "[ meta load l4proto => reg 1 ]\n[ byteorder reg 1 = hton(reg 1, 2, 1) ]\n"
       "[ payload load 2b @ transport header + 2 => reg 9 ]\n[ lookup reg 1 set p ]\n[ immediate reg 0 return "
       "]\n"},
      {"icmpv6 type { nd-router-solicit, ... } accept", rule({nft::NeighbourDiscovery{}}, nft::VerdictKind::Accept),
       "[ meta load nfproto => reg 1 ]\n[ cmp eq reg 1 0x0000000a ]\n[ meta load l4proto => reg 1 ]\n"
       "[ cmp eq reg 1 0x0000003a ]\n[ payload load 1b @ transport header + 0 => reg 1 ]\n"
       "[ lookup reg 1 set __set%d ]\n[ immediate reg 0 accept ]\n"},
  };
  for (const auto& c : cases) {
    INFO(c.nft);
    BuiltRule b = build(c.rule);
    CHECK(round_trip(b.rule.get()) == c.expressions);
  }
}

TEST_CASE("netlink rules: the report statements of --log-denied and --audit, as nft 1.0.6 encodes them") {
  nft::Rule log = rule({nft::CtNew{}}, nft::VerdictKind::Continue);
  log.statements = {nft::Limit{{10, RateUnit::Second}}, nft::Log{"np E eg/default/5e19d2c9", 100}};
  CHECK(round_trip(build(log).rule.get()) ==
        "[ ct load state => reg 1 ]\n"
        "[ bitwise reg 1 = ( reg 1 & 0x00000008 ) ^ 0x00000000 ]\n"
        "[ cmp neq reg 1 0x00000000 ]\n"
        "[ limit rate 10/second burst 5 type packets flags 0x0 ]\n"
        "[ log prefix np E eg/default/5e19d2c9 group 100 snaplen 0 qthreshold 0 ]\n");
  nft::Rule minute = rule({}, nft::VerdictKind::Continue);
  minute.statements = {nft::Limit{{100, RateUnit::Minute}}};
  CHECK(round_trip(build(minute).rule.get()) == "[ limit rate 100/minute burst 5 type packets flags 0x0 ]\n");
  nft::Rule count = rule({}, nft::VerdictKind::Return);
  count.statements = {nft::CounterRef{"deny/default/a/egress"}, nft::CounterRef{"deny/default/b/egress"}};
  CHECK(round_trip(build(count).rule.get()) ==
        "[ objref type 1 name deny/default/a/egress ]\n"
        "[ objref type 1 name deny/default/b/egress ]\n"
        "[ immediate reg 0 return ]\n");
  CHECK(nft::rule_text(log) == "ct state new limit rate 10/second log prefix \"np E eg/default/5e19d2c9\" group 100");
  CHECK(nft::rule_text(count) ==
        "counter name \"deny/default/a/egress\" counter name \"deny/default/b/egress\" return");
}

TEST_CASE("netlink batch: named counters come after the chains, before sets and rules") {
  nft::Ruleset rs;
  rs.table = "netpolc";
  rs.counters = {{"deny/default/a/egress", "denied egress packets of pods isolated by default/a"}};
  nft::Chain c;
  c.name = "eg";
  nft::Rule r = rule({}, nft::VerdictKind::Drop);
  r.statements = {nft::CounterRef{"deny/default/a/egress"}};
  c.items.push_back(r);
  rs.chains.push_back(c);
  Batch b = build_replace_batch(rs, {});
  std::vector<uint16_t> types;
  for (const nlmsghdr* nlh : messages(b)) types.push_back(nft_type(nlh));
  // BEGIN, table, delete, table, chain, counter, rule, END
  REQUIRE(types.size() == 8);
  CHECK(types[4] == NFT_MSG_NEWCHAIN);
  CHECK(types[5] == NFT_MSG_NEWOBJ);
  CHECK(types[6] == NFT_MSG_NEWRULE);
  ObjPtr o = make_obj();
  REQUIRE(nftnl_obj_nlmsg_parse(messages(b)[5], o.get()) >= 0);
  CHECK(std::string(nftnl_obj_get_str(o.get(), NFTNL_OBJ_NAME)) == "deny/default/a/egress");
  CHECK(nftnl_obj_get_u32(o.get(), NFTNL_OBJ_TYPE) == NFT_OBJECT_COUNTER);
  CHECK(b.object(messages(b)[5]->nlmsg_seq)->describe() == "counter deny/default/a/egress");
}

TEST_CASE("netlink rules: verdicts, verdict maps and comments") {
  nft::Rule jump = rule({}, nft::VerdictKind::Jump);
  jump.verdict.target = "dns-carve-out";
  CHECK(round_trip(build(jump).rule.get()) == "[ immediate reg 0 jump -> dns-carve-out ]\n");
  CHECK(round_trip(build(rule({}, nft::VerdictKind::Drop)).rule.get()) == "[ immediate reg 0 drop ]\n");
  nft::Rule vmap = rule({}, nft::VerdictKind::Vmap);
  vmap.verdict.target = "egress-v6";
  vmap.verdict.key = {Family::V6, true};
  vmap.comment = "egress of the source pod";
  BuiltRule b = build(vmap);
  CHECK(round_trip(b.rule.get()) ==
        "[ meta load nfproto => reg 1 ]\n[ cmp eq reg 1 0x0000000a ]\n"
        "[ payload load 16b @ network header + 8 => reg 1 ]\n[ lookup reg 1 set egress-v6 dreg 0 ]\n");
  uint32_t len = 0;
  const void* ud = nftnl_rule_get_data(b.rule.get(), NFTNL_RULE_USERDATA, &len);
  REQUIRE(ud);
  // NFTNL_UDATA_RULE_COMMENT, 25 bytes, "egress of the source pod\0"
  CHECK(hex(ud, len) == "0019" + hex("egress of the source pod", 25));
}

TEST_CASE("netlink sets: port lists as named sets, encoded as nft 1.0.6 encodes `type ...` sets") {
  auto ports = [](std::vector<PortRange> p) { return nft::PortSet{"p", std::move(p)}; };
  SUBCASE("tcp dport { 80, 443 }: type inet_service") {
    nft::PortSet p = ports({tcp(80, 80), tcp(443, 443)});
    SetPtr s = port_set("t", p, 1);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS) == 0);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE) == kTypeInetService);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN) == 2);
    CHECK(udata_hex(s.get()) == "000402000000");
    CHECK(elements(port_set_elements(p)) == "key 0050\nkey 01bb\n");
  }
  SUBCASE("tcp dport { 80, 8000-8080 }: an interval set with the end at 0") {
    nft::PortSet p = ports({tcp(80, 80), tcp(8000, 8080)});
    CHECK(nftnl_set_get_u32(port_set("t", p, 1).get(), NFTNL_SET_FLAGS) == NFT_SET_INTERVAL);
    CHECK(elements(port_set_elements(p)) == "key 0000 flags 1\nkey 0050\nkey 0051 flags 1\nkey 1f40\nkey 1f91 flags 1\n");
  }
  SUBCASE("udp dport { 80, 1000-65535 }: the last range is open") {
    CHECK(elements(port_set_elements(ports({udp(80, 80), udp(1000, 65535)}))) ==
          "key 0000 flags 1\nkey 0050\nkey 0051 flags 1\nkey 03e8 udata 010401000000\n");
  }
  SUBCASE("meta l4proto { tcp, udp }: type inet_proto, no byte order") {
    nft::PortSet p = ports({tcp(0, 65535), udp(0, 65535)});
    SetPtr s = port_set("t", p, 1);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE) == kTypeInetProto);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN) == 1);
    CHECK(udata_hex(s.get()) == "000400000000");
    CHECK(elements(port_set_elements(p)) == "key 06\nkey 11\n");
  }
  SUBCASE("meta l4proto . th dport { tcp . 53, udp . 53 }: type inet_proto . inet_service") {
    nft::PortSet p = ports({tcp(53, 53), udp(53, 53)});
    SetPtr s = port_set("t", p, 1);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS) == 0);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE) == 781);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN) == 8);
    CHECK(udata_hex(s.get()) == "000400000000030800040d0000000100");
    CHECK(elements(port_set_elements(p)) == "key 0600000000350000\nkey 1100000000350000\n");
  }
  SUBCASE("meta l4proto . th dport { tcp . 8080, udp . 5000-5100 }: a concatenated interval set") {
    nft::PortSet p = ports({tcp(8080, 8080), udp(5000, 5100)});
    SetPtr s = port_set("t", p, 1);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS) == (NFT_SET_INTERVAL | NFT_SET_CONCAT));
    uint32_t len = 0;
    const void* concat = nftnl_set_get_data(s.get(), NFTNL_SET_DESC_CONCAT, &len);
    REQUIRE(concat);
    CHECK(hex(concat, 2) == "0102");
    CHECK(udata_hex(s.get()) == "000400000000030800040d0000000100");
    CHECK(elements(port_set_elements(p)) ==
          "key 060000001f900000 key_end 060000001f900000\nkey 1100000013880000 key_end 1100000013ec0000\n");
  }
}

TEST_CASE("netlink sets: named sets, maps and interval edges") {
  nft::NamedSet v4{"peer", Family::V4, nft::SetKind::Ranges, {{0x0af4010aU, 0x0af4010cU}}, {}};
  CHECK(udata_hex(named_set("t", v4, 1).get()) == "000402000000");
  CHECK(elements(named_set_elements(v4)) == "key 00000000 flags 1\nkey 0af4010a\nkey 0af4010d flags 1\n");
  SUBCASE("a range from 0 has no end at 0; one to the last address has no end at all") {
    nft::NamedSet all{"all", Family::V4, nft::SetKind::Ranges, {{0, 0x09ffffffU}, {0x0b000000U, 0xffffffffU}}, {}};
    CHECK(elements(named_set_elements(all)) == "key 00000000\nkey 0a000000 flags 1\nkey 0b000000 udata 010401000000\n");
  }
  SUBCASE("pod addresses: a hash set of keys, no interval flag") {
    nft::NamedSet pods{"pods", Family::V4, nft::SetKind::Addresses, {{0x0af4010aU, 0x0af4010aU}, {0x0af4010bU, 0x0af4010bU}}, {}};
    SetPtr s = named_set("t", pods, 4);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS) == 0);
    CHECK(udata_hex(s.get()) == "000402000000");
    CHECK(elements(named_set_elements(pods)) == "key 0af4010a\nkey 0af4010b\n");
  }
  SUBCASE("address . protocol . port") {
    nft::NamedSet ports{"port", Family::V6, nft::SetKind::AddrPorts, {}, {{*parse_ip("fd00::1"), Protocol::UDP, 53}}};
    SetPtr s = named_set("t", ports, 2);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE) == 33549);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN) == 24);
    CHECK(udata_hex(s.get()) == "000400000000030800040d0000000100");
    CHECK(elements(named_set_elements(ports)) == "key fd0000000000000000000000000000011100000000350000\n");
  }
  SUBCASE("verdict map") {
    nft::VerdictMap m{"egress-v4", Family::V4, {{*parse_ip("10.244.1.10"), "default/web", "eg/default/x"}}};
    SetPtr s = verdict_map("t", m, 3);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS) == NFT_SET_MAP);
    CHECK(nftnl_set_get_u32(s.get(), NFTNL_SET_DATA_TYPE) == NFT_DATA_VERDICT);
    CHECK(udata_hex(s.get()) == "000402000000010400000000060400000000");
    CHECK(elements(verdict_map_elements(m)) ==
          "key 0af4010a verdict -3 chain eg/default/x udata 000c" + hex("default/web", 12) + "\n");
  }
}

namespace {

nft::Ruleset small_ruleset() {
  nft::Ruleset rs;
  rs.table = "netpolc";
  rs.comment = "managed by netpolc; do not edit";
  rs.port_sets.push_back({"ports/tcp-80/tcp-443", {tcp(80, 80), tcp(443, 443)}});
  rs.sets.push_back({"peer", Family::V4, nft::SetKind::Ranges, {{0x0af4010aU, 0x0af4010aU}}, {}});
  rs.maps.push_back({"egress-v4", Family::V4, {{*parse_ip("10.244.1.10"), "default/web", "eg"}}});
  nft::Chain eg;
  eg.name = "eg";
  eg.comment = "egress of pods";
  nft::Rule allow = rule({nft::AddrInSet{{Family::V4, false}, "peer"}, nft::PortMatch{{tcp(80, 80), tcp(443, 443)}, "ports/tcp-80/tcp-443"}});
  allow.origin = RuleOrigin{"default", "web", Direction::Egress, 0, {"web.yaml", 7, 5, 1}};
  eg.items.push_back(allow);
  eg.items.push_back(nft::Note{"a note"});
  eg.items.push_back(rule({}, nft::VerdictKind::Drop));
  nft::Chain fw;
  fw.name = "forward";
  fw.hook = nft::BaseHook{nft::Hook::Forward};
  nft::Rule vmap = rule({}, nft::VerdictKind::Vmap);
  vmap.verdict.target = "egress-v4";
  vmap.verdict.key = {Family::V4, true};
  fw.items.push_back(vmap);
  rs.chains = {eg, fw};
  return rs;
}

}  // namespace

TEST_CASE("netlink batch: one transaction that replaces the table, in nft -f's order") {
  BuildOptions opt;
  opt.generation = 42;
  Batch b = build_replace_batch(small_ruleset(), opt);
  std::vector<const nlmsghdr*> msgs = messages(b);
  std::vector<std::string> kinds;
  for (const auto* m : msgs) {
    if (m->nlmsg_type == NFNL_MSG_BATCH_BEGIN)
      kinds.push_back("begin");
    else if (m->nlmsg_type == NFNL_MSG_BATCH_END)
      kinds.push_back("end");
    else
      kinds.push_back(std::to_string(nft_type(m)));
  }
  auto t = [](int type) { return std::to_string(type); };
  std::vector<std::string> expected = {"begin",
                                       t(NFT_MSG_NEWTABLE),
                                       t(NFT_MSG_DELTABLE),
                                       t(NFT_MSG_NEWTABLE),
                                       t(NFT_MSG_NEWCHAIN),
                                       t(NFT_MSG_NEWCHAIN),
                                       t(NFT_MSG_NEWSET),
                                       t(NFT_MSG_NEWSETELEM),
                                       t(NFT_MSG_NEWSET),
                                       t(NFT_MSG_NEWSETELEM),
                                       t(NFT_MSG_NEWSET),
                                       t(NFT_MSG_NEWSETELEM),
                                       t(NFT_MSG_NEWRULE),
                                       t(NFT_MSG_NEWRULE),
                                       t(NFT_MSG_NEWRULE),
                                       "end"};
  CHECK(kinds == expected);
  CHECK(b.messages() == msgs.size());
  CHECK(b.changes() == msgs.size() - 2);

  SUBCASE("the generation rides in BATCH_BEGIN") {
    const nlattr* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(msgs[0], sizeof(nfgenmsg)));
    CHECK(mnl_attr_get_type(attr) == NFNL_BATCH_GENID);
    CHECK(ntohl(mnl_attr_get_u32(attr)) == 42);
  }
  SUBCASE("only the last change asks for an acknowledgement; rules are appended") {
    for (size_t i = 0; i < msgs.size(); ++i) CHECK(bool(msgs[i]->nlmsg_flags & NLM_F_ACK) == (i == msgs.size() - 2));
    CHECK((msgs[12]->nlmsg_flags & NLM_F_APPEND) != 0);
  }
  SUBCASE("the table and chains parse back with their comments and hook") {
    TablePtr table = make_table();
    REQUIRE(nftnl_table_nlmsg_parse(msgs[3], table.get()) >= 0);
    uint32_t len = 0;
    const void* ud = nftnl_table_get_data(table.get(), NFTNL_TABLE_USERDATA, &len);
    REQUIRE(ud);
    CHECK(hex(ud, len) == "0020" + hex("managed by netpolc; do not edit", 32));
    ChainPtr fw = make_chain();
    REQUIRE(nftnl_chain_nlmsg_parse(msgs[5], fw.get()) >= 0);
    CHECK(std::string(nftnl_chain_get_str(fw.get(), NFTNL_CHAIN_TYPE)) == "filter");
    CHECK(nftnl_chain_get_u32(fw.get(), NFTNL_CHAIN_HOOKNUM) == NF_INET_FORWARD);
    CHECK(nftnl_chain_get_u32(fw.get(), NFTNL_CHAIN_POLICY) == NF_ACCEPT);
  }
  SUBCASE("every sequence number names its object") {
    uint32_t first = b.begin_seq();
    CHECK(b.object(first)->describe() == "the transaction");
    CHECK(b.object(first + 3)->describe() == "table inet netpolc");
    CHECK(b.object(first + 4)->describe() == "chain eg");
    CHECK(b.object(first + 6)->describe() == "set ports/tcp-80/tcp-443");
    CHECK(b.object(first + 8)->describe() == "set peer");
    CHECK(b.object(first + 10)->describe() == "set egress-v4");
    const BatchObject* r = b.object(first + 12);
    CHECK(r->describe() == "rule 1 of chain eg");
    CHECK(r->origin->label() == "default/web egress[0]");
    CHECK(r->text == "ip daddr @peer tcp dport @ports/tcp-80/tcp-443 return");
    CHECK(b.object(first + 13)->describe() == "rule 2 of chain eg");
    CHECK(b.object(first + 100) == nullptr);
  }
}

TEST_CASE("netlink batch: a check leaves BATCH_END out; a broken rule looks up a missing set") {
  BuildOptions opt;
  opt.check = true;
  opt.break_rule = 1;  // the drop at the end of chain eg
  Batch b = build_replace_batch(small_ruleset(), opt);
  std::vector<const nlmsghdr*> msgs = messages(b);
  CHECK(msgs.back()->nlmsg_type != NFNL_MSG_BATCH_END);
  CHECK((msgs.back()->nlmsg_flags & NLM_F_ACK) != 0);
  RulePtr broken = make_rule();
  REQUIRE(nftnl_rule_nlmsg_parse(msgs[msgs.size() - 2], broken.get()) >= 0);
  CHECK(describe_expressions(broken.get()).find(std::string("set ") + kMissingSet) != std::string::npos);
}

TEST_CASE("netlink batch: a large set is split so that no element list exceeds 64 KiB") {
  nft::NamedSet big{"big", Family::V6, nft::SetKind::Ranges, {}, {}};
  for (u128 i = 0; i < 100000; ++i) {
    u128 a = (u128(0xfd00) << 112) + i * 4;
    big.ranges.push_back({a, a + 1});
  }
  std::vector<ElemPtr> elems = named_set_elements(big);
  CHECK(elems.size() == 200001);
  Batch b;
  b.begin(std::nullopt);
  BatchObject what;
  what.kind = BatchObject::Kind::Elements;
  add_element_messages(b, NFT_MSG_NEWSETELEM, "t", "big", std::nullopt, elems, what);
  b.end();
  SetPtr parsed = make_set();
  size_t parts = 0;
  for (const nlmsghdr* m : messages(b)) {
    if (m->nlmsg_type == NFNL_MSG_BATCH_BEGIN || m->nlmsg_type == NFNL_MSG_BATCH_END) continue;
    ++parts;
    const auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, sizeof(nfgenmsg)));
    int left = int(m->nlmsg_len - mnl_nlmsg_size(sizeof(nfgenmsg)));
    for (; mnl_attr_ok(attr, left); left -= int(MNL_ALIGN(attr->nla_len)), attr = mnl_attr_next(attr))
      if (mnl_attr_get_type(attr) == NFTA_SET_ELEM_LIST_ELEMENTS) CHECK(attr->nla_len <= 0xffff);
    REQUIRE(nftnl_set_elems_nlmsg_parse(m, parsed.get()) >= 0);
  }
  CHECK(parts <= b.size() / 0xf000 + 1);  // each part nearly full
  size_t count = 0;
  std::string first, last;
  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(parsed.get());
  for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it)) {
    if (count == 0) first = describe_element(e);
    last = describe_element(e);
    ++count;
  }
  nftnl_set_elems_iter_destroy(it);
  CHECK(count == elems.size());
  CHECK(first == describe_element(elems.front().get()));
  CHECK(last == describe_element(elems.back().get()));
}
