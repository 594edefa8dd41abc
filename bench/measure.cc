// Runs a command several times and prints the median wall time and the
// largest peak RSS of its runs:
//   measure RUNS COMMAND ARGS...
// Output: "median_s=0.123 min_s=0.120 max_rss_mb=45.6". The command's stdout
// goes to /dev/null; a failing run fails the measurement.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: measure RUNS COMMAND ARGS...\n");
    return 2;
  }
  int runs = std::atoi(argv[1]);
  std::vector<double> times;
  long max_rss_kb = 0;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    pid_t pid = fork();
    if (pid == 0) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      execvp(argv[2], argv + 2);
      _exit(127);
    }
    int status = 0;
    struct rusage ru {};
    wait4(pid, &status, 0, &ru);
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    max_rss_kb = std::max(max_rss_kb, ru.ru_maxrss);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "measure: %s failed\n", argv[2]);
      return 1;
    }
  }
  std::sort(times.begin(), times.end());
  std::printf("median_s=%.3f min_s=%.3f max_rss_mb=%.1f\n", times[times.size() / 2], times.front(),
              double(max_rss_kb) / 1024.0);
  return 0;
}
