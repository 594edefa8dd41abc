#include "backends/netlink_dump.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <functional>

namespace netpolc::nl {

namespace {

constexpr int kReadAttempts = 5;

// The generation a dump message was produced at (its low 16 bits).
uint16_t message_generation(const nlmsghdr* nlh) {
  const auto* nfh = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  return ntohs(nfh->res_id);
}

class Reader {
 public:
  Reader(NftSocket& sock, const std::string& name, KernelTable* out, const ReadOptions& opt)
      : sock_(sock), name_(name), out_(out), opt_(opt) {}

  // False with *error on failure; *stale when the ruleset changed meanwhile.
  bool run(bool* stale, std::string* error);

 private:
  bool get(uint16_t type, uint16_t flags, const std::function<void(nlmsghdr*)>& fill,
           const std::function<bool(const nlmsghdr*)>& on_reply, std::string* error);
  bool fresh(const nlmsghdr* nlh) {
    if (message_generation(nlh) != uint16_t(out_->generation & 0xffff)) stale_ = true;
    return true;
  }

  NftSocket& sock_;
  const std::string& name_;
  KernelTable* out_;
  const ReadOptions& opt_;
  bool stale_ = false;
};

bool Reader::get(uint16_t type, uint16_t flags, const std::function<void(nlmsghdr*)>& fill,
                 const std::function<bool(const nlmsghdr*)>& on_reply, std::string* error) {
  std::vector<char> buf(4096);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), type, NFPROTO_INET, flags, sock_.next_seq());
  fill(nlh);
  return sock_.request(nlh, on_reply, true, error);
}

bool Reader::run(bool* stale, std::string* error) {
  *out_ = KernelTable{};
  if (!sock_.generation(&out_->generation, error)) return false;
  const char* name = name_.c_str();
  auto table_reply = [&](const nlmsghdr* nlh) {
    TablePtr t = make_table();
    if (nftnl_table_nlmsg_parse(nlh, t.get()) < 0) return false;
    out_->table = std::move(t);
    out_->exists = true;
    return fresh(nlh);
  };
  if (!get(
          NFT_MSG_GETTABLE, NLM_F_ACK, [&](nlmsghdr* nlh) { mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name); },
          table_reply, error))
    return false;
  if (!out_->exists) {
    *stale = stale_;
    return true;
  }
  auto chain_reply = [&](const nlmsghdr* nlh) {
    ChainPtr c = make_chain();
    if (nftnl_chain_nlmsg_parse(nlh, c.get()) < 0) return false;
    if (name_ == nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE)) out_->chains.push_back(std::move(c));
    return fresh(nlh);
  };
  if (!get(
          NFT_MSG_GETCHAIN, NLM_F_DUMP, [&](nlmsghdr* nlh) { mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, name); },
          chain_reply, error))
    return false;
  auto set_reply = [&](const nlmsghdr* nlh) {
    SetPtr s = make_set();
    if (nftnl_set_nlmsg_parse(nlh, s.get()) < 0) return false;
    if (name_ == nftnl_set_get_str(s.get(), NFTNL_SET_TABLE)) out_->sets.push_back(std::move(s));
    return fresh(nlh);
  };
  if (!get(
          NFT_MSG_GETSET, NLM_F_DUMP, [&](nlmsghdr* nlh) { mnl_attr_put_strz(nlh, NFTA_SET_TABLE, name); }, set_reply,
          error))
    return false;
  for (auto& s : out_->sets) {
    nftnl_set* set = s.get();
    bool anonymous = nftnl_set_get_u32(set, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS;
    if (anonymous ? !opt_.anonymous_set_elements : !opt_.named_set_elements) continue;
    auto elem_reply = [&](const nlmsghdr* nlh) {
      if (nftnl_set_elems_nlmsg_parse(nlh, set) < 0) return false;
      return fresh(nlh);
    };
    auto fill = [&](nlmsghdr* nlh) {
      mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, name);
      mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, nftnl_set_get_str(set, NFTNL_SET_NAME));
    };
    if (!get(NFT_MSG_GETSETELEM, NLM_F_DUMP, fill, elem_reply, error)) return false;
  }
  auto rule_reply = [&](const nlmsghdr* nlh) {
    RulePtr r = make_rule();
    if (nftnl_rule_nlmsg_parse(nlh, r.get()) < 0) return false;
    if (name_ == nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE)) out_->rules.push_back(std::move(r));
    return fresh(nlh);
  };
  if (!get(
          NFT_MSG_GETRULE, NLM_F_DUMP, [&](nlmsghdr* nlh) { mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, name); },
          rule_reply, error))
    return false;
  auto obj_reply = [&](const nlmsghdr* nlh) {
    ObjPtr o = make_obj();
    if (nftnl_obj_nlmsg_parse(nlh, o.get()) < 0) return false;
    if (name_ == nftnl_obj_get_str(o.get(), NFTNL_OBJ_TABLE)) out_->objects.push_back(std::move(o));
    return fresh(nlh);
  };
  if (!get(
          NFT_MSG_GETOBJ, NLM_F_DUMP, [&](nlmsghdr* nlh) { mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, name); }, obj_reply,
          error))
    return false;
  uint32_t after = 0;
  if (!sock_.generation(&after, error)) return false;
  *stale = stale_ || after != out_->generation;
  return true;
}

