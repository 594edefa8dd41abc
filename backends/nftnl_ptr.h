// Owning handles on libnftnl objects: each frees its object when it goes out
// of scope. An object handed over to another (a rule's expressions, a set's
// elements) is released from its handle with release().
#pragma once

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include <memory>

namespace netpolc::nl {

struct NftnlFree {
  void operator()(nftnl_table* p) const { nftnl_table_free(p); }
  void operator()(nftnl_chain* p) const { nftnl_chain_free(p); }
  void operator()(nftnl_rule* p) const { nftnl_rule_free(p); }
  void operator()(nftnl_expr* p) const { nftnl_expr_free(p); }
  void operator()(nftnl_set* p) const { nftnl_set_free(p); }
  void operator()(nftnl_set_elem* p) const { nftnl_set_elem_free(p); }
  void operator()(nftnl_udata_buf* p) const { nftnl_udata_buf_free(p); }
  void operator()(nftnl_obj* p) const { nftnl_obj_free(p); }
};

using TablePtr = std::unique_ptr<nftnl_table, NftnlFree>;
using ChainPtr = std::unique_ptr<nftnl_chain, NftnlFree>;
using RulePtr = std::unique_ptr<nftnl_rule, NftnlFree>;
using ExprPtr = std::unique_ptr<nftnl_expr, NftnlFree>;
using SetPtr = std::unique_ptr<nftnl_set, NftnlFree>;
using ElemPtr = std::unique_ptr<nftnl_set_elem, NftnlFree>;
using UdataPtr = std::unique_ptr<nftnl_udata_buf, NftnlFree>;
using ObjPtr = std::unique_ptr<nftnl_obj, NftnlFree>;

// Allocation failures of these small objects are not recoverable here.
TablePtr make_table();
ChainPtr make_chain();
RulePtr make_rule();
ExprPtr make_expr(const char* name);
SetPtr make_set();
ElemPtr make_elem();
UdataPtr make_udata();
ObjPtr make_obj();

}  // namespace netpolc::nl
