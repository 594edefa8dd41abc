#include "lab/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "lab/command.h"

namespace netpolc::lab {

std::string netns_path(const std::string& name) { return "/run/netns/" + name; }

NetnsFd& NetnsFd::operator=(NetnsFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

NetnsFd::~NetnsFd() {
  if (fd_ >= 0) close(fd_);
}

NetnsFd NetnsFd::open_named(const std::string& name, std::string* error) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    *error = "invalid namespace name '" + name + "'";
    return NetnsFd();
  }
  int fd = open(netns_path(name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) *error = "cannot open namespace " + name + ": " + strerror(errno);
  return NetnsFd(fd);
}

NetnsFd NetnsFd::open_current(std::string* error) {
  int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) *error = std::string("cannot open /proc/thread-self/ns/net: ") + strerror(errno);
  return NetnsFd(fd);
}

ScopedNetns::ScopedNetns(int target_fd) {
  original_ = NetnsFd::open_current(&error_);
  if (!original_.valid()) return;
  if (setns(target_fd, CLONE_NEWNET) != 0) {
    error_ = std::string("setns: ") + strerror(errno);
    return;
  }
  switched_ = true;
}

ScopedNetns::~ScopedNetns() {
  if (!switched_) return;
  if (setns(original_.get(), CLONE_NEWNET) != 0) {
    fprintf(stderr, "netpolc lab: cannot return to the original network namespace: %s\n",
            strerror(errno));
    abort();
  }
}

bool create_named_netns(const std::vector<std::string>& names, std::string* error) {
  std::string script;
  for (const std::string& name : names) script += "netns add " + name + "\n";
  CommandResult r = run_command({{"ip", "-batch", "-"}, script, -1});
  if (!r.ok) *error = "ip netns add failed: " + r.output;
  return r.ok;
}

void delete_named_netns(const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    std::string path = netns_path(name);
    umount2(path.c_str(), MNT_DETACH);
    unlink(path.c_str());
  }
}

bool write_sysctls(int netns_fd, const std::vector<std::pair<std::string, std::string>>& values,
                   std::string* error) {
  // /proc/sys/net shows the namespace of the thread that opens the file.
  ScopedNetns in(netns_fd);
  if (!in.ok()) {
    *error = in.error();
    return false;
  }
  for (const auto& [key, value] : values) {
    std::string path = "/proc/sys/" + key;
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      *error = "cannot open " + path + ": " + strerror(errno);
      return false;
    }
    ssize_t n = write(fd, value.data(), value.size());
    int saved = errno;
    close(fd);
    if (n != ssize_t(value.size())) {
      *error = "cannot write " + value + " to " + path + ": " + strerror(saved);
      return false;
    }
  }
  return true;
}

}  // namespace netpolc::lab
