// Helpers for the Claude decoder tests: a temporary trace directory, fixture paths, and one-value SQL queries
// over the run store the import wrote. Not thread-safe.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "trace/import.h"
#include "trace/store_internal.h"
#include "trace/store.h"

namespace claude_test {

inline std::string fixture(const std::string& relative) {
  return std::string(HARNESS_FIXTURES) + "/" + relative;
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "claude-test-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `lines` (each followed by '\n') to a file in the directory and returns its path.
  std::string write(const std::string& name, const std::vector<std::string>& lines) const {
    std::ofstream out(file(name), std::ios::binary);
    for (const auto& l : lines) out << l << '\n';
    return file(name);
  }

 private:
  std::string path_;
};

inline std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The first column of the first row of `sql` (with `?` bound to `args` in order).
inline int64_t query_int(trace::Store& store, const std::string& sql,
                         std::initializer_list<std::string> args = {}) {
  trace::Statement st(trace::internal::db(store), sql);
  int i = 1;
  for (const auto& a : args) st.bind(i++, a);
  return st.step() ? st.int64(0) : -1;
}
inline double query_real(trace::Store& store, const std::string& sql,
                         std::initializer_list<std::string> args = {}) {
  trace::Statement st(trace::internal::db(store), sql);
  int i = 1;
  for (const auto& a : args) st.bind(i++, a);
  return st.step() ? st.real(0) : -1;
}
inline std::string query_text(trace::Store& store, const std::string& sql,
                              std::initializer_list<std::string> args = {}) {
  trace::Statement st(trace::internal::db(store), sql);
  int i = 1;
  for (const auto& a : args) st.bind(i++, a);
  return st.step() ? st.text(0) : "<no row>";
}

}  // namespace claude_test
