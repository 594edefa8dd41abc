#include "backends/nft_netlink_set.h"

#include <netinet/in.h>  // before the linux/ headers, which would define its types again

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <algorithm>
#include <cstring>

namespace netpolc::nl {

namespace {

// nft 1.0.6's expression type numbers, as stored in a set's "typeof" user
// data (enum expr_types in nftables' include/expression.h).
constexpr uint32_t kExprConcat = 13;

bool is_max(const Bytes& b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0xff; });
}

bool is_zero(const Bytes& b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

Bytes next_key(Bytes b) {
  for (size_t i = b.size(); i-- > 0;)
    if (++b[i] != 0) break;
  return b;
}

void set_key(nftnl_set_elem* e, uint16_t attr, const Bytes& key) {
  nftnl_set_elem_set(e, attr, key.data(), uint32_t(key.size()));
}

SetPtr set_base(const std::string& table, const std::string& name, uint32_t id, uint32_t flags, uint32_t key_type,
                uint32_t key_len) {
  SetPtr s = make_set();
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, flags);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, key_type);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, key_len);
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, id);
  return s;
}

uint32_t addr_type(Family f) { return f == Family::V4 ? kTypeIpv4Addr : kTypeIpv6Addr; }
uint32_t addr_len(Family f) { return f == Family::V4 ? 4 : 16; }

// A concatenation has no single byte order; nft records it as a concat
// "typeof" without its parts.
void concat_key_udata(nftnl_udata_buf* ud) {
  nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, kByteorderInvalid);
  put_key_typeof(ud, kExprConcat, {});
}

// `inet_proto . inet_service`, each field in a 4-byte register slot.
Bytes proto_port_key(Protocol p, uint16_t port) {
  Bytes key = padded({ip_proto(p)});
  Bytes b = padded(port_bytes(port));
  key.insert(key.end(), b.begin(), b.end());
  return key;
}

// An element list nests at most this many bytes (a netlink attribute's
// length is 16 bits).
constexpr size_t kMaxNest = 0xffff;

}  // namespace

uint8_t ip_proto(Protocol p) {
  switch (p) {
    case Protocol::TCP:
      return IPPROTO_TCP;
    case Protocol::UDP:
      return IPPROTO_UDP;
    case Protocol::SCTP:
      return IPPROTO_SCTP;
  }
  return IPPROTO_TCP;
}

void put_key_typeof(nftnl_udata_buf* ud, uint32_t expr, std::initializer_list<std::pair<uint8_t, uint32_t>> data) {
  nftnl_udata* outer = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_KEY_TYPEOF);
  nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, expr);
  nftnl_udata* inner = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA);
  for (const auto& [type, value] : data) nftnl_udata_put_u32(ud, type, value);
  nftnl_udata_nest_end(ud, inner);
  nftnl_udata_nest_end(ud, outer);
}

void set_userdata(nftnl_set* s, const UdataPtr& ud) {
  nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get()));
}

void set_userdata(nftnl_set_elem* e, const UdataPtr& ud) {
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get()));
}

uint32_t concat_type(std::initializer_list<uint32_t> types) {
  uint32_t id = 0;
  for (uint32_t t : types) id = (id << 6) | t;
  return id;
}

Bytes range_bytes(Family f, u128 v) {
  Bytes b(addr_len(f));
  for (size_t i = b.size(); i-- > 0; v >>= 8) b[i] = uint8_t(v & 0xff);
  return b;
}

Bytes addr_bytes(const IpAddr& ip) { return range_bytes(ip.family, ip.value); }

Bytes port_bytes(uint16_t port) { return {uint8_t(port >> 8), uint8_t(port & 0xff)}; }

Bytes padded(Bytes field) {
  field.resize((field.size() + 3) / 4 * 4, 0);
  return field;
}

ElemPtr key_element(const Bytes& key) {
  ElemPtr e = make_elem();
  set_key(e.get(), NFTNL_SET_ELEM_KEY, key);
  return e;
}

