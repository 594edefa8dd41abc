#include "backends/netlink_socket.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "lab/netns.h"

namespace netpolc::nl {

namespace {

// A message of a dump is at most a little over 64 KiB (an attribute length
// is 16 bits); the kernel fills a reply up to the reader's buffer size.
constexpr size_t kReceiveBuffer = 256 * 1024;

std::string errno_text(int err) { return std::strerror(err); }

struct RequestContext {
  const std::function<bool(const nlmsghdr*)>* on_reply;
  bool failed = false;
};

int reply_cb(const nlmsghdr* nlh, void* data) {
  auto* ctx = static_cast<RequestContext*>(data);
  if (!(*ctx->on_reply)(nlh)) {
    ctx->failed = true;
    return MNL_CB_ERROR;
  }
  return MNL_CB_OK;
}

struct BatchContext {
  BatchReply* reply;
  uint32_t last_seq;
};

int error_attr_cb(const nlattr* attr, void* data) {
  auto** tb = static_cast<const nlattr**>(data);
  if (mnl_attr_type_valid(attr, NLMSGERR_ATTR_MAX) < 0) return MNL_CB_OK;
  tb[mnl_attr_get_type(attr)] = attr;
  return MNL_CB_OK;
}

// NLMSG_ERROR: an error (or the acknowledgement asked for on the last message).
int batch_error_cb(const nlmsghdr* nlh, void* data) {
  auto* ctx = static_cast<BatchContext*>(data);
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) return MNL_CB_ERROR;
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  if (err->error == 0) {
    if (nlh->nlmsg_seq == ctx->last_seq) ctx->reply->acked = true;
    return MNL_CB_OK;
  }
  KernelError e;
  e.seq = nlh->nlmsg_seq;
  e.error = err->error < 0 ? -err->error : err->error;
  // Extended ack attributes follow the (capped) copy of the request.
  size_t hlen = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) hlen += mnl_nlmsg_get_payload_len(&err->msg);
  if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
    const nlattr* tb[NLMSGERR_ATTR_MAX + 1] = {};
    if (mnl_attr_parse(nlh, unsigned(hlen), error_attr_cb, tb) == MNL_CB_OK) {
      if (tb[NLMSGERR_ATTR_MSG]) e.message = mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]);
      if (tb[NLMSGERR_ATTR_OFFS]) e.offset = mnl_attr_get_u32(tb[NLMSGERR_ATTR_OFFS]);
    }
  }
  ctx->reply->errors.push_back(std::move(e));
  return MNL_CB_OK;
}

int genid_attr_cb(const nlattr* attr, void* data) {
  if (mnl_attr_get_type(attr) == NFTA_GEN_ID && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
    *static_cast<const nlattr**>(data) = attr;
  return MNL_CB_OK;
}

}  // namespace

mnl_socket* open_netfilter_socket(const std::string& netns, std::string* error) {
  mnl_socket* sock = nullptr;
  {
    lab::NetnsFd target;
    std::unique_ptr<lab::ScopedNetns> inside;
    if (!netns.empty()) {
      target = lab::NetnsFd::open_named(netns, error);
      if (!target.valid()) return nullptr;
      inside = std::make_unique<lab::ScopedNetns>(target.get());
      if (!inside->ok()) {
        *error = "cannot enter network namespace " + netns + ": " + inside->error();
        return nullptr;
      }
    }
    sock = mnl_socket_open(NETLINK_NETFILTER);
  }
  if (!sock) {
    *error = "cannot open a netfilter netlink socket: " + errno_text(errno);
    return nullptr;
  }
  if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
    *error = "cannot bind the netfilter netlink socket: " + errno_text(errno);
    mnl_socket_close(sock);
    return nullptr;
  }
  return sock;
}

std::unique_ptr<NftSocket> NftSocket::open(const std::string& netns, std::string* error) {
  std::unique_ptr<NftSocket> s(new NftSocket());
  s->sock_ = open_netfilter_socket(netns, error);
  if (!s->sock_) return nullptr;
  int one = 1;
  // Errors carry the kernel's message and the offending attribute, and only
  // the header of the refused message instead of all of it.
  mnl_socket_setsockopt(s->sock_, NETLINK_EXT_ACK, &one, sizeof one);
  mnl_socket_setsockopt(s->sock_, NETLINK_CAP_ACK, &one, sizeof one);
  s->portid_ = mnl_socket_get_portid(s->sock_);
  s->buf_.resize(kReceiveBuffer);
  return s;
}

