#include "backends/nftnl_ptr.h"

#include <new>

namespace netpolc::nl {

namespace {

template <typename Ptr, typename T>
Ptr checked(T* p) {
  if (!p) throw std::bad_alloc();
  return Ptr(p);
}

// Room for every user data TLV netpolc writes: comments are at most 128 bytes.
constexpr uint32_t kUdataSize = 512;

}  // namespace

TablePtr make_table() { return checked<TablePtr>(nftnl_table_alloc()); }
ChainPtr make_chain() { return checked<ChainPtr>(nftnl_chain_alloc()); }
RulePtr make_rule() { return checked<RulePtr>(nftnl_rule_alloc()); }
ExprPtr make_expr(const char* name) { return checked<ExprPtr>(nftnl_expr_alloc(name)); }
SetPtr make_set() { return checked<SetPtr>(nftnl_set_alloc()); }
ElemPtr make_elem() { return checked<ElemPtr>(nftnl_set_elem_alloc()); }
UdataPtr make_udata() { return checked<UdataPtr>(nftnl_udata_buf_alloc(kUdataSize)); }
ObjPtr make_obj() { return checked<ObjPtr>(nftnl_obj_alloc()); }

}  // namespace netpolc::nl