ElemPtr zero_end(size_t key_len) {
  ElemPtr zero = key_element(Bytes(key_len, 0));
  nftnl_set_elem_set_u32(zero.get(), NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
  return zero;
}

void add_range_elements(const ByteRange& r, std::vector<ElemPtr>* out) {
  ElemPtr start = key_element(r.lo);
  if (is_max(r.hi)) {
    UdataPtr ud = make_udata();
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_ELEM_FLAGS, NFTNL_SET_ELEM_F_INTERVAL_OPEN);
    set_userdata(start.get(), ud);
    out->push_back(std::move(start));
    return;
  }
  out->push_back(std::move(start));
  ElemPtr end = key_element(next_key(r.hi));
  nftnl_set_elem_set_u32(end.get(), NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
  out->push_back(std::move(end));
}

std::vector<ElemPtr> interval_elements(const std::vector<ByteRange>& ranges) {
  std::vector<ElemPtr> out;
  if (!ranges.empty() && !is_zero(ranges.front().lo)) out.push_back(zero_end(ranges.front().lo.size()));
  for (const auto& r : ranges) add_range_elements(r, &out);
  return out;
}

std::vector<ElemPtr> range_elements(Family f, const std::vector<IpRange>& ranges) {
  std::vector<ElemPtr> out;
  for (const auto& r : ranges) add_range_elements({range_bytes(f, r.lo), range_bytes(f, r.hi)}, &out);
  return out;
}

std::vector<ElemPtr> address_elements(Family f, const std::vector<IpRange>& addresses) {
  std::vector<ElemPtr> out;
  for (const auto& a : addresses) out.push_back(key_element(range_bytes(f, a.lo)));
  return out;
}

std::vector<ElemPtr> addr_port_elements(const std::vector<AddrPort>& addr_ports) {
  std::vector<ElemPtr> out;
  for (const auto& a : addr_ports) {
    Bytes key = addr_bytes(a.addr);
    Bytes rest = proto_port_key(a.protocol, a.port);
    key.insert(key.end(), rest.begin(), rest.end());
    out.push_back(key_element(key));
  }
  return out;
}

// set NAME { type ipv4_addr; flags interval; }          (or ipv6_addr)
// set NAME { type ipv4_addr; }
// set NAME { type ipv4_addr . inet_proto . inet_service; }
SetPtr named_set(const std::string& table, const nft::NamedSet& s, uint32_t id) {
  UdataPtr ud = make_udata();
  SetPtr set;
  if (s.kind != nft::SetKind::AddrPorts) {
    set = set_base(table, s.name, id, s.kind == nft::SetKind::Ranges ? NFT_SET_INTERVAL : 0, addr_type(s.family),
                   addr_len(s.family));
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER, kByteorderBig);
  } else {
    uint32_t type = concat_type({addr_type(s.family), kTypeInetProto, kTypeInetService});
    set = set_base(table, s.name, id, 0, type, addr_len(s.family) + 4 + 4);
    concat_key_udata(ud.get());
  }
  set_userdata(set.get(), ud);
  return set;
}

// elements = { 10.244.1.10-10.244.1.12, 10.244.2.0/24 }
// elements = { 10.244.1.10, 10.244.1.11 }
// elements = { 10.244.1.10 . tcp . 80 }
std::vector<ElemPtr> named_set_elements(const nft::NamedSet& s) {
  if (s.kind == nft::SetKind::AddrPorts) return addr_port_elements(s.addr_ports);
  if (s.kind == nft::SetKind::Addresses) return address_elements(s.family, s.ranges);
  std::vector<ElemPtr> out;
  if (!s.ranges.empty() && s.ranges.front().lo != 0) out.push_back(zero_end(addr_len(s.family)));
  std::vector<ElemPtr> rest = range_elements(s.family, s.ranges);
  for (auto& e : rest) out.push_back(std::move(e));
  return out;
}

SetPtr port_set(const std::string& table, const nft::PortSet& s, uint32_t id) {
  UdataPtr ud = make_udata();
  SetPtr set;
  switch (s.shape()) {
    case nft::PortShape::Protocols:
      set = set_base(table, s.name, id, 0, kTypeInetProto, 1);
      // inet_proto declares no byte order (unlike `meta l4proto`'s host order).
      nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER, kByteorderInvalid);
      break;
    case nft::PortShape::OneProtocol:
      set = set_base(table, s.name, id, s.intervals() ? NFT_SET_INTERVAL : 0, kTypeInetService, 2);
      nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER, kByteorderBig);
      break;
    case nft::PortShape::Concat: {
      set = set_base(table, s.name, id, s.intervals() ? NFT_SET_INTERVAL | NFT_SET_CONCAT : 0,
                     concat_type({kTypeInetProto, kTypeInetService}), 8);
      if (s.intervals()) {
        static const uint8_t kFieldLengths[] = {1, 2};
        nftnl_set_set_data(set.get(), NFTNL_SET_DESC_CONCAT, kFieldLengths, sizeof kFieldLengths);
      }
      concat_key_udata(ud.get());
      break;
    }
  }
  set_userdata(set.get(), ud);
  return set;
}

