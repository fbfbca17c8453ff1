#include "harness/config/config_presets.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>

namespace harness {
namespace fs = std::filesystem;

fs::path harness_home() {
  if (const char* home = std::getenv("HARNESS_HOME"); home && *home) return home;
  return HARNESS_SOURCE_DIR;
}

fs::path preset_dir(PresetKind kind) {
  return harness_home() / (kind == PresetKind::kRunner ? "runners" : "strategies");
}

std::optional<fs::path> find_preset(PresetKind kind, const std::string& name) {
  // A name, not a path: "../x" or "a/b" must not reach files outside the presets folder.
  if (name.empty() || name.find('/') != std::string::npos || name.starts_with(".")) return std::nullopt;
  fs::path file = preset_dir(kind) / (name + ".yaml");
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  return file;
}

std::vector<std::string> list_presets(PresetKind kind) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(preset_dir(kind), ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".yaml" && it->is_regular_file(ec)) names.push_back(it->path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace harness
