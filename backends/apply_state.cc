#include "backends/apply_state.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lab/netns.h"

namespace netpolc::nl {

namespace {

constexpr char kMagic[] = "netpolc-apply-state 1";

const char* family_word(Family f) { return f == Family::V4 ? "v4" : "v6"; }

const char* shape_word(nft::SetKind k) {
  switch (k) {
    case nft::SetKind::Ranges: return "interval";
    case nft::SetKind::Addresses: return "addresses";
    case nft::SetKind::AddrPorts: return "ports";
  }
  return "interval";
}

std::optional<nft::SetKind> parse_shape(const std::string& s) {
  for (auto k : {nft::SetKind::Ranges, nft::SetKind::Addresses, nft::SetKind::AddrPorts})
    if (s == shape_word(k)) return k;
  return std::nullopt;
}

std::optional<Family> parse_family(const std::string& s) {
  if (s == "v4") return Family::V4;
  if (s == "v6") return Family::V6;
  return std::nullopt;
}

std::optional<IpAddr> parse_in(const std::string& s, Family f) {
  auto ip = parse_ip(s);
  if (!ip || ip->family != f) return std::nullopt;
  return ip;
}

}  // namespace

uint64_t structure_hash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

uint32_t generation_after(uint32_t gen) { return gen + 1 == 0 ? 1 : gen + 1; }

std::string state_path(const std::string& dir, const std::string& netns, const std::string& table, std::string* error) {
  std::string file = netns.empty() ? "/proc/thread-self/ns/net" : lab::netns_path(netns);
  struct stat st {};
  if (stat(file.c_str(), &st) != 0) {
    *error = "cannot identify the network namespace (" + file + ")";
    return {};
  }
  char id[64];
  std::snprintf(id, sizeof id, "netns-%ju-%ju", uintmax_t(st.st_dev), uintmax_t(st.st_ino));
  std::string name = table;  // a table name is any string; a file name is not
  for (char& c : name)
    if (c == '/' || c == '\0') c = '_';
  if (name.empty() || name[0] == '.') name = "_" + name;
  return dir + "/" + id + "/" + name + ".state";
}

// netpolc-apply-state 1
// ruleset HEX kernel HEX generation N
// set NAME v4 interval COUNT      then COUNT lines: FIRST LAST
// set NAME v4 addresses COUNT     then COUNT lines: ADDR
// set NAME v6 ports COUNT         then COUNT lines: ADDR PROTO PORT
// map NAME v4 COUNT               then COUNT lines: ADDR CHAIN COMMENT...
std::string format_state(const ApplyState& st) {
  std::ostringstream out;
  out << kMagic << "\nruleset " << std::hex << st.ruleset << " kernel " << st.kernel << std::dec << " generation "
      << st.generation << "\n";
  for (const auto& s : st.sets) {
    out << "set " << s.name << " " << family_word(s.family) << " " << shape_word(s.kind) << " " << s.size() << "\n";
    for (const auto& r : s.ranges) {
      out << format_ip({s.family, r.lo});
      if (s.kind == nft::SetKind::Ranges) out << " " << format_ip({s.family, r.hi});
      out << "\n";
    }
    for (const auto& a : s.addr_ports) out << format_ip(a.addr) << " " << int(a.protocol) << " " << a.port << "\n";
  }
  for (const auto& m : st.maps) {
    out << "map " << m.name << " " << family_word(m.family) << " " << m.entries.size() << "\n";
    for (const auto& e : m.entries) out << format_ip(e.addr) << " " << e.chain << " " << e.comment << "\n";
  }
  return out.str();
}

std::optional<ApplyState> parse_state(const std::string& text) {
  std::istringstream in(text);
  std::string line, word;
  ApplyState st;
  if (!std::getline(in, line) || line != kMagic) return std::nullopt;
  std::string k1, k2, k3;
  if (!std::getline(in, line)) return std::nullopt;
  std::istringstream head(line);
  if (!(head >> k1 >> std::hex >> st.ruleset >> k2 >> st.kernel >> std::dec >> k3 >> st.generation) ||
      k1 != "ruleset" || k2 != "kernel" || k3 != "generation")
    return std::nullopt;
  while (std::getline(in, line)) {
    std::istringstream obj(line);
    std::string kind, name, fam, shape;
    size_t count = 0;
    obj >> kind >> name >> fam;
    auto family = parse_family(fam);
    if (!family) return std::nullopt;
    std::optional<nft::SetKind> set_kind = kind == "set" && (obj >> shape >> count) ? parse_shape(shape) : std::nullopt;
    if (set_kind) {
      nft::NamedSet s{name, *family, *set_kind, {}, {}};
      for (size_t i = 0; i < count && std::getline(in, line); ++i) {
        std::istringstream e(line);
        std::string a, b;
        int proto = 0;
        uint32_t port = 0;
        if (s.kind == nft::SetKind::Addresses) {
          auto addr = (e >> a) ? parse_in(a, *family) : std::nullopt;
          if (!addr) return std::nullopt;
          s.ranges.push_back({addr->value, addr->value});
        } else if (s.kind == nft::SetKind::Ranges) {
          auto lo = (e >> a >> b) ? parse_in(a, *family) : std::nullopt;
          auto hi = lo ? parse_in(b, *family) : std::nullopt;
          if (!hi) return std::nullopt;
          s.ranges.push_back({lo->value, hi->value});
        } else {
          auto addr = (e >> a >> proto >> port) ? parse_in(a, *family) : std::nullopt;
          if (!addr || proto < 0 || proto > 2 || port > 65535) return std::nullopt;
          s.addr_ports.push_back({*addr, Protocol(proto), uint16_t(port)});
        }
      }
      if (s.size() != count) return std::nullopt;
      st.sets.push_back(std::move(s));
    } else if (kind == "map" && (obj >> count)) {
      nft::VerdictMap m{name, *family, {}};
      for (size_t i = 0; i < count && std::getline(in, line); ++i) {
        std::istringstream e(line);
        std::string a, chain;
        auto addr = (e >> a >> chain) ? parse_in(a, *family) : std::nullopt;
        if (!addr) return std::nullopt;
        std::string comment;
        std::getline(e >> std::ws, comment);
        m.entries.push_back({*addr, comment, chain});
      }
      if (m.entries.size() != count) return std::nullopt;
      st.maps.push_back(std::move(m));
    } else {
      return std::nullopt;
    }
  }
  return st;
}

std::optional<ApplyState> load_state(const std::string& path) {
  std::ifstream f(path);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_state(ss.str());
}

bool save_state(const std::string& path, const ApplyState& state, std::string* error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << format_state(state);
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
