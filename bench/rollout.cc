// The worked rollout of README.md, run for real: the seed scenario of NP-12
// (a default deny of all egress in namespace default) rolled out in a lab of
// network namespaces, each step a real `netpolc` command whose output is
// printed as it comes:
//   before    what the default deny would break (netpolc diff)
//   audit     netpolc apply --audit in the lab's node
//   observe   netpolc observe --output json > flows.json while the
//             application's traffic runs (default/test -> default/web 80/TCP,
//             DNS to kube-dns)
//   suggest   netpolc suggest --from-observed flows.json -o allow.yaml
//   enforce   netpolc apply with the suggestion, the traffic again (and what
//             the application never did), then netpolc verify
//
//   netpolc-bench-rollout NETPOLC      (from the source directory, as root)
//
// The commands run in a temporary directory (flows.json, allow.yaml, an empty
// no-policies/ and a link to fixtures/), removed at the end with the lab's
// namespaces; the lab's node namespace is shown as NODE.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "lab/lab.h"

using namespace netpolc;

namespace {

const char kSnapshot[] = "fixtures/clusters/seeds-lab.yaml";
const char kDeny[] = "fixtures/seeds/np12-default-deny-all-egress.yaml";

using Argv = std::vector<std::string>;

struct Started {
  pid_t pid = -1;
  int output = -1;  // its stderr, and its stdout unless redirected
};

// Prints "$ netpolc ..." (the lab's node namespace as NODE) and starts it
// (stdout to `stdout_file` unless empty).
Started start(const Argv& args, const std::string& stdout_file, const std::string& node) {
  std::string line = "$ netpolc";
  for (size_t i = 1; i < args.size(); ++i) line += " " + (args[i] == node ? std::string("NODE") : args[i]);
  if (!stdout_file.empty()) line += " > " + stdout_file;
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDERR_FILENO);
    int out = stdout_file.empty() ? pipefd[1] : open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0 || dup2(out, STDOUT_FILENO) < 0) _exit(127);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipefd[1]);
  return {pid, pipefd[0]};
}

// Prints its output, the lab's node namespace shown as NODE; its exit status.
int finish(const Started& c, const std::string& node) {
  std::string text;
  char buf[4096];
  for (ssize_t n; c.output >= 0 && (n = read(c.output, buf, sizeof buf)) > 0;) text.append(buf, size_t(n));
  if (c.output >= 0) close(c.output);
  for (size_t at; (at = text.find(node)) != std::string::npos;) text.replace(at, node.size(), "NODE");
  std::fwrite(text.data(), 1, text.size(), stdout);
  int status = 0;
  if (c.pid < 0 || waitpid(c.pid, &status, 0) < 0) return 127;
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  if (rc != 0) std::printf("(exit status %d)\n", rc);
  std::fflush(stdout);
  return rc;
}

int run(const Argv& args, const std::string& node) { return finish(start(args, "", node), node); }

void show_file(const std::string& path) {
  std::printf("$ cat %s\n", path.c_str());
  std::fflush(stdout);
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) std::fwrite(buf, 1, n, stdout);
  std::fclose(f);
}

// Runs the probes; one line each.
std::string probe(lab::Lab& lab, const std::vector<lab::Probe>& probes) {
  auto results = lab.probe(probes, std::chrono::milliseconds(500));
  std::string out;
  for (size_t i = 0; i < probes.size(); ++i) out += "# " + lab.describe(probes[i]) + ": " + results[i].detail + "\n";
  return out;
}

