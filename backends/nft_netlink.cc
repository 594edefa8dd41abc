#include "backends/nft_netlink.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "backends/nft_netlink_rule.h"
#include "backends/nft_netlink_set.h"
#include "backends/nft_text.h"

namespace netpolc::nl {

namespace {

BatchObject object(BatchObject::Kind kind, const std::string& name) {
  BatchObject o;
  o.kind = kind;
  o.name = name;
  return o;
}

uint32_t hook_number(nft::Hook h) {
  switch (h) {
    case nft::Hook::Forward:
      return NF_INET_FORWARD;
    case nft::Hook::Input:
      return NF_INET_LOCAL_IN;
    case nft::Hook::Output:
      return NF_INET_LOCAL_OUT;
  }
  return NF_INET_FORWARD;
}

class ReplaceBuilder {
 public:
  ReplaceBuilder(const nft::Ruleset& rs, const BuildOptions& opt) : rs_(rs), opt_(opt) {}
  Batch run();

 private:
  void table(bool with_comment);
  void delete_table();
  void chain(const nft::Chain& c);
  void counter(const nft::CounterObject& c);
  void rules(const nft::Chain& c);
  void set(SetPtr made, const std::string& name, const std::vector<ElemPtr>& elements);

  const nft::Ruleset& rs_;
  const BuildOptions& opt_;
  Batch batch_;
  uint32_t next_set_id_ = 1;
  size_t rule_number_ = 0;
};

// table inet NAME                                  (with_comment: false)
// table inet NAME { comment "managed by netpolc; do not edit" }
void ReplaceBuilder::table(bool with_comment) {
  TablePtr t = make_table();
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, rs_.table.c_str());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FLAGS, 0);
  if (with_comment) {
    UdataPtr ud = make_udata();
    nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_TABLE_COMMENT, rs_.comment.c_str());
    nftnl_table_set_data(t.get(), NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get()));
  }
  nlmsghdr* nlh = batch_.add(NFT_MSG_NEWTABLE, 0, object(BatchObject::Kind::Table, rs_.table));
  nftnl_table_nlmsg_build_payload(nlh, t.get());
}

// delete table inet NAME
void ReplaceBuilder::delete_table() {
  nlmsghdr* nlh = batch_.add(NFT_MSG_DELTABLE, 0, object(BatchObject::Kind::TableDelete, rs_.table));
  mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, rs_.table.c_str());
}

// chain NAME { comment "..." }
// chain forward { type filter hook forward priority filter; policy accept; }
void ReplaceBuilder::chain(const nft::Chain& c) {
  ChainPtr ch = make_chain();
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, rs_.table.c_str());
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, c.name.c_str());
  if (c.hook) {
    nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TYPE, "filter");
    nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_HOOKNUM, hook_number(c.hook->hook));
    nftnl_chain_set_s32(ch.get(), NFTNL_CHAIN_PRIO, 0);
    nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  }
  if (!c.comment.empty()) {
    UdataPtr ud = make_udata();
    nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_CHAIN_COMMENT, c.comment.c_str());
    nftnl_chain_set_data(ch.get(), NFTNL_CHAIN_USERDATA, nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get()));
  }
  nlmsghdr* nlh = batch_.add(NFT_MSG_NEWCHAIN, NLM_F_CREATE, object(BatchObject::Kind::Chain, c.name));
  nftnl_chain_nlmsg_build_payload(nlh, ch.get());
}

// counter NAME { comment "..." }
void ReplaceBuilder::counter(const nft::CounterObject& c) {
  ObjPtr o = make_obj();
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, rs_.table.c_str());
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, c.name.c_str());
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
  nftnl_obj_set_u64(o.get(), NFTNL_OBJ_CTR_PKTS, 0);
  nftnl_obj_set_u64(o.get(), NFTNL_OBJ_CTR_BYTES, 0);
  if (!c.comment.empty()) {
    UdataPtr ud = make_udata();
    nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_OBJ_COMMENT, c.comment.c_str());
    nftnl_obj_set_data(o.get(), NFTNL_OBJ_USERDATA, nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get()));
  }
  nlmsghdr* nlh = batch_.add(NFT_MSG_NEWOBJ, NLM_F_CREATE, object(BatchObject::Kind::Counter, c.name));
  nftnl_obj_nlmsg_build_payload(nlh, o.get());
}

// A named set or map and its elements, which name it by the id it was made with.
void ReplaceBuilder::set(SetPtr made, const std::string& name, const std::vector<ElemPtr>& elements) {
  uint32_t id = nftnl_set_get_u32(made.get(), NFTNL_SET_ID);
  add_set_message(batch_, made.get(), object(BatchObject::Kind::Set, name));
  add_element_messages(batch_, NFT_MSG_NEWSETELEM, rs_.table, name, id, elements,
                       object(BatchObject::Kind::Elements, name));
}

// Every rule of a chain, each after the anonymous sets it looks up.
void ReplaceBuilder::rules(const nft::Chain& c) {
  size_t position = 0;
  for (const auto& item : c.items) {
    const nft::Rule* r = std::get_if<nft::Rule>(&item);
    if (!r) continue;
    RuleContext ctx{rs_.table, c.name, &next_set_id_, opt_.break_rule == rule_number_++};
    BuiltRule built = build_rule(*r, ctx);
    BatchObject what = object(BatchObject::Kind::Rule, c.name);
    what.chain = c.name;
    what.position = position++;
    what.text = nft::rule_text(*r);
    what.origin = r->origin;
    for (const auto& a : built.sets) {
      BatchObject set_what = what;
      set_what.kind = BatchObject::Kind::Set;
      add_set_message(batch_, a.set.get(), set_what);
      set_what.kind = BatchObject::Kind::Elements;
      add_element_messages(batch_, NFT_MSG_NEWSETELEM, rs_.table, "__set%d", a.id, a.elements, set_what);
    }
    nlmsghdr* nlh = batch_.add(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, std::move(what));
    nftnl_rule_nlmsg_build_payload(nlh, built.rule.get());
  }
}

Batch ReplaceBuilder::run() {
  batch_.begin(opt_.generation);
  table(false);
  delete_table();
  table(true);
  for (const auto& c : rs_.chains) chain(c);
  for (const auto& c : rs_.counters) counter(c);
  for (const auto& p : rs_.port_sets) set(port_set(rs_.table, p, next_set_id_++), p.name, port_set_elements(p));
  for (const auto& s : rs_.sets) set(named_set(rs_.table, s, next_set_id_++), s.name, named_set_elements(s));
  for (const auto& m : rs_.maps) set(verdict_map(rs_.table, m, next_set_id_++), m.name, verdict_map_elements(m));
  for (const auto& c : rs_.chains) rules(c);
  batch_.ack_last();
  if (!opt_.check) batch_.end();
  return std::move(batch_);
}

}  // namespace

Batch build_replace_batch(const nft::Ruleset& rs, const BuildOptions& options) {
  return ReplaceBuilder(rs, options).run();
}

}  // namespace netpolc::nl
