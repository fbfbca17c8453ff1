// Where the harness's own files live: runner and strategy presets (<home>/runners/<name>.yaml,
// <home>/strategies/<name>.yaml) and templates (<home>/templates), with home = $HARNESS_HOME, else the source tree
// the harness was built from. Reads the environment and the disk; thread-safe.
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
