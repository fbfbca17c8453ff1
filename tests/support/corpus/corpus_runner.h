// The malformed-input corpus runner (issue 18): runs a surface's check on every case in forked child
// processes, so that a crash (a signal, a sanitizer report, an escaped exception) or a hang ends one child,
// is counted against the case it happened on, and the run goes on from the next case in a new child. The
// parent never runs a case. A case's check says ok, error (a clear refusal the user sees) or failure (an
// unclear one: a 500, a wrong exception type, a changed pass-through body); cases tagged with a known bug
// (being fixed elsewhere) are counted apart and only run with HARNESS_CORPUS_KNOWN_BUGS=1. Not thread-safe:
// call from the test's main thread, with no other thread running (it forks).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace corpus {

struct Case {
  std::string name;       // the mutation and where: "truncate@1234", "wrong-type /message/usage -> string"
  std::string bytes;      // the input
  std::string known_bug;  // non-empty: a bug fixed elsewhere that this case shows (skipped unless asked for)
};

enum class Outcome : char { ok = 'o', error = 'e', failure = 'f', known = 'k' };

struct Verdict {
  Outcome outcome = Outcome::ok;
  std::string detail;  // for failures and known bugs: what was seen
};
inline Verdict ok() { return {Outcome::ok, ""}; }
inline Verdict error(std::string why = "") { return {Outcome::error, std::move(why)}; }
inline Verdict failure(std::string why) { return {Outcome::failure, std::move(why)}; }

struct Tally {
  std::string surface;
  int64_t inputs = 0, ok = 0, errors = 0, crashes = 0, hangs = 0, failures = 0;
  int64_t known = 0;                  // crashes, hangs or failures of cases tagged with a known bug
  int64_t known_skipped = 0;          // known-bug cases not run
  std::vector<std::string> problems;  // one line per crash, hang, failure (bounded)
  std::vector<std::string> known_seen;

  std::string summary() const {
    std::ostringstream s;
    s << "corpus: " << surface << " " << inputs << " inputs, " << crashes << " crashes, " << hangs
      << " hangs, " << errors << " errors";
    if (failures) s << ", " << failures << " unclear failures";
    if (known) s << ", " << known << " known-bug failures";
    if (known_skipped)
      s << " (" << known_skipped << " known-bug cases skipped; HARNESS_CORPUS_KNOWN_BUGS=1 runs them)";
    return s.str();
  }
  bool clean() const { return crashes == 0 && hangs == 0 && failures == 0; }
  void add_problem(std::string line) {
    if (problems.size() < 40) problems.push_back(std::move(line));
  }
};

// The check of one surface, made once in each child (it may start servers there), then called for each case.
using Check = std::function<Verdict(const Case&)>;
using MakeCheck = std::function<Check()>;

struct RunOptions {
  // A case that has not ended after this long is a hang (a bound for the run, never a timing assertion).
  int case_timeout_s = 60;
};

namespace detail {

inline bool write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w, n -= static_cast<size_t>(w);
  }
  return true;
}

// The child: runs cases [from, end) (known-bug ones skipped as the parent says), one record per case:
// u32 index, char outcome, u32 length, detail.
[[noreturn]] inline void child_main(int out_fd, const std::vector<Case>& cases,
                                    const std::vector<size_t>& order, size_t from,
                                    const MakeCheck& make_check) {
  int code = 0;
  try {
    Check check = make_check();
    for (size_t i = from; i < order.size(); ++i) {
      Verdict v = check(cases[order[i]]);
      uint32_t idx = static_cast<uint32_t>(i);
      uint32_t len = static_cast<uint32_t>(std::min<size_t>(v.detail.size(), 2000));
      char o = static_cast<char>(v.outcome);
      if (!write_all(out_fd, &idx, 4) || !write_all(out_fd, &o, 1) || !write_all(out_fd, &len, 4) ||
          !write_all(out_fd, v.detail.data(), len))
        break;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "corpus child: uncaught exception: %s\n", e.what());
    code = 3;
  }
  std::fflush(nullptr);
  ::_exit(code);  // not through gtest's or the sanitizers' exit path: the parent counts and reports
}

inline std::string head_of_file(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  std::string s(max, '\0');
  in.read(s.data(), static_cast<std::streamsize>(max));
  s.resize(static_cast<size_t>(in.gcount()));
  return s;
}

}  // namespace detail

