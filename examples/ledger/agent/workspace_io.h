// The demo agent's hands: listing, reading and writing files of its workspace, and running a shell command there.
// Plain functions over the file system; thread-safe as far as the files touched are not shared.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace demo {

// Relative paths of the text files in `root` worth reading (sources, docs, build files), sorted; skips .git,
// build output and hidden folders.
std::vector<std::string> list_source_files(const std::string& root);
// nullopt when the file cannot be read or exceeds `max_bytes`.
std::optional<std::string> read_text(const std::string& path, size_t max_bytes = 256 * 1024);
bool write_text(const std::string& path, const std::string& text);

struct CommandResult {
  int exit_code = -1;    // 124 when the timeout struck (coreutils timeout)
  std::string output;    // stdout and stderr together
  bool started = false;  // false when no shell could be started
};
// Runs `command` with /bin/sh in `cwd`, killed after `timeout_s`.
CommandResult run_command(const std::string& command, const std::string& cwd, int timeout_s);

std::string shell_quote(const std::string& s);

}  // namespace demo
