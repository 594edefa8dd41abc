#include "backends/nft_netlink_rule.h"

#include <netinet/in.h>  // before the linux/ headers, which would define its types again

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <algorithm>
#include <optional>

#include "backends/nft_netlink_set.h"

namespace netpolc::nl {

namespace {

// What nft 1.0.6 records in an anonymous set's user data to print its type
// back: the expression kind (enum expr_types in nftables' include/expression.h)
// and, for a payload field, the protocol description and field (enum
// proto_desc_id and the field's index in that description).
constexpr uint32_t kExprPayload = 7;
constexpr uint32_t kDescIcmpv6 = 14;
constexpr uint32_t kFieldIcmpv6Type = 1;
// NFTNL_UDATA_SET_KEY_PAYLOAD_DESC / _TYPE.
constexpr uint8_t kUdataPayloadDesc = 0;
constexpr uint8_t kUdataPayloadType = 1;

// The register of a 4-byte slot of the register file, as nft numbers it: a
// slot that starts a 16-byte register by that register's number (NFT_REG_1
// ...), any other by its 32-bit number (NFT_REG32_01 ...).
uint32_t slot_reg(uint32_t slot) { return slot % 4 == 0 ? NFT_REG_1 + slot / 4 : NFT_REG32_00 + slot; }

class RuleBuilder {
 public:
  RuleBuilder(const nft::Rule& rule, const RuleContext& ctx) : rule_(rule), ctx_(ctx) {}
  BuiltRule run();

  // The matches, one per kind of nft::Match.
  void operator()(const nft::CtEstablished&);
  void operator()(const nft::CtNew&);
  void operator()(const nft::Loopback& m);
  void operator()(const nft::NeighbourDiscovery&);
  void operator()(const nft::AddrInSet& m);
  void operator()(const nft::DestPortInSet& m);
  void operator()(const nft::PortMatch& m);

  // The statements, one per kind of nft::Statement.
  void operator()(const nft::Limit& s);
  void operator()(const nft::Log& s);
  void operator()(const nft::CounterRef& s);

 private:
  void ct_state(uint32_t mask);
  nftnl_expr* add(const char* name);
  void meta(uint32_t key, uint32_t dreg);
  void cmp(uint32_t op, const Bytes& data);
  void payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg);
  void lookup(const std::string& set, std::optional<uint32_t> set_id, std::optional<uint32_t> dreg);
  void nfproto(Family f);
  void l4proto(uint8_t proto);
  void addr(const nft::AddrKey& key, uint32_t dreg);
  void dport(uint32_t dreg) { payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, dreg); }
  AnonymousSet& anonymous(uint32_t key_type, uint32_t key_len);
  void verdict();
  void one_protocol(const nft::PortMatch& m);
  void concat(const nft::PortMatch& m);

  const nft::Rule& rule_;
  const RuleContext& ctx_;
  BuiltRule out_;
  std::optional<Family> nfproto_;  // the family this rule already checked
};

nftnl_expr* RuleBuilder::add(const char* name) {
  ExprPtr e = make_expr(name);
  nftnl_expr* raw = e.release();
  nftnl_rule_add_expr(out_.rule.get(), raw);  // the rule owns it now
  return raw;
}

// [ meta load KEY => reg DREG ]
void RuleBuilder::meta(uint32_t key, uint32_t dreg) {
  nftnl_expr* e = add("meta");
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

// [ cmp OP reg 1 DATA ]
void RuleBuilder::cmp(uint32_t op, const Bytes& data) {
  nftnl_expr* e = add("cmp");
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
  nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data.data(), uint32_t(data.size()));
}

// [ payload load LENb @ BASE header + OFFSET => reg DREG ]
void RuleBuilder::payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg) {
  nftnl_expr* e = add("payload");
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

// [ lookup reg 1 set SET ]  or, for a verdict map, [ lookup reg 1 set SET dreg 0 ]
void RuleBuilder::lookup(const std::string& set, std::optional<uint32_t> set_id, std::optional<uint32_t> dreg) {
  nftnl_expr* e = add("lookup");
  nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set.c_str());
  if (set_id) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, *set_id);
  if (dreg) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, *dreg);
}

