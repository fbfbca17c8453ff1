// The demo agent's debugging loop: read the workspace, list candidate edits, then try them one test run at a time,
// keeping an edit only when the real test output shows a failing check now passing, and reverting the rest.
// What earlier generations found (from the prompt) decides what is tried first and what is skipped; the strategy
// profile and the seed decide the rest of the order. Not thread-safe; one Search per agent process.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "candidates.h"
#include "knowledge.h"
#include "trace_writer.h"

namespace demo {

// How a strategy searches (defaults per strategy name, each overridable with --param key=value).
struct Profile {
  int budget_steps = 4;            // test runs allowed, the baseline run included
  bool reproduce_first = false;    // run the test before editing anything
  std::string order = "random";    // random | smallest (smallest edits first)
  std::string read_first;          // "" | changelog (recent changes first) | tests (the test and what it includes)
  std::vector<std::string> focus;        // path fragments whose edits are tried first
  std::vector<std::string> focus_kinds;  // candidate kinds tried first (lock, yield, ...)
  std::string test_command;        // default: the prompt's verify command, else "make test"
  int test_timeout_s = 300;
};

// `params` are the --param pairs; unknown keys are ignored, bad values reported in `warnings`.
Profile profile_for(const std::string& strategy, const std::map<std::string, std::string>& params,
                    std::vector<std::string>& warnings);

struct TestRun {
  bool started = false;
  int exit_code = -1;
  std::map<std::string, bool> checks;  // from "PASS name" / "FAIL name" lines
  bool passed() const { return started && exit_code == 0; }
  std::set<std::string> passing() const;
  std::string failing_list() const;
};

struct Outcome {
  bool fixed = false;
  int steps = 0;
  std::vector<std::string> kept;  // ids of the edits left in the workspace
};

class Search {
 public:
  Search(TraceWriter& trace, Profile profile, PromptKnowledge knowledge, std::string workspace, uint64_t seed);
  Outcome run();

 private:
  void read_sources();
  void focus_from(const SourceFile& file);
  std::vector<Candidate> plan(const std::vector<Candidate>& found);
  TestRun run_test(const std::string& why);
  bool apply(const Candidate& c);
  void revert_pending(const std::vector<Candidate>& edits);
  // Keeps or reverts `edits` after `run`; returns true when the test passed.
  bool judge(const std::vector<Candidate>& edits, const TestRun& run);

  TraceWriter& trace_;
  Profile profile_;
  PromptKnowledge knowledge_;
  std::string workspace_;
  std::mt19937_64 rng_;
  std::vector<SourceFile> files_;
  std::set<std::string> focus_files_;
  std::map<std::string, std::string> before_edit_;  // file -> its text before the edits being tried
  bool have_baseline_ = false;
  TestRun best_;
  Outcome outcome_;
};

}  // namespace demo
