// nfnetlink_log: the packets the `log ... group N` statement of netpolc's
// rules sends to user space, read with libmnl.
//
//   NFULNL_MSG_CONFIG  res_id = N   NFULA_CFG_CMD BIND           (the group is ours)
//   NFULNL_MSG_CONFIG  res_id = N   NFULA_CFG_MODE copy packet   (the first kCopyBytes)
//                                   NFULA_CFG_QTHRESH 1          (each packet sent at once)
//   NFULNL_MSG_PACKET  <- kernel    NFULA_PREFIX, NFULA_PAYLOAD  (one per logged packet)
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct mnl_socket;
struct nlmsghdr;

namespace netpolc::observe {

// Enough of a packet for its IP header (with options or a few IPv6
// extension headers) and the start of its transport header.
inline constexpr uint32_t kCopyBytes = 160;

// One NFULNL_MSG_PACKET.
struct NflogPacket {
  uint8_t family = 0;  // nfgen_family: AF_INET or AF_INET6
  uint16_t group = 0;
  std::string prefix;
  std::vector<uint8_t> payload;  // from the network header on
};

// Parses one netlink message as nflog sent it (header length, attribute
// lengths and types all checked). nullopt and *why for anything else.
std::optional<NflogPacket> parse_nflog_message(const nlmsghdr* nlh, size_t len, std::string* why);

// An nflog group bound in one network namespace.
class NflogSocket {
 public:
  // Binds `group` in `netns` ("" = the caller's). nullptr and *error when the
  // group is taken or nflog is unavailable.
  static std::unique_ptr<NflogSocket> open(const std::string& netns, uint16_t group, std::string* error);
  ~NflogSocket();
  NflogSocket(const NflogSocket&) = delete;
  NflogSocket& operator=(const NflogSocket&) = delete;

  int fd() const;
  // Reads what is queued (the socket is non-blocking): the packets, and
  // *dropped counts messages lost to a full receive buffer or unreadable.
  // False with *error when the socket fails.
  bool receive(std::vector<NflogPacket>* out, size_t* dropped, std::string* error);

 private:
  NflogSocket() = default;
  bool configure(uint16_t group, std::string* error);

  mnl_socket* sock_ = nullptr;
  uint32_t seq_ = 1;
  std::vector<char> buf_;
};

}  // namespace netpolc::observe