// meta nfproto ipv4: the dependency of `ip ...` in an inet table, once a rule.
void RuleBuilder::nfproto(Family f) {
  if (nfproto_ == f) return;
  nfproto_ = f;
  meta(NFT_META_NFPROTO, NFT_REG_1);
  cmp(NFT_CMP_EQ, {uint8_t(f == Family::V4 ? NFPROTO_IPV4 : NFPROTO_IPV6)});
}

// meta l4proto tcp
void RuleBuilder::l4proto(uint8_t proto) {
  meta(NFT_META_L4PROTO, NFT_REG_1);
  cmp(NFT_CMP_EQ, {proto});
}

// ip saddr (=> reg DREG), with its dependency
void RuleBuilder::addr(const nft::AddrKey& key, uint32_t dreg) {
  nfproto(key.family);
  bool v4 = key.family == Family::V4;
  uint32_t offset = v4 ? (key.source ? 12 : 16) : (key.source ? 8 : 24);
  payload(NFT_PAYLOAD_NETWORK_HEADER, offset, v4 ? 4 : 16, dreg);
}

AnonymousSet& RuleBuilder::anonymous(uint32_t key_type, uint32_t key_len) {
  AnonymousSet a;
  a.id = (*ctx_.next_set_id)++;
  a.set = make_set();
  nftnl_set_set_str(a.set.get(), NFTNL_SET_TABLE, ctx_.table.c_str());
  nftnl_set_set_str(a.set.get(), NFTNL_SET_NAME, "__set%d");
  nftnl_set_set_u32(a.set.get(), NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT);
  nftnl_set_set_u32(a.set.get(), NFTNL_SET_KEY_TYPE, key_type);
  nftnl_set_set_u32(a.set.get(), NFTNL_SET_KEY_LEN, key_len);
  nftnl_set_set_u32(a.set.get(), NFTNL_SET_ID, a.id);
  out_.sets.push_back(std::move(a));
  return out_.sets.back();
}

// [ ct load state => reg 1 ]
// [ bitwise reg 1 = ( reg 1 & MASK ) ^ 0x00000000 ]
// [ cmp neq reg 1 0x00000000 ]
void RuleBuilder::ct_state(uint32_t mask) {
  nftnl_expr* ct = add("ct");
  nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
  nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1);
  uint32_t zero = 0;
  nftnl_expr* bw = add("bitwise");
  nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
  nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
  nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_LEN, sizeof mask);
  nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof mask);
  nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof zero);
  cmp(NFT_CMP_NEQ, Bytes(sizeof zero, 0));
}

// ct state established,related   (mask 0x00000006)
void RuleBuilder::operator()(const nft::CtEstablished&) {
  ct_state(NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
}

// ct state new                    (mask 0x00000008)
void RuleBuilder::operator()(const nft::CtNew&) { ct_state(NF_CT_STATE_BIT(IP_CT_NEW)); }

// limit rate 10/second   [ limit rate 10/second burst 5 type packets flags 0x0 ]
// (nft's default burst is 5 packets)
void RuleBuilder::operator()(const nft::Limit& s) {
  nftnl_expr* e = add("limit");
  nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, s.rate.count);
  nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, rate_unit_seconds(s.rate.unit));
  nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, 5);
  nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
  nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
}

// log prefix "np E eg/default/5e19d2c9" group 100
//   [ log prefix np E eg/default/5e19d2c9 group 100 snaplen 0 qthreshold 0 ]
void RuleBuilder::operator()(const nft::Log& s) {
  nftnl_expr* e = add("log");
  nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, s.prefix.c_str());
  nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, s.group);
}