inline bool known_bugs_wanted() {
  const char* v = std::getenv("HARNESS_CORPUS_KNOWN_BUGS");
  return v && *v && std::string(v) != "0";
}

// Runs every case; returns the tally. Each child's stderr goes to a file; a crash quotes the head of it.
inline Tally run_cases(const std::string& surface, const std::vector<Case>& cases,
                       const MakeCheck& make_check, RunOptions options = {}) {
  Tally t;
  t.surface = surface;
  if (const char* s = std::getenv("HARNESS_CORPUS_CASE_TIMEOUT")) options.case_timeout_s = std::atoi(s);
  std::vector<size_t> order;
  bool with_known = known_bugs_wanted();
  for (size_t i = 0; i < cases.size(); ++i) {
    if (!cases[i].known_bug.empty() && !with_known) {
      ++t.known_skipped;
      continue;
    }
    order.push_back(i);
  }
  t.inputs = static_cast<int64_t>(order.size());
  std::string err_path =
      (std::filesystem::temp_directory_path() / ("corpus-stderr-" + std::to_string(::getpid()))).string();
  // A failure, crash or hang of case i: counted (apart when the case shows a known bug) and quoted.
  auto note = [&](size_t i, int64_t& counter, const std::string& what) {
    const Case& c = cases[order[i]];
    std::string line = surface + ": case '" + c.name + "': " + what;
    if (!c.known_bug.empty()) {
      ++t.known;
      t.known_seen.push_back(line.substr(0, 300) + "  [known bug: " + c.known_bug + "]");
      return;
    }
    ++counter;
    t.add_problem(line);
  };
  size_t next = 0;
  while (next < order.size()) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::close(fds[0]);
      int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (err >= 0) ::dup2(err, 2), ::close(err);
      detail::child_main(fds[1], cases, order, next, make_check);
    }
    ::close(fds[1]);
    std::string buf;
    bool hung = false;
    while (true) {
      pollfd p{fds[0], POLLIN, 0};
      int r = ::poll(&p, 1, options.case_timeout_s * 1000);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {
        hung = true;
        break;
      }
      char chunk[65536];
      ssize_t n = ::read(fds[0], chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      // Whole records: tally them.
      size_t at = 0;
      while (buf.size() - at >= 9) {
        uint32_t idx, len;
        std::memcpy(&idx, buf.data() + at, 4);
        std::memcpy(&len, buf.data() + at + 5, 4);
        if (buf.size() - at < 9 + len) break;
        auto o = static_cast<Outcome>(buf[at + 4]);
        std::string d = buf.substr(at + 9, len);
        at += 9 + len;
        next = idx + 1;
        switch (o) {
          case Outcome::ok:
            ++t.ok;
            break;
          case Outcome::error:
            ++t.errors;
            break;
          case Outcome::known:
            ++t.known;
            t.known_seen.push_back(surface + ": case '" + cases[order[idx]].name + "': " + d);
            break;
          default:
            note(idx, t.failures, "unclear failure: " + d);
            break;
        }
      }
      buf.erase(0, at);
    }
    ::close(fds[0]);
    if (hung) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (next >= order.size() && !hung && WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
    if (next >= order.size() && !hung) {  // every case reported, then the child failed on its way out
      t.add_problem(surface +
                    ": the child failed after its last case: " + detail::head_of_file(err_path, 1500));
      ++t.crashes;
      break;
    }
    if (hung) {
      note(next, t.hangs, "no end after " + std::to_string(options.case_timeout_s) + " s (hang)");
    } else {
      std::string why = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                            : "exit code " + std::to_string(WEXITSTATUS(status));
      note(next, t.crashes, "crash (" + why + "): " + detail::head_of_file(err_path, 1500));
    }
    ++next;
  }
  std::error_code ec;
  std::filesystem::remove(err_path, ec);
  return t;
}

// The summary line on stdout, then every problem and known-bug failure seen.
inline void print(const Tally& t) {
  std::printf("%s\n", t.summary().c_str());
  for (const auto& p : t.problems) std::printf("  %s\n", p.c_str());
  for (const auto& k : t.known_seen) std::printf("  %s\n", k.c_str());
  std::fflush(stdout);
}

}  // namespace corpus
