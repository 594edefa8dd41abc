#include "backends/netlink_batch.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#include <cassert>

namespace netpolc::nl {

namespace {

// Room for the largest message: a set element list nests at most 64 KiB.
constexpr size_t kMessageRoom = 256 * 1024;

}  // namespace

std::string BatchObject::rule() const { return "rule " + std::to_string(position + 1) + " of chain " + chain; }

std::string BatchObject::describe() const {
  switch (kind) {
    case Kind::BatchBegin:
      return "the transaction";
    case Kind::BatchEnd:
      return "the end of the transaction";
    case Kind::Table:
      return "table inet " + name;
    case Kind::TableDelete:
      return "the deletion of table inet " + name;
    case Kind::Chain:
      return "chain " + name;
    case Kind::Set:
      return chain.empty() ? "set " + name : "the anonymous set of " + rule();
    case Kind::Elements:
      return chain.empty() ? "elements of set " + name : "elements of the anonymous set of " + rule();
    case Kind::DeleteElements:
      return "the deletion of elements of set " + name;
    case Kind::Rule:
      return rule();
    case Kind::Counter:
      return "counter " + name;
  }
  return name;
}

void Batch::close() {
  if (!open_) return;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data() + *open_);
  assert(*open_ + nlh->nlmsg_len <= buf_.size());
  used_ = *open_ + NLMSG_ALIGN(nlh->nlmsg_len);
  open_.reset();
}

size_t Batch::size() const {
  if (!open_) return used_;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data() + *open_);
  return *open_ + NLMSG_ALIGN(nlh->nlmsg_len);
}

nlmsghdr* Batch::start(uint16_t full_type, uint16_t flags, uint16_t res_id, uint8_t family, BatchObject what) {
  close();
  if (buf_.size() < used_ + kMessageRoom) buf_.resize(std::max(buf_.size() * 2, used_ + kMessageRoom));
  uint32_t seq = next_seq_++;
  if (index_.empty()) first_seq_ = seq;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data() + used_);
  nlh->nlmsg_type = full_type;
  nlh->nlmsg_flags = uint16_t(NLM_F_REQUEST | flags);
  nlh->nlmsg_seq = seq;
  auto* nfh = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfh->nfgen_family = family;
  nfh->version = NFNETLINK_V0;
  nfh->res_id = htons(res_id);
  open_ = used_;
  offsets_.push_back(used_);
  index_.push_back(std::move(what));
  return nlh;
}

void Batch::begin(std::optional<uint32_t> generation) {
  BatchObject what;
  what.kind = BatchObject::Kind::BatchBegin;
  nlmsghdr* nlh = start(NFNL_MSG_BATCH_BEGIN, 0, NFNL_SUBSYS_NFTABLES, AF_UNSPEC, std::move(what));
  if (generation) mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(*generation));
}

nlmsghdr* Batch::add(uint16_t type, uint16_t flags, BatchObject what) {
  return start(uint16_t((NFNL_SUBSYS_NFTABLES << 8) | type), flags, 0, NFPROTO_INET, std::move(what));
}

void Batch::ack_last() {
  assert(!offsets_.empty());
  auto* nlh = reinterpret_cast<nlmsghdr*>(buf_.data() + offsets_.back());
  nlh->nlmsg_flags |= NLM_F_ACK;
}

void Batch::end() {
  BatchObject what;
  what.kind = BatchObject::Kind::BatchEnd;
  start(NFNL_MSG_BATCH_END, 0, NFNL_SUBSYS_NFTABLES, AF_UNSPEC, std::move(what));
  close();
}

size_t Batch::changes() const {
  size_t n = 0;
  for (const auto& o : index_)
    if (o.kind != BatchObject::Kind::BatchBegin && o.kind != BatchObject::Kind::BatchEnd) ++n;
  return n;
}

const BatchObject* Batch::object(uint32_t seq) const {
  if (seq < first_seq_ || seq - first_seq_ >= index_.size()) return nullptr;
  return &index_[seq - first_seq_];
}

const nlmsghdr* Batch::message(uint32_t seq) const {
  if (!object(seq)) return nullptr;
  return reinterpret_cast<const nlmsghdr*>(buf_.data() + offsets_[seq - first_seq_]);
}

}  // namespace netpolc::nl
