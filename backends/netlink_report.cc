#include "backends/netlink_report.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>

namespace netpolc::nl {

namespace {

// How many refused messages are reported one by one.
constexpr size_t kErrorsShown = 5;

// Calls f(attr) for every attribute in [data, data + len).
template <typename F>
void for_each_attr(const void* data, size_t len, F f) {
  const auto* attr = static_cast<const nlattr*>(data);
  int left = int(len);
  while (mnl_attr_ok(attr, left)) {
    f(attr);
    left -= int(MNL_ALIGN(attr->nla_len));
    attr = mnl_attr_next(attr);
  }
}

void for_each_nested(const nlattr* nest, const std::function<void(const nlattr*)>& f) {
  for_each_attr(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), f);
}

// The expression of a rule message that holds byte `offset`: "expression 3
// (lookup)", or "" when the offset is not inside one.
std::string expression_at(const nlmsghdr* nlh, uint32_t offset) {
  const char* base = reinterpret_cast<const char*>(nlh);
  std::string found;
  auto in_rule = [&](const nlattr* attr) {
    if (mnl_attr_get_type(attr) != NFTA_RULE_EXPRESSIONS) return;
    int index = 0;
    for_each_nested(attr, [&](const nlattr* elem) {
      ++index;
      uint32_t start = uint32_t(reinterpret_cast<const char*>(elem) - base);
      if (offset < start || offset >= start + elem->nla_len) return;
      found = "expression " + std::to_string(index);
      for_each_nested(elem, [&](const nlattr* part) {
        if (mnl_attr_get_type(part) == NFTA_EXPR_NAME)
          found += std::string(" (") + static_cast<const char*>(mnl_attr_get_payload(part)) + ")";
      });
    });
  };
  for_each_attr(static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + sizeof(nfgenmsg),
                mnl_nlmsg_get_payload_len(nlh) - sizeof(nfgenmsg), in_rule);
  return found;
}

std::string error_text(const KernelError& e) {
  std::string s = std::strerror(e.error);
  if (!e.message.empty()) s += " (" + e.message + ")";
  return s;
}

void report_error(const Batch& batch, const KernelError& e, Diagnostics& diags) {
  if (e.seq == batch.begin_seq()) {
    if (e.error == ERESTART)
      diags.error({}, "",
                  "the ruleset changed since netpolc read it (generation moved on); nothing was applied: "
                  "run apply again");
    else
      diags.error({}, "", "the kernel refused the transaction as a whole: " + error_text(e) + "; nothing was applied");
    return;
  }
  const BatchObject* what = batch.object(e.seq);
  if (!what) {
    diags.error({}, "",
                "the kernel refused an unknown message (sequence " + std::to_string(e.seq) + "): " + error_text(e));
    return;
  }
  std::string msg = "the kernel refused " + what->describe();
  if (const nlmsghdr* nlh = batch.message(e.seq); nlh && e.offset && what->kind == BatchObject::Kind::Rule) {
    std::string expr = expression_at(nlh, e.offset);
    if (!expr.empty()) msg += ", " + expr;
  }
  if (what->origin) msg += " (" + what->origin->label() + ")";
  msg += ": " + error_text(e);
  SourceLoc loc = what->origin ? what->origin->loc : SourceLoc{};
  diags.error(loc, "", msg);
  if (!what->text.empty()) diags.note({}, "", "the rule: " + what->text);
}

}  // namespace

bool send_and_report(NftSocket& sock, const Batch& batch, Diagnostics& diags, double* kernel_ms) {
  BatchReply reply;
  std::string error;
  auto t0 = std::chrono::steady_clock::now();
  bool sent = sock.send_batch(batch.data(), batch.size(), batch.messages(), &reply, &error);
  *kernel_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!sent) {
    diags.error({}, "", error + "; nothing was applied");
    return false;
  }
  std::vector<KernelError> errors = reply.errors;
  std::stable_sort(errors.begin(), errors.end(),
                   [](const KernelError& a, const KernelError& b) { return a.seq < b.seq; });
  for (size_t i = 0; i < errors.size() && i < kErrorsShown; ++i) report_error(batch, errors[i], diags);
  if (errors.size() > kErrorsShown)
    diags.note(
        {}, "",
        "the kernel refused " + std::to_string(errors.size() - kErrorsShown) + " more messages of the transaction");
  if (reply.overrun) diags.note({}, "", "more errors were lost: the reply overflowed the socket buffer");
  if (!errors.empty()) {
    diags.note({}, "", "nothing was applied: the previous ruleset is still in force");
    return false;
  }
  if (reply.overrun) {
    diags.error({}, "", "the kernel's answer was lost (socket buffer overflow); nothing was applied");
    return false;
  }
  if (!reply.acked) {
    diags.error({}, "", "the kernel did not acknowledge the transaction");
    return false;
  }
  return true;
}

}  // namespace netpolc::nl
