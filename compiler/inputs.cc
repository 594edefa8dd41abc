#include "compiler/inputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace netpolc {

namespace fs = std::filesystem;

static bool is_manifest(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

enum class ReadResult { Ok, Unreadable, TooLarge };

// Reads at most `max_bytes` of a stream (a file, a pipe, standard input).
static ReadResult read_capped(std::istream& in, size_t max_bytes, std::string& out) {
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    size_t n = size_t(in.gcount());
    if (n > max_bytes - out.size()) return ReadResult::TooLarge;
    out.append(buf, n);
  }
  return in.bad() ? ReadResult::Unreadable : ReadResult::Ok;
}

// Room past the end of a text for readers that read ahead (simdjson's
// SIMDJSON_PADDING), so that they need no copy of it.
constexpr size_t kReadAhead = 64;

static ReadResult read_file(const std::string& path, size_t max_bytes, std::string& out) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    size_t size = fs::file_size(path, ec);
    if (!ec && size > max_bytes) return ReadResult::TooLarge;
    if (!ec) out.reserve(size + kReadAhead);
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return ReadResult::Unreadable;
  return read_capped(f, max_bytes, out);
}

std::vector<InputFile> read_inputs(const std::vector<std::string>& paths, Diagnostics& diags,
                                   SourceFiles& sources, size_t max_bytes) {
  std::vector<InputFile> out;
  size_t used = 0;
  // Reads one input into the run, or reports why it cannot.
  auto add = [&](const std::string& name, ReadResult result, std::string text) {
    if (result == ReadResult::Unreadable) {
      diags.error({name}, "", "cannot read file");
    } else if (result == ReadResult::TooLarge) {
      diags.error({name}, "",
                  "input too large: a run reads at most " + std::to_string(kMaxInputBytes >> 20) +
                      " MiB of input, every file together");
    } else {
      used += text.size();
      SharedText shared(std::move(text));
      sources.add(name, shared);
      out.push_back({name, shared});
    }
  };
  for (const auto& path : paths) {
    std::string text;
    if (path == "-") {
      ReadResult r = read_capped(std::cin, max_bytes - used, text);
      add("<stdin>", r, std::move(text));
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && is_manifest(it->path())) files.push_back(it->path().string());
      }
      if (ec) diags.error({path}, "", "cannot read directory: " + ec.message());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        std::string file_text;
        ReadResult r = read_file(f, max_bytes - used, file_text);
        add(f, r, std::move(file_text));
      }
      continue;
    }
    if (!fs::exists(path, ec)) {
      diags.error({path}, "", "no such file or directory");
      continue;
    }
    ReadResult r = read_file(path, max_bytes - used, text);
    add(path, r, std::move(text));
  }
  return out;
}

}  // namespace netpolc
