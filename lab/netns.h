// Network namespace plumbing: named namespaces under /run/netns (the files
// `ip netns` uses, so `ip netns exec NAME ...` works on a lab while it is up),
// handles on them, moving the calling thread in and out, and per-namespace
// sysctls.
//
// Network namespaces are per thread: setns(CLONE_NEWNET) moves only the
// calling thread, and a socket belongs for life to the namespace its creating
// thread was in. The lab relies on both: one thread creates sockets in many
// namespaces and then drives them all from one epoll loop.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace netpolc::lab {

// "/run/netns/NAME".
std::string netns_path(const std::string& name);

// An open namespace file. Move-only; closes on destruction.
class NetnsFd {
 public:
  NetnsFd() = default;
  explicit NetnsFd(int fd) : fd_(fd) {}
  NetnsFd(NetnsFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  NetnsFd& operator=(NetnsFd&& other) noexcept;
  NetnsFd(const NetnsFd&) = delete;
  NetnsFd& operator=(const NetnsFd&) = delete;
  ~NetnsFd();

  // /run/netns/NAME. Invalid (and *error set) when it cannot be opened.
  static NetnsFd open_named(const std::string& name, std::string* error);
  // The calling thread's current namespace.
  static NetnsFd open_current(std::string* error);

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Moves the calling thread into the namespace `target_fd` for the lifetime of
// the scope and back at the end. If moving back fails the process aborts: a
// thread silently left in a lab namespace would send the rest of the
// program's traffic into the lab.
class ScopedNetns {
 public:
  explicit ScopedNetns(int target_fd);
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  NetnsFd original_;
  bool switched_ = false;
  std::string error_;
};

// Creates the named namespaces with one `ip -batch` process (which also sets
// up /run/netns as `ip netns add` does). On failure some may exist: the
// caller deletes them all.
bool create_named_netns(const std::vector<std::string>& names, std::string* error);

// Deletes named namespaces like `ip netns del` (umount + unlink); a missing
// one is not an error. The kernel frees a namespace once nothing (sockets,
// open handles, processes) holds it any more.
void delete_named_netns(const std::vector<std::string>& names);

// Writes sysctls ("net/ipv4/ip_forward" = "1") inside the namespace.
bool write_sysctls(int netns_fd, const std::vector<std::pair<std::string, std::string>>& values,
                   std::string* error);

}  // namespace netpolc::lab
