// What the tests of the built-in examples (examples/*) share: a shell, the example's repository made by its own
// prepare.sh in a temporary folder, fresh clones of it as workspaces, and the demo agent run on one.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace example_test {

namespace fs = std::filesystem;

struct Shell {
  int exit_code = -1;
  std::string output;
};

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `command` with /bin/sh, stderr folded into the output.
inline Shell sh(const std::string& command) {
  Shell r;
  std::FILE* p = popen(("(" + command + ") 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline void write_file(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// One example's repository in a folder of its own (removed at the end); `prepared` is what prepare.sh said.
class ExampleRepo {
 public:
  explicit ExampleRepo(const std::string& name)
      : dir_(std::string(HARNESS_SOURCE_DIR) + "/examples/" + name),
        root_(fs::temp_directory_path() / (name + "-example-" + std::to_string(::getpid()))) {
    fs::create_directories(root_);
    prepared_ = sh(dir_ + "/prepare.sh " + quote(repo().string()));
  }
  ~ExampleRepo() { fs::remove_all(root_); }

  const std::string& dir() const { return dir_; }
  const fs::path& root() const { return root_; }
  fs::path repo() const { return root_ / "repo"; }
  const Shell& prepared() const { return prepared_; }

  // A fresh clone of the repository, as a workspace would be.
  fs::path workspace(const std::string& name) const {
    fs::path ws = root_ / name;
    fs::remove_all(ws);
    Shell clone = sh("git clone -q " + quote(repo().string()) + " " + quote(ws.string()));
    EXPECT_EQ(clone.exit_code, 0) << clone.output;
    return ws;
  }
  static void apply_patch(const fs::path& ws, const std::string& patch) {
    write_file(ws / "fix.patch", patch);
    Shell r = sh("cd " + quote(ws.string()) + " && git apply fix.patch && rm fix.patch");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static Shell make_test(const fs::path& ws) { return sh("cd " + quote(ws.string()) + " && make -s test"); }
  // The demo agent on `ws` with `prompt` (its trace on the output, its stderr dropped).
  static Shell demo_agent(const fs::path& ws, const std::string& prompt, const std::string& strategy, int seed,
                          const std::string& extra = "") {
    fs::path prompt_file = ws.parent_path() / (ws.filename().string() + ".prompt.md");
    write_file(prompt_file, prompt);
    return sh(std::string(HARNESS_DEMO_AGENT) + " --prompt " + quote(prompt_file.string()) + " --workspace " +
              quote(ws.string()) + " --strategy " + strategy + " --seed " + std::to_string(seed) + " " + extra +
              " 2>/dev/null");
  }

 private:
  std::string dir_;
  fs::path root_;
  Shell prepared_;
};

}  // namespace example_test
