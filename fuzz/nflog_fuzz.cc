// The nflog reader: the input is one netlink message as the kernel would
// send it to `netpolc observe` (and, on its own, a packet payload). Nothing
// may read out of bounds; what is accepted must be self-consistent.
#include <fuzzer/FuzzedDataProvider.h>
#include <libmnl/libmnl.h>

#include <cstring>
#include <vector>

#include "backends/deny_report.h"
#include "fuzz/fuzz_check.h"
#include "observe/flows.h"
#include "observe/nflog.h"
#include "observe/packet.h"

using namespace netpolc;

namespace {

void check_packet(const uint8_t* data, size_t size) {
  std::string why;
  auto h = observe::parse_packet(data, size, &why);
  if (!h) {
    FUZZ_CHECK(!why.empty());
    return;
  }
  FUZZ_CHECK(size >= (h->src.family == Family::V4 ? 20u : 40u));
  FUZZ_CHECK(h->src.family == h->dst.family);
  FUZZ_CHECK(h->dport.has_value() == (h->protocol != L4::ICMP));
  FUZZ_CHECK(h->icmp_type.has_value() == (h->protocol == L4::ICMP));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_packet(data, size);
  // Netlink messages are read from an aligned buffer.
  std::vector<uint32_t> aligned((size + 3) / 4 + 1);
  std::memcpy(aligned.data(), data, size);
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(aligned.data());
  std::string why;
  auto p = observe::parse_nflog_message(nlh, size, &why);
  if (!p) {
    FUZZ_CHECK(!why.empty());
    return 0;
  }
  FUZZ_CHECK(p->payload.size() <= size);
  FUZZ_CHECK(p->prefix.find('\0') == std::string::npos);
  if (auto d = decode_log_prefix(p->prefix)) FUZZ_CHECK(log_prefix(d->audit, d->chain) == p->prefix);
  check_packet(p->payload.data(), p->payload.size());
  observe::Observations obs;
  bool recorded = observe::record(*p, obs);
  FUZZ_CHECK(obs.flows.size() == (recorded ? 1u : 0u));
  FUZZ_CHECK(obs.foreign + obs.unreadable == (recorded ? 0u : 1u));
  return 0;
}
