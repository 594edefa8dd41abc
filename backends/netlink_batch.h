// A batch of nf_tables netlink messages in one buffer, as the kernel takes a
// transaction: NFNL_MSG_BATCH_BEGIN, the messages, NFNL_MSG_BATCH_END. The
// kernel applies all of it or nothing.
//
// Every message gets its own sequence number and an entry in the batch's
// index saying which object it creates (the table, a chain, a set, a rule and
// the policy rule behind it), so that an error the kernel reports for a
// sequence number can name what it refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/program.h"

struct nlmsghdr;

namespace netpolc::nl {

// What one message of a batch is about.
struct BatchObject {
  enum class Kind { BatchBegin, BatchEnd, Table, TableDelete, Chain, Set, Elements, DeleteElements, Rule, Counter };
  Kind kind = Kind::Table;
  std::string name;                  // the table, chain, set or counter
  std::string chain;                 // a rule's chain (also for its anonymous sets)
  size_t position = 0;               // a rule's position in its chain, from 0
  std::string text;                  // a rule in nft syntax
  std::optional<RuleOrigin> origin;  // the policy rule a rule enforces

  // "rule 2 of chain in/default/b8062222", "set peer/default/x/ingress-0/v4",
  // "the anonymous set of rule 2 of chain ...", ...
  std::string describe() const;
  std::string rule() const;
};

class Batch {
 public:
  explicit Batch(uint32_t first_seq = 1) : next_seq_(first_seq) {}

  // NFNL_MSG_BATCH_BEGIN for nf_tables. With a generation (NFNL_BATCH_GENID)
  // the kernel refuses the whole batch, with ERESTART, when the ruleset has
  // changed since that generation was read.
  void begin(std::optional<uint32_t> generation);
  // Starts a message of type NFT_MSG_* for family inet. The header stays
  // valid, and the message open for attributes, until the next add() or end().
  nlmsghdr* add(uint16_t type, uint16_t flags, BatchObject what);
  // Asks the kernel to acknowledge the message added last: its answer proves
  // the kernel read the batch that far.
  void ack_last();
  // NFNL_MSG_BATCH_END: without it the kernel validates the batch and aborts.
  void end();

  const char* data() const { return buf_.data(); }
  size_t size() const;
  size_t messages() const { return index_.size(); }
  // Messages that change the ruleset (not BEGIN and END).
  size_t changes() const;

  // The object and message of a sequence number, or nullptr.
  const BatchObject* object(uint32_t seq) const;
  const nlmsghdr* message(uint32_t seq) const;
  uint32_t begin_seq() const { return first_seq_; }

 private:
  void close();
  nlmsghdr* start(uint16_t full_type, uint16_t flags, uint16_t res_id, uint8_t family, BatchObject what);

  std::vector<char> buf_;
  size_t used_ = 0;             // bytes of closed messages
  std::optional<size_t> open_;  // offset of the open message
  std::vector<BatchObject> index_;
  std::vector<size_t> offsets_;  // of every message, by index
  uint32_t first_seq_ = 0;
  uint32_t next_seq_;
};

}  // namespace netpolc::nl
