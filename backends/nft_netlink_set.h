// Sets and verdict maps as libnftnl objects, encoded the way nft 1.0.6
// encodes them (key types, user data, interval end elements), and their
// NEWSET / NEWSETELEM / DELSETELEM messages.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backends/netlink_batch.h"
#include "backends/nft_ruleset.h"
#include "backends/nftnl_ptr.h"

namespace netpolc::nl {

using Bytes = std::vector<uint8_t>;

// An inclusive range of keys of one length, in network byte order.
struct ByteRange {
  Bytes lo;
  Bytes hi;
};

// nft's data type numbers (the set's key type; concatenations shift them in
// 6 bits at a time) and byte orders, as stored in the set's user data.
enum : uint32_t {
  kTypeIpv4Addr = 7,
  kTypeIpv6Addr = 8,
  kTypeInetProto = 12,
  kTypeInetService = 13,
  kTypeIcmpv6Type = 29,
};
enum : uint32_t { kByteorderInvalid = 0, kByteorderHost = 1, kByteorderBig = 2 };
uint32_t concat_type(std::initializer_list<uint32_t> types);

// IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP.
uint8_t ip_proto(Protocol p);

// The "typeof" record of a set's key in its user data, as nft 1.0.6 writes
// it: { TYPEOF_EXPR = expr, TYPEOF_DATA = { type = value, ... } }.
void put_key_typeof(nftnl_udata_buf* ud, uint32_t expr, std::initializer_list<std::pair<uint8_t, uint32_t>> data);

// Attaches user data (built with nftnl_udata_*) to a set or an element.
void set_userdata(nftnl_set* s, const UdataPtr& ud);
void set_userdata(nftnl_set_elem* e, const UdataPtr& ud);

Bytes addr_bytes(const IpAddr& ip);
Bytes range_bytes(Family f, u128 v);
Bytes port_bytes(uint16_t port);  // network order
// A field of a concatenation: padded with zeros to a multiple of 4 bytes.
Bytes padded(Bytes field);

// The elements of an interval set as the kernel keeps them: each range's
// first key, and the key after its last flagged as an interval end (none
// after a range that runs to the largest key, whose start is flagged "open"
// in its user data instead); and an end at key 0 when the first range does
// not start there.
std::vector<ElemPtr> interval_elements(const std::vector<ByteRange>& ranges);

// An element with just a key.
ElemPtr key_element(const Bytes& key);

// The pieces of the above, for updates: the end at key 0; the elements of
// some ranges of an address interval set; of some addresses of an address
// set (each range one address); of some address . protocol . port keys.
ElemPtr zero_end(size_t key_len);
std::vector<ElemPtr> range_elements(Family f, const std::vector<IpRange>& ranges);
std::vector<ElemPtr> address_elements(Family f, const std::vector<IpRange>& addresses);
std::vector<ElemPtr> addr_port_elements(const std::vector<AddrPort>& addr_ports);

// set NAME { type ipv4_addr; flags interval; }
// set NAME { type ipv4_addr; }
// set NAME { type ipv4_addr . inet_proto . inet_service; }
SetPtr named_set(const std::string& table, const nft::NamedSet& s, uint32_t id);
std::vector<ElemPtr> named_set_elements(const nft::NamedSet& s);

// set ports/... { type inet_service; [flags interval;] }
// set ports/... { type inet_proto . inet_service; [flags interval;] }
// set ports/... { type inet_proto; }
SetPtr port_set(const std::string& table, const nft::PortSet& s, uint32_t id);
std::vector<ElemPtr> port_set_elements(const nft::PortSet& s);

// map NAME { type ipv4_addr : verdict; }
SetPtr verdict_map(const std::string& table, const nft::VerdictMap& m, uint32_t id);
// 10.244.1.10 comment "default/web" : jump CHAIN
std::vector<ElemPtr> verdict_map_elements(const nft::VerdictMap& m);

// NEWSET for a set built above (or an anonymous one).
void add_set_message(Batch& batch, nftnl_set* set, BatchObject what);

// NEWSETELEM (or DELSETELEM) messages for `elements` of set `set`, as many
// as it takes for no element list to exceed the 64 KiB a netlink attribute
// can hold. A set made in this batch is named by its id alone: the kernel
// finds a set by name with a walk of every set of the table, by id among the
// batch's newest sets first, so 10,000 sets cost 10,000^2 / 2 name
// comparisons by name and next to nothing by id (10k pods: 6.2 s -> 4.3 s
// in the kernel).
void add_element_messages(Batch& batch, uint16_t msg_type, const std::string& table, const std::string& set,
                          std::optional<uint32_t> set_id, const std::vector<ElemPtr>& elements,
                          const BatchObject& what);

}  // namespace netpolc::nl
