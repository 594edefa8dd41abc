#include "backends/netlink_apply.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>

#include "backends/apply_state.h"
#include "backends/netlink_dump.h"
#include "backends/nft_netlink.h"
#include "backends/nft_update.h"

namespace netpolc::nl {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

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
      diags.error({}, "", "the ruleset changed since netpolc read it (generation moved on); nothing was applied: "
                          "run apply again");
    else
      diags.error({}, "", "the kernel refused the transaction as a whole: " + error_text(e) + "; nothing was applied");
    return;
  }
  const BatchObject* what = batch.object(e.seq);
  if (!what) {
    diags.error({}, "", "the kernel refused an unknown message (sequence " + std::to_string(e.seq) + "): " +
                            error_text(e));
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
  auto t0 = Clock::now();
  bool sent = sock.send_batch(batch.data(), batch.size(), batch.messages(), &reply, &error);
  *kernel_ms = ms_since(t0);
  if (!sent) {
    diags.error({}, "", error + "; nothing was applied");
    return false;
  }
  std::vector<KernelError> errors = reply.errors;
  std::stable_sort(errors.begin(), errors.end(), [](const KernelError& a, const KernelError& b) { return a.seq < b.seq; });
  for (size_t i = 0; i < errors.size() && i < kErrorsShown; ++i) report_error(batch, errors[i], diags);
  if (errors.size() > kErrorsShown)
    diags.note({}, "", "the kernel refused " + std::to_string(errors.size() - kErrorsShown) +
                           " more messages of the transaction");
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

namespace {

class Applier {
 public:
  Applier(const nft::Ruleset& rs, const ApplyOptions& opt, Diagnostics& diags) : rs_(rs), opt_(opt), diags_(diags) {}
  ApplyReport run();

 private:
  bool try_update(const ApplyState& state);
  void update(const Batch& batch, const ElementChanges& changes, uint32_t generation);
  void replace();
  void remember(uint64_t kernel);
  void send(const Batch& batch);

  const nft::Ruleset& rs_;
  const ApplyOptions& opt_;
  Diagnostics& diags_;
  ApplyReport report_;
  std::unique_ptr<NftSocket> sock_;
  std::string state_file_;
  uint64_t structure_ = 0;
};

void Applier::send(const Batch& batch) {
  report_.messages = batch.changes();
  report_.bytes = batch.size();
  if (opt_.before_send) opt_.before_send();
  report_.ok = send_and_report(*sock_, batch, diags_, &report_.kernel_ms);
}

// Element changes only, when the table is the one the last apply left apart
// from its set elements. False: replace the table instead.
bool Applier::try_update(const ApplyState& state) {
  auto t0 = Clock::now();
  std::string error;
  uint32_t now = 0;
  if (!sock_->generation(&now, &error)) return false;
  if (now == state.generation) {
    // Nothing has changed since our own transaction: the kernel holds what
    // the state says.
    Batch batch;
    ElementChanges changes;
    if (!build_update_batch(rs_, state.sets, state.maps, now, &batch, &changes, &error)) return false;
    report_.read_ms = ms_since(t0);
    update(batch, changes, now);
    remember(state.kernel);
    return true;
  }
  KernelTable table;
  if (!read_table(*sock_, rs_.table, &table, &error) || !table.exists ||
      structure_hash(kernel_structure(table)) != state.kernel)
    return false;
  Batch batch;
  ElementChanges changes;
  if (!build_update_batch(rs_, contents_of(table), table.generation, &batch, &changes, &error)) return false;
  report_.read_ms = ms_since(t0);
  report_.read_back = true;
  update(batch, changes, table.generation);
  remember(state.kernel);
  return true;
}

void Applier::update(const Batch& batch, const ElementChanges& changes, uint32_t generation) {
  report_.generation = generation;
  report_.elements_added = changes.added;
  report_.elements_removed = changes.removed;
  if (batch.changes() == 0) {
    report_.kind = ApplyReport::Kind::Unchanged;
    report_.ok = true;
    return;
  }
  report_.kind = ApplyReport::Kind::Updated;
  send(batch);
}

void Applier::replace() {
  std::string error;
  if (!sock_->generation(&report_.generation, &error)) {
    diags_.error({}, "", error);
    return;
  }
  BuildOptions build;
  build.generation = report_.generation;
  build.check = opt_.check;
  build.break_rule = opt_.break_rule;
  report_.kind = opt_.check ? ApplyReport::Kind::Checked : ApplyReport::Kind::Replaced;
  send(build_replace_batch(rs_, build));
  if (report_.ok && !state_file_.empty()) {
    // What the next apply compares the kernel's table with.
    KernelTable now;
    ReadOptions structure_only;
    structure_only.named_set_elements = false;
    if (read_table(*sock_, rs_.table, &now, &error, structure_only)) remember(structure_hash(kernel_structure(now)));
    else forget_state(state_file_);
  }
}

// After a transaction the kernel took: the state for the next apply.
void Applier::remember(uint64_t kernel) {
  if (!report_.ok || state_file_.empty()) return;
  ApplyState st;
  st.ruleset = structure_;
  st.kernel = kernel;
  // Unchanged: no transaction was sent, the generation is the one read.
  st.generation = report_.kind == ApplyReport::Kind::Unchanged ? report_.generation
                                                               : generation_after(report_.generation);
  st.sets = rs_.sets;
  st.maps = rs_.maps;
  std::string error;
  if (!save_state(state_file_, st, &error)) forget_state(state_file_);
}

ApplyReport Applier::run() {
  auto t0 = Clock::now();
  std::string error;
  sock_ = NftSocket::open(opt_.netns, &error);
  if (!sock_) {
    diags_.error({}, "", error);
    return report_;
  }
  bool may_update = !opt_.check && !opt_.break_rule && !opt_.state_dir.empty();
  if (may_update) state_file_ = state_path(opt_.state_dir, opt_.netns, rs_.table, &error);
  if (!state_file_.empty()) {
    structure_ = structure_hash(ruleset_structure(rs_));
    std::optional<ApplyState> state = opt_.full ? std::nullopt : load_state(state_file_);
    if (state && state->ruleset == structure_ && try_update(*state)) {
      report_.total_ms = ms_since(t0);
      return report_;
    }
  }
  replace();
  report_.total_ms = ms_since(t0);
  return report_;
}

}  // namespace

ApplyReport apply_ruleset(const nft::Ruleset& rs, const ApplyOptions& options, Diagnostics& diags) {
  return Applier(rs, options, diags).run();
}

}  // namespace netpolc::nl
