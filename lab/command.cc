#include "lab/command.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netpolc::lab {

namespace {

// One running child. Its stdin and stdout/stderr are Unix stream sockets
// rather than pipes, so that a child that exits without reading its input
// gives us EPIPE from send(MSG_NOSIGNAL) instead of a SIGPIPE.
struct Child {
  pid_t pid = -1;
  int in = -1;   // our end of its stdin
  int out = -1;  // our end of its stdout + stderr
  size_t written = 0;
  std::string start_error;
};

// Everything the child needs, prepared before fork: after fork only
// async-signal-safe calls are allowed.
void exec_child(int netns_fd, int in, int out, char* const* argv) {
  if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) {
    const char msg[] = "setns failed\n";
    (void)!write(out, msg, sizeof msg - 1);
    _exit(126);
  }
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(126);
  execvp(argv[0], argv);
  const char msg[] = "cannot execute ";
  (void)!write(2, msg, sizeof msg - 1);
  (void)!write(2, argv[0], strlen(argv[0]));
  (void)!write(2, ": ", 2);
  const char* why = strerror(errno);  // not async-signal-safe in theory; fine in glibc
  (void)!write(2, why, strlen(why));
  (void)!write(2, "\n", 1);
  _exit(127);
}

void start(const Command& command, Child* child) {
  if (command.argv.empty()) {
    child->start_error = "empty command";
    return;
  }
  int in[2], out[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) {
    child->start_error = std::string("socketpair: ") + strerror(errno);
    return;
  }
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out) != 0) {
    child->start_error = std::string("socketpair: ") + strerror(errno);
    close(in[0]);
    close(in[1]);
    return;
  }
  std::vector<char*> argv;
  for (const std::string& a : command.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) exec_child(command.netns_fd, in[1], out[1], argv.data());
  close(in[1]);
  close(out[1]);
  if (pid < 0) {
    child->start_error = std::string("fork: ") + strerror(errno);
    close(in[0]);
    close(out[0]);
    return;
  }
  child->pid = pid;
  child->in = in[0];
  child->out = out[0];
  fcntl(child->in, F_SETFL, O_NONBLOCK);
  if (command.stdin_text.empty()) {
    close(child->in);
    child->in = -1;
  }
}

// Feeds every child its input and collects its output until all outputs
// reach EOF.
void pump(const std::vector<Command>& commands, std::vector<Child>& children,
          std::vector<CommandResult>& results) {
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<size_t> owner;
    for (size_t i = 0; i < children.size(); ++i) {
      if (children[i].in >= 0) {
        fds.push_back({children[i].in, POLLOUT, 0});
        owner.push_back(i);
      }
      if (children[i].out >= 0) {
        fds.push_back({children[i].out, POLLIN, 0});
        owner.push_back(i);
      }
    }
    if (fds.empty()) return;
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Child& c = children[owner[k]];
      if (fds[k].fd == c.in) {
        const std::string& text = commands[owner[k]].stdin_text;
        ssize_t n = send(c.in, text.data() + c.written, text.size() - c.written, MSG_NOSIGNAL);
        if (n > 0) c.written += size_t(n);
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || c.written == text.size()) {
          close(c.in);  // EOF for the child, or it stopped reading
          c.in = -1;
        }
      } else {
        char buf[4096];
        ssize_t n = read(c.out, buf, sizeof buf);
        if (n > 0) {
          results[owner[k]].output.append(buf, size_t(n));
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
          close(c.out);
          c.out = -1;
        }
      }
    }
  }
}

}  // namespace

std::vector<CommandResult> run_commands(const std::vector<Command>& commands) {
  std::vector<Child> children(commands.size());
  std::vector<CommandResult> results(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) start(commands[i], &children[i]);
  pump(commands, children, results);
  for (size_t i = 0; i < commands.size(); ++i) {
    Child& c = children[i];
    CommandResult& r = results[i];
    if (c.pid < 0) {
      r.output = c.start_error;
      continue;
    }
    int status = 0;
    while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) {
      r.ok = WEXITSTATUS(status) == 0;
      if (!r.ok) r.output += "(exit status " + std::to_string(WEXITSTATUS(status)) + ")";
    } else if (WIFSIGNALED(status)) {
      r.output += "(killed by signal " + std::to_string(WTERMSIG(status)) + ")";
    }
  }
  return results;
}

CommandResult run_command(const Command& command) { return run_commands({command})[0]; }

std::string describe_argv(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

}  // namespace netpolc::lab
