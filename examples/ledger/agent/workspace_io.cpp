#include "workspace_io.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace demo {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxFiles = 200;
constexpr size_t kMaxCommandOutput = 1 << 20;  // keep the head and tail beyond this

bool is_text_source(const fs::path& p) {
  static const std::vector<std::string> exts = {".h", ".hpp", ".hh", ".c", ".cc", ".cpp", ".cxx", ".md",
                                                ".txt", ".sh", ".py", ".mk", ".cmake", ".yaml", ".yml"};
  std::string name = p.filename().string();
  if (name == "Makefile" || name == "CMakeLists.txt") return true;
  return std::find(exts.begin(), exts.end(), p.extension().string()) != exts.end();
}

}  // namespace

std::vector<std::string> list_source_files(const std::string& root) {
  std::vector<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (it->is_directory(ec)) {
      if (name.starts_with(".") || name == "build" || name == "node_modules") it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec) || !is_text_source(p)) continue;
    files.push_back(fs::relative(p, root, ec).generic_string());
    if (files.size() >= kMaxFiles) break;
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::optional<std::string> read_text(const std::string& path, size_t max_bytes) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec || size > max_bytes) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

CommandResult run_command(const std::string& command, const std::string& cwd, int timeout_s) {
  CommandResult result;
  std::string line = "cd " + shell_quote(cwd) + " && timeout -k 5 " + std::to_string(timeout_s) + " /bin/sh -c " +
                     shell_quote(command) + " 2>&1 </dev/null";
  std::FILE* pipe = popen(line.c_str(), "r");
  if (!pipe) return result;
  result.started = true;
  char buffer[4096];
  size_t n;
  std::string tail;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    if (result.output.size() < kMaxCommandOutput / 2) {
      result.output.append(buffer, n);
    } else {
      tail.append(buffer, n);  // bounded: only the last half is kept
      if (tail.size() > kMaxCommandOutput) tail.erase(0, tail.size() - kMaxCommandOutput / 2);
    }
  }
  if (!tail.empty()) result.output += "\n…\n" + tail;
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return result;
}

}  // namespace demo
