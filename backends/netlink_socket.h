// A netfilter netlink socket (libmnl) in one network namespace: the caller's,
// or one `ip netns` knows by name (/run/netns/NAME). A socket belongs for life
// to the namespace it was created in, so the calling thread enters the named
// namespace only for the socket() call and is back before open() returns.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct mnl_socket;
struct nlmsghdr;

namespace netpolc::nl {

// One error the kernel reported for a message of a batch.
struct KernelError {
  uint32_t seq = 0;
  int error = 0;        // a positive errno value
  std::string message;  // the kernel's extended ack message, if any
  uint32_t offset = 0;  // byte offset of the attribute it refused, 0 if unknown
};

// What the kernel answered to a batch.
struct BatchReply {
  std::vector<KernelError> errors;  // in the order received
  bool acked = false;               // the last message's acknowledgement came back
  bool overrun = false;             // the receive buffer overflowed: some errors were lost
};

// A NETLINK_NETFILTER socket opened in `netns` ("" = the caller's
// namespace) and bound; nullptr and *error on failure. The caller closes it.
mnl_socket* open_netfilter_socket(const std::string& netns, std::string* error);

class NftSocket {
 public:
  // Opens a NETLINK_NETFILTER socket in `netns` ("" = the caller's namespace).
  static std::unique_ptr<NftSocket> open(const std::string& netns, std::string* error);
  ~NftSocket();
  NftSocket(const NftSocket&) = delete;
  NftSocket& operator=(const NftSocket&) = delete;

  // A fresh sequence number for a request.
  uint32_t next_seq() { return seq_++; }

  // NFT_MSG_GETGEN: the generation of the namespace's ruleset.
  bool generation(uint32_t* gen, std::string* error);

  // Sends one request and calls `on_reply` for every message of the answer
  // (a dump's parts, or one object) until it is complete. `on_reply` returns
  // false to fail the request. A request answered with ENOENT succeeds with no
  // message at all when `missing_ok`.
  bool request(const nlmsghdr* request, const std::function<bool(const nlmsghdr*)>& on_reply, bool missing_ok,
               std::string* error);

  // Sends a batch (BATCH_BEGIN ... [BATCH_END]) of `messages` messages in one
  // sendmsg() and collects every error reply. The kernel processes a batch
  // during the send, so every reply is queued when the send returns.
  bool send_batch(const char* data, size_t len, size_t messages, BatchReply* reply, std::string* error);

 private:
  NftSocket() = default;
  bool grow_buffers(size_t send_bytes, size_t messages);

  mnl_socket* sock_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = 1;
  std::vector<char> buf_;  // receive buffer
};

}  // namespace netpolc::nl
