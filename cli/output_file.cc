#include "cli/output_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netpolc {

namespace {

// Holds back the signals that end a run by default, for its lifetime.
class SignalHold {
 public:
  SignalHold() {
    sigset_t hold;
    sigemptyset(&hold);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&hold, sig);
    pthread_sigmask(SIG_BLOCK, &hold, &saved_);
  }
  ~SignalHold() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  SignalHold(const SignalHold&) = delete;
  SignalHold& operator=(const SignalHold&) = delete;

 private:
  sigset_t saved_;
};

// A file descriptor, closed when it goes.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() may be the first to see.
  bool close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

std::string why(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(size_t(n));
  }
  return true;
}

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The temporary file beside `path`, created exclusively, with the mode of
// the file it replaces (or the default one, 0666 less the umask).
std::optional<std::string> create_temporary(const std::string& path, std::string& tmp, int& fd) {
  struct stat old;
  bool replacing = ::stat(path.c_str(), &old) == 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    tmp = path + ".netpolc-tmp-" + std::to_string(::getpid());
    if (attempt > 0) tmp += "-" + std::to_string(attempt);  // a leftover of a killed run
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      if (replacing) (void)::fchmod(fd, old.st_mode & 07777);
      return std::nullopt;
    }
    if (errno != EEXIST) break;
  }
  return why("cannot create a temporary file beside it");
}

std::optional<std::string> write_special(const std::string& path, std::string_view text) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return why("cannot open");
  if (!write_all(fd.get(), text)) return why("cannot write");
  if (!fd.close()) return why("cannot write");
  return std::nullopt;
}

}  // namespace

std::optional<std::string> write_file_atomically(const std::string& path, std::string_view text) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    return write_special(path, text);

  SignalHold hold;
  std::string tmp;
  int raw_fd = -1;
  if (auto error = create_temporary(path, tmp, raw_fd)) return error;
  Fd fd(raw_fd);
  std::optional<std::string> error;
  if (!write_all(fd.get(), text)) error = why("cannot write");
  else if (::fsync(fd.get()) != 0) error = why("cannot flush to disk");
  else if (!fd.close()) error = why("cannot write");
  else if (::rename(tmp.c_str(), path.c_str()) != 0) error = why("cannot replace it");
  if (error) {
    ::unlink(tmp.c_str());
    return error;
  }
  // The rename itself is durable once the directory is.
  Fd dir(::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) (void)::fsync(dir.get());
  return std::nullopt;
}

}  // namespace netpolc