std::string u32(uint32_t v) { return std::to_string(v); }

template <typename Get>
void put_data(std::string& s, const char* label, Get get) {
  uint32_t len = 0;
  const void* data = get(&len);
  if (data && len) s += std::string(" ") + label + " " + hex(data, len);
}

std::string describe_table(nftnl_table* t, const DescribeOptions& o) {
  std::string s = std::string("table inet ") + nftnl_table_get_str(t, NFTNL_TABLE_NAME);
  s += " flags " + u32(nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS));
  if (o.use_counts) s += " use " + u32(nftnl_table_get_u32(t, NFTNL_TABLE_USE));
  if (o.handles) s += " handle " + std::to_string(nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE));
  put_data(s, "udata", [&](uint32_t* len) { return nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, len); });
  return s + "\n";
}

std::string describe_chain(nftnl_chain* c, const DescribeOptions& o) {
  std::string s = std::string("chain ") + nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
  if (o.handles) s += " handle " + std::to_string(nftnl_chain_get_u64(c, NFTNL_CHAIN_HANDLE));
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE)) s += std::string(" type ") + nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) s += " hook " + u32(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM));
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_PRIO))
    s += " prio " + std::to_string(int32_t(nftnl_chain_get_u32(c, NFTNL_CHAIN_PRIO)));
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY)) s += " policy " + u32(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY));
  if (nftnl_chain_is_set(c, NFTNL_CHAIN_FLAGS)) s += " flags " + u32(nftnl_chain_get_u32(c, NFTNL_CHAIN_FLAGS));
  if (o.use_counts) s += " use " + u32(nftnl_chain_get_u32(c, NFTNL_CHAIN_USE));
  put_data(s, "udata", [&](uint32_t* len) { return nftnl_chain_get_data(c, NFTNL_CHAIN_USERDATA, len); });
  return s + "\n";
}

std::string element_text(nftnl_set_elem* e) {
  std::string s;
  uint32_t len = 0;
  if (const void* k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len)) s += " key " + hex(k, len);
  if (const void* k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len)) s += " key_end " + hex(k, len);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
    s += " flags " + u32(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS));
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT))
    s += " verdict " + std::to_string(int32_t(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT)));
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
    s += std::string(" chain ") + nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN);
  if (const void* d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len)) s += " data " + hex(d, len);
  if (const void* o = nftnl_set_elem_get(e, NFTNL_SET_ELEM_OBJREF, &len))
    s += std::string(" objref ") + static_cast<const char*>(o);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))
    s += " timeout " + std::to_string(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT));
  if (const void* u = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len)) s += " udata " + hex(u, len);
  return s.empty() ? s : s.substr(1);
}

std::string describe_elem(nftnl_set_elem* e) { return "  elem " + element_text(e) + "\n"; }

