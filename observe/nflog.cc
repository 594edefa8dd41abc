#include "observe/nflog.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "backends/netlink_socket.h"

namespace netpolc::observe {

namespace {

// Room for many packets at once: a burst of new flows must not overflow it.
constexpr int kSocketBuffer = 4 * 1024 * 1024;

struct Attrs {
  const nlattr* tb[NFULA_MAX + 1] = {};
  bool bad = false;
};

int attr_cb(const nlattr* attr, void* data) {
  auto* a = static_cast<Attrs*>(data);
  uint16_t type = mnl_attr_get_type(attr);
  if (mnl_attr_type_valid(attr, NFULA_MAX) < 0) return MNL_CB_OK;  // newer kernels add attributes
  if (type == NFULA_PREFIX && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0) {
    a->bad = true;
    return MNL_CB_ERROR;
  }
  a->tb[type] = attr;
  return MNL_CB_OK;
}

}  // namespace

std::optional<NflogPacket> parse_nflog_message(const nlmsghdr* nlh, size_t len, std::string* why) {
  auto fail = [&](const char* text) {
    *why = text;
    return std::nullopt;
  };
  if (len < sizeof(nlmsghdr) || !mnl_nlmsg_ok(nlh, int(len))) return fail("truncated netlink message");
  if (nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) return fail("not an nflog packet message");
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nfgenmsg)) return fail("nflog message without its nfgenmsg header");
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  Attrs attrs;
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), attr_cb, &attrs) != MNL_CB_OK || attrs.bad)
    return fail("malformed nflog attributes");
  NflogPacket p;
  p.family = nfg->nfgen_family;
  p.group = ntohs(nfg->res_id);
  if (const nlattr* a = attrs.tb[NFULA_PREFIX]) p.prefix = mnl_attr_get_str(a);
  const nlattr* payload = attrs.tb[NFULA_PAYLOAD];
  if (!payload) return fail("nflog message without a payload");
  const auto* data = static_cast<const uint8_t*>(mnl_attr_get_payload(payload));
  p.payload.assign(data, data + mnl_attr_get_payload_len(payload));
  return p;
}

std::unique_ptr<NflogSocket> NflogSocket::open(const std::string& netns, uint16_t group, std::string* error) {
  std::unique_ptr<NflogSocket> s(new NflogSocket());
  s->sock_ = nl::open_netfilter_socket(netns, error);
  if (!s->sock_) return nullptr;
  int size = kSocketBuffer;
  // SO_RCVBUFFORCE needs CAP_NET_ADMIN, which binding nflog needs anyway.
  if (setsockopt(mnl_socket_get_fd(s->sock_), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
    setsockopt(mnl_socket_get_fd(s->sock_), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  s->buf_.resize(size_t(MNL_SOCKET_BUFFER_SIZE) * 16);
  if (!s->configure(group, error)) return nullptr;
  int fd = mnl_socket_get_fd(s->sock_);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return s;
}

NflogSocket::~NflogSocket() {
  if (sock_) mnl_socket_close(sock_);
}

int NflogSocket::fd() const { return mnl_socket_get_fd(sock_); }

// Sends one NFULNL_MSG_CONFIG for `group` and waits for its acknowledgement.
bool NflogSocket::configure(uint16_t group, std::string* error) {
  auto send = [&](const char* what, auto fill) {
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = seq_++;
    auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    nfg->nfgen_family = AF_UNSPEC;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = htons(group);
    fill(nlh);
    if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0) {
      *error = std::string("cannot ") + what + ": " + std::strerror(errno);
      return false;
    }
    ssize_t n = mnl_socket_recvfrom(sock_, buf_.data(), buf_.size());
    if (n < 0 || mnl_cb_run(buf_.data(), size_t(n), nlh->nlmsg_seq, mnl_socket_get_portid(sock_), nullptr,
                            nullptr) < 0) {
      int err = errno;
      *error = std::string("cannot ") + what + ": " + std::strerror(err);
      if (err == EBUSY) *error += " (another program reads this nflog group: pick another with --nflog-group)";
      return false;
    }
    return true;
  };
  const std::string g = "nflog group " + std::to_string(group);
  if (!send(("bind " + g).c_str(), [](nlmsghdr* nlh) {
        nfulnl_msg_config_cmd cmd{};
        cmd.command = NFULNL_CFG_CMD_BIND;
        mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof cmd, &cmd);
      }))
    return false;
  return send(("configure " + g).c_str(), [](nlmsghdr* nlh) {
    nfulnl_msg_config_mode mode{};
    mode.copy_range = htonl(kCopyBytes);
    mode.copy_mode = NFULNL_COPY_PACKET;
    mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof mode, &mode);
    mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
  });
}

bool NflogSocket::receive(std::vector<NflogPacket>* out, size_t* dropped, std::string* error) {
  for (;;) {
    ssize_t n = recv(fd(), buf_.data(), buf_.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the kernel dropped messages: count, go on
        ++*dropped;
        continue;
      }
      *error = std::string("cannot read nflog: ") + std::strerror(errno);
      return false;
    }
    int left = int(n);
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data());
    while (mnl_nlmsg_ok(nlh, left)) {
      std::string why;
      if (nlh->nlmsg_type == ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) {
        if (auto p = parse_nflog_message(nlh, nlh->nlmsg_len, &why)) out->push_back(std::move(*p));
        else ++*dropped;
      }
      nlh = mnl_nlmsg_next(nlh, &left);
    }
  }
}

}  // namespace netpolc::observe
