#include "lab/cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace netpolc::lab {

namespace {

constexpr const char kNetnsDir[] = "/run/netns";
constexpr int kSignals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGABRT};
constexpr int kSignalCount = sizeof kSignals / sizeof kSignals[0];

// The registry (see cleanup.h). Written under g_mutex by install_cleanup(),
// only read by the handlers, which never run before it is filled in.
std::mutex g_mutex;
pid_t g_owner = 0;        // the process that installed the handlers
char g_prefix[32] = {};   // "npl<pid>-"
struct sigaction g_previous[kSignalCount];

// Linux's getdents64 record; glibc's wrapper is not guaranteed async-signal-safe.
struct LinuxDirent64 {
  ino64_t d_ino;
  off64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

volatile sig_atomic_t g_in_handler = 0;

void on_signal(int sig, siginfo_t* info, void* context) {
  int saved_errno = errno;
  if (getpid() == g_owner) remove_netns_with_prefix(g_prefix);
  int i = 0;
  while (i < kSignalCount && kSignals[i] != sig) ++i;
  const struct sigaction& prev = g_previous[i];
  // Hand over to the previous handler (doctest's reporter, say: it restores
  // its own predecessor and re-raises), unless it handed over to us already.
  if (!g_in_handler && i < kSignalCount) {
    g_in_handler = 1;
    if (prev.sa_flags & SA_SIGINFO) {
      prev.sa_sigaction(sig, info, context);
      g_in_handler = 0;
      errno = saved_errno;
      return;
    }
    if (prev.sa_handler == SIG_IGN) {
      g_in_handler = 0;
      errno = saved_errno;
      return;
    }
    if (prev.sa_handler != SIG_DFL) {
      prev.sa_handler(sig);
      g_in_handler = 0;
      errno = saved_errno;
      return;
    }
  }
  // Die of the same signal: default action, unblock, re-raise.
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
  errno = saved_errno;
}

void at_exit() {
  if (getpid() == g_owner) remove_netns_with_prefix(g_prefix);
}

}  // namespace

std::string netns_prefix() { return "npl" + std::to_string(getpid()) + "-"; }

std::string next_lab_prefix() {
  static std::atomic<unsigned> labs{0};
  return netns_prefix() + std::to_string(labs++) + "-";
}

int remove_netns_with_prefix(const char* prefix) {
  size_t prefix_len = strlen(prefix);
  if (prefix_len == 0) return 0;  // never "everything"
  int dir = open(kNetnsDir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  int removed = 0;
  alignas(LinuxDirent64) char buf[4096];
  // Entries are removed while the directory is read; reading again from the
  // start until nothing matches is simpler than reasoning about offsets.
  for (bool again = true; again;) {
    again = false;
    lseek(dir, 0, SEEK_SET);
    for (;;) {
      long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<LinuxDirent64*>(buf + off);
        off += d->d_reclen;
        if (strncmp(d->d_name, prefix, prefix_len) != 0) continue;
        char path[sizeof kNetnsDir + 256];
        size_t dir_len = sizeof kNetnsDir - 1;
        size_t name_len = strnlen(d->d_name, 255);
        memcpy(path, kNetnsDir, dir_len);
        path[dir_len] = '/';
        memcpy(path + dir_len + 1, d->d_name, name_len);
        path[dir_len + 1 + name_len] = '\0';
        umount2(path, MNT_DETACH);
        if (unlink(path) == 0) {
          ++removed;
          again = true;
        }
      }
    }
  }
  close(dir);
  return removed;
}

int remove_stale_labs() {
  std::vector<std::string> dead;
  if (DIR* dir = opendir(kNetnsDir)) {
    while (dirent* d = readdir(dir)) {
      // "npl<pid>-...": the pid, digits only.
      const char* name = d->d_name;
      if (strncmp(name, "npl", 3) != 0) continue;
      const char* digits = name + 3;
      const char* end = digits;
      while (*end >= '0' && *end <= '9') ++end;
      if (end == digits || *end != '-' || end - digits > 9) continue;
      pid_t pid = pid_t(std::strtol(digits, nullptr, 10));
      if (pid <= 0 || pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) continue;
      dead.push_back(std::string(name, size_t(end + 1 - name)));
    }
    closedir(dir);
  }
  std::sort(dead.begin(), dead.end());
  dead.erase(std::unique(dead.begin(), dead.end()), dead.end());
  int removed = 0;
  for (const auto& prefix : dead) removed += remove_netns_with_prefix(prefix.c_str());
  return removed;
}

void install_cleanup() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_owner != getpid()) {
    // First call in this process (or in a forked child that makes its own labs).
    std::string prefix = netns_prefix();
    snprintf(g_prefix, sizeof g_prefix, "%s", prefix.c_str());
    for (auto& p : g_previous) {
      memset(&p, 0, sizeof p);
      p.sa_handler = SIG_DFL;
    }
    if (g_owner == 0) atexit(at_exit);
    g_owner = getpid();
  }
  for (int i = 0; i < kSignalCount; ++i) {
    struct sigaction current;
    if (sigaction(kSignals[i], nullptr, &current) != 0) continue;
    if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_signal) continue;
    if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) continue;  // nohup
    struct sigaction mine;
    memset(&mine, 0, sizeof mine);
    mine.sa_sigaction = on_signal;
    sigfillset(&mine.sa_mask);  // one cleanup at a time
    mine.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(kSignals[i], &mine, &g_previous[i]);
  }
}

}  // namespace netpolc::lab