// counter name "deny/default/web/ingress"   [ objref type 1 name deny/default/web/ingress ]
void RuleBuilder::operator()(const nft::CounterRef& s) {
  nftnl_expr* e = add("objref");
  nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
  nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, s.name.c_str());
}

// iif "lo"   [ meta load iif => reg 1 ] [ cmp eq reg 1 0x00000001 ]
// (nft resolves the name to its index; lo is 1 in every namespace)
void RuleBuilder::operator()(const nft::Loopback& m) {
  meta(m.input ? NFT_META_IIF : NFT_META_OIF, NFT_REG_1);
  uint32_t lo = 1;
  const auto* p = reinterpret_cast<const uint8_t*>(&lo);
  cmp(NFT_CMP_EQ, Bytes(p, p + sizeof lo));
}

// icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }
//   [ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x0000000a ]
//   [ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x0000003a ]
//   [ payload load 1b @ transport header + 0 => reg 1 ] [ lookup reg 1 set __set%d ]
void RuleBuilder::operator()(const nft::NeighbourDiscovery&) {
  nfproto(Family::V6);
  l4proto(IPPROTO_ICMPV6);
  payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
  AnonymousSet& a = anonymous(kTypeIcmpv6Type, 1);
  static const uint8_t kTypes[] = {133, 134, 135, 136};
  nftnl_set_set_u32(a.set.get(), NFTNL_SET_DESC_SIZE, sizeof kTypes);
  UdataPtr ud = make_udata();
  nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER, kByteorderBig);
  put_key_typeof(ud.get(), kExprPayload, {{kUdataPayloadDesc, kDescIcmpv6}, {kUdataPayloadType, kFieldIcmpv6Type}});
  set_userdata(a.set.get(), ud);
  for (uint8_t t : kTypes) a.elements.push_back(key_element({t}));
  lookup("__set%d", a.id, std::nullopt);
}

// ip saddr @SET
//   [ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x00000002 ]
//   [ payload load 4b @ network header + 12 => reg 1 ] [ lookup reg 1 set SET ]
void RuleBuilder::operator()(const nft::AddrInSet& m) {
  addr(m.key, NFT_REG_1);
  lookup(m.set, std::nullopt, std::nullopt);
}

// ip daddr . meta l4proto . th dport @SET
//   [ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x00000002 ]
//   [ payload load 4b @ network header + 16 => reg 1 ]
//   [ meta load l4proto => reg 9 ]
//   [ payload load 2b @ transport header + 2 => reg 10 ]
//   [ lookup reg 1 set SET ]
// (IPv6: the address fills slots 0-3, so reg 2 and reg 13 follow.)
void RuleBuilder::operator()(const nft::DestPortInSet& m) {
  addr({m.family, false}, NFT_REG_1);
  uint32_t slot = m.family == Family::V4 ? 1 : 4;
  meta(NFT_META_L4PROTO, slot_reg(slot));
  dport(slot_reg(slot + 1));
  lookup(m.set, std::nullopt, std::nullopt);
}

// tcp dport 80                 [ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x00000006 ]
//                              [ payload load 2b @ transport header + 2 => reg 1 ] [ cmp eq reg 1 0x00005000 ]
// tcp dport 8000-8080          ... [ cmp gte reg 1 0x0000401f ] [ cmp lte reg 1 0x0000901f ]
// tcp dport @SET               ... [ lookup reg 1 set SET ]
void RuleBuilder::one_protocol(const nft::PortMatch& m) {
  l4proto(ip_proto(m.ports[0].protocol));
  dport(NFT_REG_1);
  if (!m.set.empty()) return lookup(m.set, std::nullopt, std::nullopt);
  const PortRange& p = m.ports[0];
  if (p.lo == p.hi) {
    cmp(NFT_CMP_EQ, port_bytes(p.lo));
  } else {
    cmp(NFT_CMP_GTE, port_bytes(p.lo));
    cmp(NFT_CMP_LTE, port_bytes(p.hi));
  }
}

