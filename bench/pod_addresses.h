// The addresses of the benchmark generators' pods: the i-th pod of
// generate.cc and generate_kubectl.cc has the same ones, so that the
// policies of one select the pods of the other.
#pragma once

#include <cstdio>
#include <string>

namespace netpolc::bench {

// 10.244.1.0 and up, for up to 65000 pods; kube-dns is 10.244.255.10-11.
inline std::string ip4(long i) {
  long n = i + 256;
  return "10.244." + std::to_string(n / 256) + "." + std::to_string(n % 256);
}

inline std::string ip6(long i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "fd00::%lx:%lx", (i >> 16) & 0xffff, i & 0xffff);
  return buf;
}

}  // namespace netpolc::bench