// elements = { tcp, udp }
// elements = { 80, 8000-8080 }                 (each port a range of an interval set)
// elements = { tcp . 80, udp . 5000-5100 }     (with intervals: a key and a key end each)
std::vector<ElemPtr> port_set_elements(const nft::PortSet& s) {
  std::vector<ElemPtr> out;
  switch (s.shape()) {
    case nft::PortShape::Protocols:
      for (Protocol p : nft::distinct_protocols(s.ports)) out.push_back(key_element({ip_proto(p)}));
      return out;
    case nft::PortShape::OneProtocol:
      if (!s.intervals()) {
        for (const auto& p : s.ports) out.push_back(key_element(port_bytes(p.lo)));
        return out;
      } else {
        std::vector<ByteRange> ranges;
        for (const auto& p : s.ports) ranges.push_back({port_bytes(p.lo), port_bytes(p.hi)});
        return interval_elements(ranges);
      }
    case nft::PortShape::Concat:
      for (const auto& p : s.ports) {
        ElemPtr e = key_element(proto_port_key(p.protocol, p.lo));
        if (s.intervals()) set_key(e.get(), NFTNL_SET_ELEM_KEY_END, proto_port_key(p.protocol, p.hi));
        out.push_back(std::move(e));
      }
      return out;
  }
  return out;
}

// map NAME { type ipv4_addr : verdict; }                 (or ipv6_addr)
SetPtr verdict_map(const std::string& table, const nft::VerdictMap& m, uint32_t id) {
  SetPtr set = set_base(table, m.name, id, NFT_SET_MAP, addr_type(m.family), addr_len(m.family));
  nftnl_set_set_u32(set.get(), NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
  nftnl_set_set_u32(set.get(), NFTNL_SET_DATA_LEN, 0);
  UdataPtr ud = make_udata();
  nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER, kByteorderBig);
  nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_DATABYTEORDER, kByteorderInvalid);
  nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_DATA_INTERVAL, 0);
  set_userdata(set.get(), ud);
  return set;
}

// elements = { 10.244.1.10 comment "default/web" : jump in/default/b8062222 }
std::vector<ElemPtr> verdict_map_elements(const nft::VerdictMap& m) {
  std::vector<ElemPtr> out;
  for (const auto& e : m.entries) {
    ElemPtr el = key_element(addr_bytes(e.addr));
    nftnl_set_elem_set_u32(el.get(), NFTNL_SET_ELEM_VERDICT, uint32_t(NFT_JUMP));
    nftnl_set_elem_set_str(el.get(), NFTNL_SET_ELEM_CHAIN, e.chain.c_str());
    UdataPtr ud = make_udata();
    nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_SET_ELEM_COMMENT, e.comment.c_str());
    set_userdata(el.get(), ud);
    out.push_back(std::move(el));
  }
  return out;
}

void add_set_message(Batch& batch, nftnl_set* set, BatchObject what) {
  nlmsghdr* nlh = batch.add(NFT_MSG_NEWSET, NLM_F_CREATE, std::move(what));
  nftnl_set_nlmsg_build_payload(nlh, set);
}

void add_element_messages(Batch& batch, uint16_t msg_type, const std::string& table, const std::string& set,
                          std::optional<uint32_t> set_id, const std::vector<ElemPtr>& elements,
                          const BatchObject& what) {
  uint16_t flags = msg_type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0;
  size_t next = 0;
  while (next < elements.size()) {
    nlmsghdr* nlh = batch.add(msg_type, flags, what);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table.c_str());
    if (set_id)
      mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(*set_id));
    else
      mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set.c_str());
    nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
    size_t in_message = 0;
    for (; next < elements.size(); ++next) {
      nlattr* elem = nftnl_set_elem_nlmsg_build(nlh, elements[next].get(), NFTA_LIST_ELEM);
      size_t nest_len = size_t(reinterpret_cast<char*>(elem) + elem->nla_len - reinterpret_cast<char*>(list));
      if (nest_len > kMaxNest && in_message > 0) {
        // Take the element back out: it starts the next message.
        nlh->nlmsg_len = uint32_t(reinterpret_cast<char*>(elem) - reinterpret_cast<char*>(nlh));
        break;
      }
      ++in_message;
    }
    mnl_attr_nest_end(nlh, list);
  }
}

}  // namespace netpolc::nl