// meta l4proto . th dport @SET
//   [ meta load l4proto => reg 1 ]
//   [ payload load 2b @ transport header + 2 => reg 9 ]
//   [ lookup reg 1 set SET ]
// With a range among the ports the set is a concatenated interval set and
// nft 1.0.6 puts
//   [ byteorder reg 1 = hton(reg 1, 2, 1) ]
// after the l4proto load.
void RuleBuilder::concat(const nft::PortMatch& m) {
  meta(NFT_META_L4PROTO, slot_reg(0));
  if (nft::port_intervals(m.ports)) {
    nftnl_expr* bo = add("byteorder");
    nftnl_expr_set_u32(bo, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
    nftnl_expr_set_u32(bo, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
    nftnl_expr_set_u32(bo, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
    nftnl_expr_set_u32(bo, NFTNL_EXPR_BYTEORDER_LEN, 1);
    nftnl_expr_set_u32(bo, NFTNL_EXPR_BYTEORDER_SIZE, 2);
  }
  dport(slot_reg(1));
  lookup(m.set, std::nullopt, std::nullopt);
}

// meta l4proto udp            [ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x00000011 ]
// meta l4proto @SET           [ meta load l4proto => reg 1 ] [ lookup reg 1 set SET ]
void RuleBuilder::operator()(const nft::PortMatch& m) {
  switch (nft::port_shape(m.ports)) {
    case nft::PortShape::OneProtocol:
      return one_protocol(m);
    case nft::PortShape::Concat:
      return concat(m);
    case nft::PortShape::Protocols:
      break;
  }
  if (m.set.empty()) return l4proto(ip_proto(m.ports[0].protocol));
  meta(NFT_META_L4PROTO, NFT_REG_1);
  lookup(m.set, std::nullopt, std::nullopt);
}

// accept | drop | return | jump CHAIN     [ immediate reg 0 VERDICT ]
// (none: Continue)
// ip saddr vmap @MAP                       ... [ lookup reg 1 set MAP dreg 0 ]
void RuleBuilder::verdict() {
  const nft::Verdict& v = rule_.verdict;
  if (v.kind == nft::VerdictKind::Continue) return;
  if (v.kind == nft::VerdictKind::Vmap) {
    addr(v.key, NFT_REG_1);
    lookup(v.target, std::nullopt, NFT_REG_VERDICT);
    return;
  }
  nftnl_expr* e = add("immediate");
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  switch (v.kind) {
    case nft::VerdictKind::Accept:
      nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
      break;
    case nft::VerdictKind::Drop:
      nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
      break;
    case nft::VerdictKind::Return:
      nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, uint32_t(NFT_RETURN));
      break;
    case nft::VerdictKind::Jump:
      nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, uint32_t(NFT_JUMP));
      nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, v.target.c_str());
      break;
    case nft::VerdictKind::Vmap:
    case nft::VerdictKind::Continue:
      break;
  }
}

BuiltRule RuleBuilder::run() {
  out_.rule = make_rule();
  nftnl_rule* r = out_.rule.get();
  nftnl_rule_set_str(r, NFTNL_RULE_TABLE, ctx_.table.c_str());
  nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, ctx_.chain.c_str());
  if (ctx_.break_rule) (*this)(nft::AddrInSet{{Family::V4, true}, kMissingSet});
  for (const auto& m : rule_.matches) std::visit(*this, m);
  for (const auto& st : rule_.statements) std::visit(*this, st);
  verdict();
  if (!rule_.comment.empty()) {
    UdataPtr ud = make_udata();
    nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_RULE_COMMENT, rule_.comment.c_str());
    nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get()));
  }
  return std::move(out_);
}

}  // namespace

BuiltRule build_rule(const nft::Rule& rule, const RuleContext& ctx) { return RuleBuilder(rule, ctx).run(); }

}  // namespace netpolc::nl
