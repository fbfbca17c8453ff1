// Paths inside a run directory (see ARCHITECTURE.md): one place that knows the layout.
#pragma once

#include <string>

#include <fmt/format.h>

namespace harness {

struct RunDir {
  std::string root;
  std::string config() const { return root + "/config.yaml"; }
  std::string store() const { return root + "/run.db"; }
  std::string observations() const { return root + "/observations.md"; }
  std::string generation(int g) const { return fmt::format("{}/gen-{:03}", root, g); }
  // attempt > 1 gets its own folder so an interrupted attempt's files stay as they were.
  std::string agent(int g, int slot, int attempt) const {
    return attempt <= 1 ? fmt::format("{}/agent-{:02}", generation(g), slot)
                        : fmt::format("{}/agent-{:02}.attempt{}", generation(g), slot, attempt);
  }
  // Relative form for records and raw_inputs (the run dir can be moved).
  std::string relative(const std::string& path) const {
    return path.rfind(root + "/", 0) == 0 ? path.substr(root.size() + 1) : path;
  }
};

inline std::string agent_id(int generation, int slot) { return fmt::format("g{:02}-a{:02}", generation, slot); }

}  // namespace harness
