// netpolc-nldump NETNS TABLE [--no-handles]: prints what the kernel holds for
// table inet TABLE in network namespace NETNS ("-" for this one), in the
// canonical form the round-trip tests compare. A development aid.
#include <cstdio>
#include <cstring>
#include <string>

#include "backends/netlink_dump.h"

using namespace netpolc::nl;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: netpolc-nldump NETNS TABLE [--no-handles]\n");
    return 2;
  }
  std::string netns = std::strcmp(argv[1], "-") == 0 ? "" : argv[1];
  DescribeOptions opt;
  opt.handles = !(argc > 3 && std::strcmp(argv[3], "--no-handles") == 0);
  std::string error;
  auto sock = NftSocket::open(netns, &error);
  KernelTable t;
  if (!sock || !read_table(*sock, argv[2], &t, &error)) {
    std::fprintf(stderr, "netpolc-nldump: %s\n", error.c_str());
    return 1;
  }
  std::fputs(describe(t, opt).c_str(), stdout);
  return 0;
}