NftSocket::~NftSocket() {
  if (sock_) mnl_socket_close(sock_);
}

bool NftSocket::request(const nlmsghdr* request, const std::function<bool(const nlmsghdr*)>& on_reply, bool missing_ok,
                        std::string* error) {
  if (mnl_socket_sendto(sock_, request, request->nlmsg_len) < 0) {
    *error = "netlink send failed: " + errno_text(errno);
    return false;
  }
  RequestContext ctx{&on_reply};
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(sock_, buf_.data(), buf_.size());
    if (n < 0) {
      *error = "netlink receive failed: " + errno_text(errno);
      return false;
    }
    int ret = mnl_cb_run(buf_.data(), size_t(n), request->nlmsg_seq, portid_, reply_cb, &ctx);
    if (ret == MNL_CB_STOP) return true;
    if (ret == MNL_CB_OK) continue;
    if (ctx.failed) {
      *error = "unexpected netlink reply";
      return false;
    }
    if (errno == ENOENT && missing_ok) return true;
    *error = errno_text(errno);
    return false;
  }
}

bool NftSocket::generation(uint32_t* gen, std::string* error) {
  char buf[256];
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, next_seq());
  bool found = false;
  auto on_reply = [&](const nlmsghdr* reply) {
    const nlattr* attr = nullptr;
    mnl_attr_parse(reply, sizeof(nfgenmsg), genid_attr_cb, &attr);
    if (!attr) return false;
    *gen = ntohl(mnl_attr_get_u32(attr));
    found = true;
    return true;
  };
  if (!request(nlh, on_reply, false, error)) {
    *error = "cannot read the ruleset generation: " + *error;
    return false;
  }
  if (!found) *error = "cannot read the ruleset generation: no answer";
  return found;
}

bool NftSocket::grow_buffers(size_t send_bytes, size_t messages) {
  int fd = mnl_socket_get_fd(sock_);
  int current = 0;
  socklen_t len = sizeof current;
  getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &current, &len);
  // netlink refuses a message larger than the send buffer; root may raise it
  // beyond the system limit.
  int want = int(std::min<size_t>(send_bytes + 65536, size_t(1) << 30));
  if (want > current && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof want) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want) < 0)
    return false;
  // Room for an error per message in the worst case (each costs about a
  // kilobyte of buffer accounting).
  int rcv = int(std::min<size_t>(std::max<size_t>(messages * 1024, 256 * 1024), size_t(256) << 20));
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  return true;
}

bool NftSocket::send_batch(const char* data, size_t len, size_t messages, BatchReply* reply, std::string* error) {
  if (!grow_buffers(len, messages)) {
    *error = "cannot raise the netlink send buffer to " + std::to_string(len) + " bytes: " + errno_text(errno);
    return false;
  }
  // The last message before BATCH_END (or the last one at all) asks for an
  // acknowledgement: proof that the kernel read the batch to its end.
  uint32_t last_seq = 0;
  for (size_t off = 0; off + sizeof(nlmsghdr) <= len;) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(data + off);
    if (nlh->nlmsg_flags & NLM_F_ACK) last_seq = nlh->nlmsg_seq;
    off += NLMSG_ALIGN(nlh->nlmsg_len);
  }
  ssize_t sent = mnl_socket_sendto(sock_, data, len);
  if (sent < 0) {
    *error = "netlink send failed: " + errno_text(errno);
    return false;
  }
  BatchContext ctx{reply, last_seq};
  mnl_cb_t ctl[NLMSG_MIN_TYPE] = {};
  ctl[NLMSG_ERROR] = batch_error_cb;
  int fd = mnl_socket_get_fd(sock_);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, 0);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    ssize_t n = mnl_socket_recvfrom(sock_, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == ENOBUFS) {
        reply->overrun = true;
        continue;
      }
      if (errno == EAGAIN || errno == EINTR) continue;
      *error = "netlink receive failed: " + errno_text(errno);
      return false;
    }
    mnl_cb_run2(buf_.data(), size_t(n), 0, portid_, nullptr, &ctx, ctl, NLMSG_MIN_TYPE);
  }
  return true;
}

}  // namespace netpolc::nl
