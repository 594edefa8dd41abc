#include "backends/apply_state.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "lab/netns.h"

namespace netpolc::nl {

uint64_t structure_hash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string state_path(const std::string& dir, const std::string& netns, const std::string& table,
                       std::string* error) {
  std::string file = netns.empty() ? "/proc/thread-self/ns/net" : lab::netns_path(netns);
  struct stat st {};
  if (stat(file.c_str(), &st) != 0) {
    *error = "cannot identify the network namespace (" + file + ")";
    return {};
  }
  char id[64];
  std::snprintf(id, sizeof id, "netns-%ju-%ju", uintmax_t(st.st_dev), uintmax_t(st.st_ino));
  return dir + "/" + id + "/" + table + ".state";
}

std::optional<ApplyState> load_state(const std::string& path) {
  std::ifstream f(path);
  std::string k1, k2;
  ApplyState s;
  if (!(f >> k1 >> std::hex >> s.ruleset >> k2 >> s.kernel) || k1 != "ruleset" || k2 != "kernel") return std::nullopt;
  return s;
}

bool save_state(const std::string& path, const ApplyState& state, std::string* error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << "ruleset " << std::hex << state.ruleset << "\nkernel " << state.kernel << "\n";
    if (!f.flush()) {
      *error = "cannot write " + tmp;
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    *error = "cannot write " + path + ": " + ec.message();
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

void forget_state(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

}  // namespace netpolc::nl
