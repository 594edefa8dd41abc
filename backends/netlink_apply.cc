#include "backends/netlink_apply.h"

#include <chrono>
#include <memory>

#include "backends/apply_state.h"
#include "backends/netlink_dump.h"
#include "backends/netlink_report.h"
#include "backends/nft_netlink.h"
#include "backends/nft_update.h"

namespace netpolc::nl {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

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
  ReadOptions without_rule_sets;  // as remember()'s structure was read
  without_rule_sets.anonymous_set_elements = false;
  if (!read_table(*sock_, rs_.table, &table, &error, without_rule_sets) || !table.exists ||
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
    structure_only.anonymous_set_elements = false;
    if (read_table(*sock_, rs_.table, &now, &error, structure_only))
      remember(structure_hash(kernel_structure(now)));
    else
      forget_state(state_file_);
  }
}

// After a transaction the kernel took: the state for the next apply.
void Applier::remember(uint64_t kernel) {
  if (!report_.ok || state_file_.empty()) return;
  ApplyState st;
  st.ruleset = structure_;
  st.kernel = kernel;
  // Unchanged: no transaction was sent, the generation is the one read.
  st.generation =
      report_.kind == ApplyReport::Kind::Unchanged ? report_.generation : generation_after(report_.generation);
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