int rollout(lab::Lab& lab, const std::string& netpolc) {
  const std::string node = lab.node_netns();
  // Hosts: 0 default/test, 1 default/web, 2 kube-system/coredns-0, 3 198.51.100.10.
  const std::vector<lab::Probe> application = {
      {0, 1, Family::V4, lab::ProbeKind::TCP, 80},
      {0, 2, Family::V4, lab::ProbeKind::UDP, 53},
      {0, 2, Family::V4, lab::ProbeKind::TCP, 53},
  };
  std::vector<lab::Probe> never = {
      {0, 3, Family::V4, lab::ProbeKind::TCP, 80},
      {0, 3, Family::V4, lab::ProbeKind::ICMP, 0},
      {0, 2, Family::V4, lab::ProbeKind::TCP, 9153},
  };

  std::printf("## before: what the default deny would break (no-policies/ is empty: the cluster today)\n");
  run({netpolc, "diff", "-s", kSnapshot, "-p", "no-policies", "-p2", kDeny, "--no-compiled"}, node);

  std::printf("\n## audit: the default deny, enforcing nothing, reporting everything it would deny\n");
  if (run({netpolc, "apply", "-s", kSnapshot, "-p", kDeny, "--audit", "--netns", node}, node)) return 1;

  std::printf("\n## observe, while the application runs\n");
  Started observer =
      start({netpolc, "observe", "--netns", node, "-s", kSnapshot, "--duration", "3s", "--output", "json"}, "flows.json", node);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::string traffic = probe(lab, application);
  if (finish(observer, node)) return 1;
  std::printf("# the application's traffic meanwhile, probed in the lab:\n%s", traffic.c_str());
  show_file("flows.json");
  run({netpolc, "stats", "--netns", node}, node);

  std::printf("\n## suggest\n");
  if (run({netpolc, "suggest", "-s", kSnapshot, "-p", kDeny, "--from-observed", "flows.json", "-o", "allow.yaml"}, node))
    return 1;
  show_file("allow.yaml");

  std::printf("\n## enforce\n");
  if (run({netpolc, "apply", "-s", kSnapshot, "-p", kDeny, "-p", "allow.yaml", "--netns", node}, node)) return 1;
  std::vector<lab::Probe> all = application;
  all.insert(all.end(), never.begin(), never.end());
  std::printf("# the application's traffic, and what it never did, probed in the lab:\n%s", probe(lab, all).c_str());
  return run({netpolc, "verify", "-s", kSnapshot, "-p", kDeny, "-p", "allow.yaml"}, node);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: netpolc-bench-rollout NETPOLC   (from the source directory, as root)\n");
    return 2;
  }
  std::string netpolc = std::filesystem::absolute(argv[1]).string();
  std::string why;
  if (!lab::lab_supported(&why)) {
    std::fprintf(stderr, "netpolc-bench-rollout: needs network namespaces: %s\n", why.c_str());
    return 1;
  }
  lab::LabSpec spec;
  auto ip = [](const char* t) { return *parse_ip(t); };
  spec.hosts = {{"default/test", {ip("10.244.1.12"), ip("fd00::1:12")}},
                {"default/web", {ip("10.244.1.10"), ip("fd00::1:10")}},
                {"kube-system/coredns-0", {ip("10.244.0.10"), ip("fd00::10")}},
                {"198.51.100.10", {ip("198.51.100.10")}}};
  std::string error;
  auto lab = lab::Lab::create(spec, &error);
  if (!lab) {
    std::fprintf(stderr, "netpolc-bench-rollout: cannot build the lab: %s\n", error.c_str());
    return 1;
  }
  // The commands run in a temporary directory holding flows.json, allow.yaml,
  // an empty no-policies/ and fixtures/ (a link to the source's).
  const auto source = std::filesystem::current_path();
  char dir[] = "/tmp/netpolc-rollout-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  std::error_code ec;
  std::filesystem::create_directory(std::string(dir) + "/no-policies", ec);
  if (!ec) std::filesystem::create_directory_symlink(source / "fixtures", std::string(dir) + "/fixtures", ec);
  if (!ec) std::filesystem::current_path(dir, ec);
  int rc = ec ? 1 : rollout(*lab, netpolc);
  if (ec) std::fprintf(stderr, "netpolc-bench-rollout: %s: %s\n", dir, ec.message().c_str());
  std::filesystem::current_path(source, ec);
  std::filesystem::remove_all(dir);
  return rc;
}
