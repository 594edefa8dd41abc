// nflog messages as the kernel sends them, built with libmnl, parsed back;
// and every malformed shape refused.
#include "observe/nflog.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <sys/socket.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "observe/packet.h"

using namespace netpolc::observe;

namespace {

struct Message {
  std::vector<char> buf = std::vector<char>(4096);
  nlmsghdr* nlh = nullptr;
};

// NFULNL_MSG_PACKET for `group`, with the attributes `fill` adds.
template <typename Fill>
Message packet_message(uint16_t group, Fill fill) {
  Message m;
  m.nlh = mnl_nlmsg_put_header(m.buf.data());
  m.nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = AF_INET;
  nfg->res_id = htons(group);
  fill(m.nlh);
  return m;
}

const uint8_t kPayload[] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 6, 0, 0, 10, 244, 1, 12, 10, 244, 1, 10, 0, 1, 0, 80};

}  // namespace

TEST_CASE("nflog: a packet message gives its group, family, prefix and payload") {
  Message m = packet_message(100, [](nlmsghdr* nlh) {
    uint32_t mark = 0;
    mnl_attr_put(nlh, NFULA_MARK, sizeof mark, &mark);
    mnl_attr_put_strz(nlh, NFULA_PREFIX, "np A eg/default/5e19d2c9");
    mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof kPayload, kPayload);
    mnl_attr_put_u32(nlh, 200, 0);  // an attribute from a newer kernel: ignored
  });
  std::string why;
  auto p = parse_nflog_message(m.nlh, m.nlh->nlmsg_len, &why);
  REQUIRE_MESSAGE(p, why);
  CHECK(p->group == 100);
  CHECK(p->family == AF_INET);
  CHECK(p->prefix == "np A eg/default/5e19d2c9");
  CHECK(p->payload == std::vector<uint8_t>(std::begin(kPayload), std::end(kPayload)));
}

TEST_CASE("nflog: malformed messages are refused, never read past their end") {
  std::string why;
  Message ok = packet_message(1, [](nlmsghdr* nlh) { mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof kPayload, kPayload); });
  CHECK(parse_nflog_message(ok.nlh, ok.nlh->nlmsg_len, &why));
  // Cut anywhere: refused (the header's length no longer fits).
  for (size_t n = 0; n < ok.nlh->nlmsg_len; ++n) CHECK(!parse_nflog_message(ok.nlh, n, &why));

  Message no_payload = packet_message(1, [](nlmsghdr* nlh) { mnl_attr_put_strz(nlh, NFULA_PREFIX, "np E in/a/b"); });
  CHECK(!parse_nflog_message(no_payload.nlh, no_payload.nlh->nlmsg_len, &why));
  CHECK(why == "nflog message without a payload");

  Message unterminated = packet_message(1, [](nlmsghdr* nlh) {
    mnl_attr_put(nlh, NFULA_PREFIX, 4, "np E");
    mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof kPayload, kPayload);
  });
  CHECK(!parse_nflog_message(unterminated.nlh, unterminated.nlh->nlmsg_len, &why));
  CHECK(why == "malformed nflog attributes");

  Message config = packet_message(1, [](nlmsghdr*) {});
  config.nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
  CHECK(!parse_nflog_message(config.nlh, config.nlh->nlmsg_len, &why));
  CHECK(why == "not an nflog packet message");

  Message bare = packet_message(1, [](nlmsghdr*) {});
  bare.nlh->nlmsg_len = sizeof(nlmsghdr) + 2;  // nfgenmsg cut
  CHECK(!parse_nflog_message(bare.nlh, bare.nlh->nlmsg_len, &why));
  CHECK(why == "nflog message without its nfgenmsg header");

  // An attribute whose length runs past the message.
  Message overrun = packet_message(1, [](nlmsghdr* nlh) { mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof kPayload, kPayload); });
  auto* attr = reinterpret_cast<nlattr*>(static_cast<char*>(mnl_nlmsg_get_payload(overrun.nlh)) + sizeof(nfgenmsg));
  attr->nla_len = 200;
  CHECK(!parse_nflog_message(overrun.nlh, overrun.nlh->nlmsg_len, &why));
}

TEST_CASE("nflog: messages captured from a kernel read as the flows they were") {
  struct Case {
    const char* file;
    const char* dst;
    netpolc::L4 protocol;
    int port;
  };
  const Case cases[] = {
      {"audit-tcp4.bin", "10.244.1.12", netpolc::L4::TCP, 80},
      {"audit-tcp6.bin", "fd00::1:12", netpolc::L4::TCP, 8080},
      {"audit-udp4.bin", "10.244.1.12", netpolc::L4::UDP, 53},
      {"audit-udp6.bin", "fd00::1:12", netpolc::L4::UDP, 53},
      {"audit-icmp4.bin", "10.244.1.12", netpolc::L4::ICMP, -1},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    std::ifstream in(std::string(NETPOLC_SOURCE_DIR) + "/fixtures/nflog/" + c.file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(!bytes.empty());
    std::vector<uint32_t> aligned(bytes.size() / 4 + 1);
    std::memcpy(aligned.data(), bytes.data(), bytes.size());
    std::string why;
    auto p = parse_nflog_message(reinterpret_cast<const nlmsghdr*>(aligned.data()), bytes.size(), &why);
    REQUIRE_MESSAGE(p, why);
    CHECK(p->group == 100);
    CHECK(p->prefix == "np A eg/default/0d9e725f");
    auto h = parse_packet(p->payload.data(), p->payload.size(), &why);
    REQUIRE_MESSAGE(h, why);
    CHECK(netpolc::format_ip(h->dst) == c.dst);
    CHECK(netpolc::format_ip(h->src) == (h->dst.family == netpolc::Family::V4 ? "10.244.1.11" : "fd00::1:11"));
    CHECK(h->protocol == c.protocol);
    CHECK((h->dport ? int(*h->dport) : -1) == c.port);
  }
}