std::string describe_set(nftnl_set* set, const DescribeOptions& o) {
  std::string s = std::string("set ") + nftnl_set_get_str(set, NFTNL_SET_NAME);
  if (o.handles) s += " handle " + std::to_string(nftnl_set_get_u64(set, NFTNL_SET_HANDLE));
  auto num = [&](const char* label, uint16_t attr) {
    if (nftnl_set_is_set(set, attr)) s += std::string(" ") + label + " " + u32(nftnl_set_get_u32(set, attr));
  };
  num("flags", NFTNL_SET_FLAGS);
  num("key_type", NFTNL_SET_KEY_TYPE);
  num("key_len", NFTNL_SET_KEY_LEN);
  num("data_type", NFTNL_SET_DATA_TYPE);
  num("data_len", NFTNL_SET_DATA_LEN);
  num("obj_type", NFTNL_SET_OBJ_TYPE);
  num("policy", NFTNL_SET_POLICY);
  num("size", NFTNL_SET_DESC_SIZE);
  num("gc_interval", NFTNL_SET_GC_INTERVAL);
  if (nftnl_set_is_set(set, NFTNL_SET_TIMEOUT))
    s += " timeout " + std::to_string(nftnl_set_get_u64(set, NFTNL_SET_TIMEOUT));
  put_data(s, "concat", [&](uint32_t* len) { return nftnl_set_get_data(set, NFTNL_SET_DESC_CONCAT, len); });
  put_data(s, "udata", [&](uint32_t* len) { return nftnl_set_get_data(set, NFTNL_SET_USERDATA, len); });
  s += "\n";
  if (!o.named_set_elements && !(nftnl_set_get_u32(set, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS)) return s;
  std::vector<std::string> elems;
  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(set);
  for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it))
    elems.push_back(describe_elem(e));
  nftnl_set_elems_iter_destroy(it);
  std::sort(elems.begin(), elems.end());
  for (const auto& e : elems) s += e;
  return s;
}

std::string describe_object(nftnl_obj* obj, const DescribeOptions& o) {
  std::string s = std::string("obj ") + nftnl_obj_get_str(obj, NFTNL_OBJ_NAME);
  s += " type " + u32(nftnl_obj_get_u32(obj, NFTNL_OBJ_TYPE));
  if (o.handles) s += " handle " + std::to_string(nftnl_obj_get_u64(obj, NFTNL_OBJ_HANDLE));
  if (o.use_counts) s += " use " + u32(nftnl_obj_get_u32(obj, NFTNL_OBJ_USE));
  put_data(s, "udata", [&](uint32_t* len) { return nftnl_obj_get_data(obj, NFTNL_OBJ_USERDATA, len); });
  return s + "\n";
}

std::string describe_rule(nftnl_rule* r, const DescribeOptions& o) {
  std::string s = std::string("rule ") + nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
  if (o.handles) s += " handle " + std::to_string(nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE));
  put_data(s, "udata", [&](uint32_t* len) { return nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, len); });
  return s + "\n" + describe_expressions(r);
}

}  // namespace

std::string describe_expressions(nftnl_rule* r) {
  std::string s;
  nftnl_expr_iter* it = nftnl_expr_iter_create(r);
  std::vector<char> buf(4096);
  for (nftnl_expr* e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
    int n = nftnl_expr_snprintf(buf.data(), buf.size(), e, NFTNL_OUTPUT_DEFAULT, 0);
    std::string text = n > 0 ? std::string(buf.data(), std::min(size_t(n), buf.size() - 1)) : "";
    s += std::string("[ ") + nftnl_expr_get_str(e, NFTNL_EXPR_NAME) + " " + text + "]\n";
  }
  nftnl_expr_iter_destroy(it);
  return s;
}

std::string describe_element(nftnl_set_elem* e) { return element_text(e); }

std::string hex(const void* data, size_t len) {
  static const char digits[] = "0123456789abcdef";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string s;
  s.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

bool read_table(NftSocket& sock, const std::string& name, KernelTable* out, std::string* error,
                const ReadOptions& options) {
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    bool stale = false;
    if (!Reader(sock, name, out, options).run(&stale, error)) {
      *error = "cannot read table inet " + name + ": " + *error;
      return false;
    }
    if (!stale) return true;
  }
  *error = "cannot read table inet " + name + ": the ruleset kept changing while it was read";
  return false;
}

std::string describe(const KernelTable& t, const DescribeOptions& options) {
  if (!t.exists) return "no table\n";
  std::string s = describe_table(t.table.get(), options);
  for (const auto& c : t.chains) s += describe_chain(c.get(), options);
  for (const auto& obj : t.objects) s += describe_object(obj.get(), options);
  for (const auto& set : t.sets) s += describe_set(set.get(), options);
  for (const auto& r : t.rules) s += describe_rule(r.get(), options);
  return s;
}

}  // namespace netpolc::nl
