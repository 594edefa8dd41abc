// Sends new flows as fast as one core can, for the packet-path benchmark
// (bench/packet-path): every packet is the first of a connection (a UDP
// datagram or a TCP SYN) from another source port, cycling over a list of
// (source, destination, protocol, port) flows so that the addresses are those
// of real pods of the synthetic cluster.
//   flood --ifname IF --dst-mac MAC --flows FILE --seconds S
// FILE: one flow a line, `10.244.1.2 10.244.3.4 udp 53` (IPv4; udp or tcp).
// Frames go out of IF as they are (AF_PACKET, no qdisc), to MAC: the router.
// Prints `sent=N seconds=S`.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Flow {
  uint32_t src = 0, dst = 0;  // network order
  uint8_t protocol = IPPROTO_UDP;
  uint16_t port = 0;  // host order
};

struct Options {
  std::string ifname, flows;
  std::array<uint8_t, 6> dst_mac{};
  double seconds = 1;
};

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "flood: " << what << "\n";
  std::exit(1);
}

std::array<uint8_t, 6> parse_mac(const std::string& s) {
  std::array<uint8_t, 6> mac{};
  unsigned b[6];
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
    fail("bad MAC address: " + s);
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(b[i]);
  return mac;
}

std::vector<Flow> read_flows(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("cannot read " + path);
  std::vector<Flow> flows;
  std::string line, src, dst, proto;
  unsigned port = 0;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    Flow f;
    if (!(fields >> src >> dst >> proto >> port) || inet_pton(AF_INET, src.c_str(), &f.src) != 1 ||
        inet_pton(AF_INET, dst.c_str(), &f.dst) != 1 || (proto != "udp" && proto != "tcp") || port > 65535)
      fail(path + ":" + std::to_string(n) + ": expected `SRC DST udp|tcp PORT`");
    f.protocol = proto == "udp" ? IPPROTO_UDP : IPPROTO_TCP;
    f.port = static_cast<uint16_t>(port);
    flows.push_back(f);
  }
  if (flows.empty()) fail(path + ": no flows");
  return flows;
}

uint32_t sum16(const void* data, size_t len, uint32_t sum = 0) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i + 1 < len; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
  if (len % 2) sum += uint32_t(p[len - 1]) << 8;
  return sum;
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum));
}

// Ethernet + IPv4 + (UDP with 18 bytes of payload | TCP SYN): 60 bytes.
constexpr size_t kFrame = 60;

void build(const Flow& f, uint16_t sport, const std::array<uint8_t, 6>& dst_mac, uint8_t* frame) {
  std::memset(frame, 0, kFrame);
  auto* eth = reinterpret_cast<ether_header*>(frame);
  std::memcpy(eth->ether_dhost, dst_mac.data(), 6);
  eth->ether_shost[0] = 0x02;  // locally administered
  eth->ether_type = htons(ETHERTYPE_IP);
  auto* ip = reinterpret_cast<iphdr*>(frame + sizeof(ether_header));
  ip->version = 4;
  ip->ihl = 5;
  ip->tot_len = htons(static_cast<uint16_t>(kFrame - sizeof(ether_header)));
  ip->ttl = 64;
  ip->protocol = f.protocol;
  ip->saddr = f.src;
  ip->daddr = f.dst;
  ip->check = fold(sum16(ip, sizeof(iphdr)));
  uint8_t* l4 = frame + sizeof(ether_header) + sizeof(iphdr);
  size_t l4_len = kFrame - sizeof(ether_header) - sizeof(iphdr);
  if (f.protocol == IPPROTO_UDP) {
    auto* udp = reinterpret_cast<udphdr*>(l4);
    udp->source = htons(sport);
    udp->dest = htons(f.port);
    udp->len = htons(static_cast<uint16_t>(l4_len));
    // checksum 0: none (IPv4)
    return;
  }
  auto* tcp = reinterpret_cast<tcphdr*>(l4);
  tcp->source = htons(sport);
  tcp->dest = htons(f.port);
  tcp->seq = htonl(sport * 2654435761u);
  tcp->doff = 5;
  tcp->syn = 1;
  tcp->window = htons(64240);
  // The pseudo-header and the TCP header (no options; the rest is padding).
  uint32_t sum = sum16(&ip->saddr, 8);
  sum += IPPROTO_TCP + sizeof(tcphdr);
  tcp->check = fold(sum16(tcp, sizeof(tcphdr), sum));
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--ifname") o.ifname = v;
    else if (a == "--dst-mac") o.dst_mac = parse_mac(v);
    else if (a == "--flows") o.flows = v;
    else if (a == "--seconds") o.seconds = std::atof(v.c_str());
    else fail("usage: flood --ifname IF --dst-mac MAC --flows FILE --seconds S");
  }
  if (o.ifname.empty() || o.flows.empty() || o.seconds <= 0)
    fail("usage: flood --ifname IF --dst-mac MAC --flows FILE --seconds S");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::vector<Flow> flows = read_flows(o.flows);
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) fail(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_ifindex = static_cast<int>(if_nametoindex(o.ifname.c_str()));
  if (addr.sll_ifindex == 0) fail("no interface " + o.ifname);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail(std::string("bind: ") + std::strerror(errno));

  constexpr size_t kBatch = 64;
  std::vector<std::array<uint8_t, kFrame>> frames(kBatch);
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  for (size_t i = 0; i < kBatch; ++i) {
    iov[i] = {frames[i].data(), kFrame};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  // Flow k of the cycle uses source port 1024 + (k / flows) % 64512: no tuple
  // repeats within flows x 64512 packets, so each packet is a new connection.
  uint64_t k = 0, sent = 0;
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::duration<double>(o.seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    for (size_t i = 0; i < kBatch; ++i, ++k)
      build(flows[k % flows.size()], static_cast<uint16_t>(1024 + (k / flows.size()) % 64512), o.dst_mac,
            frames[i].data());
    int n = sendmmsg(fd, msgs.data(), kBatch, 0);
    if (n < 0) {
      if (errno == ENOBUFS || errno == EAGAIN) continue;
      fail(std::string("sendmmsg: ") + std::strerror(errno));
    }
    sent += static_cast<uint64_t>(n);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sent=%llu seconds=%.3f\n", static_cast<unsigned long long>(sent), seconds);
  close(fd);
  return 0;
}
