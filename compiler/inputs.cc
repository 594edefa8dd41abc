#include "compiler/inputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace netpolc {

namespace fs = std::filesystem;

static bool is_manifest(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

static bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return !f.bad();
}

std::vector<InputFile> read_inputs(const std::vector<std::string>& paths, Diagnostics& diags,
                                   SourceFiles& sources) {
  std::vector<InputFile> out;
  auto add = [&](const std::string& name, std::string text) {
    sources.add(name, text);
    out.push_back({name, std::move(text)});
  };
  for (const auto& path : paths) {
    if (path == "-") {
      add("<stdin>", std::string(std::istreambuf_iterator<char>(std::cin), {}));
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
        std::string text;
        if (read_file(f, text)) add(f, std::move(text));
        else diags.error({f}, "", "cannot read file");
      }
      continue;
    }
    std::string text;
    if (!fs::exists(path, ec)) diags.error({path}, "", "no such file or directory");
    else if (read_file(path, text)) add(path, std::move(text));
    else diags.error({path}, "", "cannot read file");
  }
  return out;
}

}  // namespace netpolc
