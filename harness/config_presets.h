// Where runner and strategy presets live: <home>/runners/<name>.yaml and <home>/strategies/<name>.yaml, with home
// = $HARNESS_HOME, else the source tree the harness was built from. Reads the environment and the disk; thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace harness {

enum class PresetKind { kRunner, kStrategy };

std::filesystem::path harness_home();
std::filesystem::path preset_dir(PresetKind kind);
// The preset's file, when `name` is a plain name and the file exists.
std::optional<std::filesystem::path> find_preset(PresetKind kind, const std::string& name);
// Names of the presets present, sorted.
std::vector<std::string> list_presets(PresetKind kind);

}  // namespace harness
