// Hand-written fakes of the generation loop's seams (ninja's FakeCommandRunner): a clock that moves only when
// the loop waits, scripted agent and verify processes, in-memory workspaces, a planner that hands out fixed
// strategies; and FakeRun, which wires them with a real run store in a temporary folder so a test drives
// GenerationLoop in-process and reads back exact event sequences. No sleeps, no real processes. Tests only;
// not thread-safe (the loop's thread is the test's).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/agent_processes.h"
#include "harness/clock.h"
#include "harness/generation_loop.h"
#include "harness/generation_plan.h"
#include "harness/progress.h"
#include "harness/workspace.h"
#include "trace/store.h"

namespace harness_test {

// Steady time starts at 0 ms; wall time is a fixed epoch plus steady time. Moves only through advance_to().
class FakeClock : public harness::Clock {
 public:
  static constexpr int64_t kEpochNs = 1'700'000'000'000'000'000;
  int64_t wall_ns() const override { return kEpochNs + now_ms_ * 1'000'000; }
  int64_t steady_ms() const override { return now_ms_; }
  int64_t now_ms() const { return now_ms_; }
  void advance_to(int64_t ms) {
    if (ms > now_ms_) now_ms_ = ms;
  }

 private:
  int64_t now_ms_ = 0;
};

// Lines of the generic JSONL trace protocol (docs/agents.md), as a fake agent prints them.
namespace jsonl {
std::string session_start();
std::string session_end();
std::string llm_call(int64_t input_tokens, int64_t output_tokens, double cost_usd = 0);
std::string tool_failed(const std::string& id, const std::string& output);
}  // namespace jsonl

struct FakeWorkspaceState;

// What one fake process does, step by step. Steps at the same instant run together; time passes only in
// silent(). A script that ends without exit() hangs (silent until killed).
class FakeScript {
 public:
  FakeScript& print(std::string line);                   // one line on stdout ('\n' added)
  FakeScript& silent(int64_t ms);                        // nothing for this long
  FakeScript& edit(std::string file, std::string text);  // changes its workspace (the one it runs in)
  FakeScript& exit(int code);
  FakeScript& exit_by_signal(int signal);
  // When it ends, the system that ran it (Slurm) says this was its doing.
  FakeScript& system_failure(std::string message);
  // TERM ends it after `ms` (default: at once); ignore_term(): only the KILL after the grace ends it.
  FakeScript& term_takes(int64_t ms);
  FakeScript& ignore_term();
  // start() fails with this message (a system failure, as Slurm's, when `system`).
  FakeScript& fail_launch(std::string message, bool system = false);
  FakeScript& external_id(std::string id);  // default "fake:<n>", n counting starts from 1

  struct Step {
    enum Kind { print, silent, edit, exit } kind;
    std::string text, file;
    int64_t ms = 0;
    runners::ExitStatus status;
  };
  std::vector<Step> steps;
  std::string system_failure_message;
  std::optional<int64_t> term_ms = 0;  // nullopt: TERM is ignored
  std::optional<std::string> launch_error;
  bool launch_error_is_system = false;
  std::string id;
};

// What the fake saw, for tests to assert on.
struct FakeLaunch {
  harness::ProcessRole role;
  runners::LaunchSpec spec;
  std::string external_id;
  int64_t at_ms = 0;
};
struct FakeKill {
  std::string external_id;
  int64_t grace_ms = 0;
  int64_t at_ms = 0;    // when end() was called
  int64_t took_ms = 0;  // how long the tree took to go (the grace for one that ignores TERM)
};

class FakeWorkspaces;

// Agent and verify processes that run FakeScripts, as the reactor would: wait(timeout) moves the clock to the
// next scripted step (or to the timeout), runs every step due then, and returns once one printed or exited;
// end() moves it by the time the tree takes to go (a TERM honoured after term_takes(), else the whole grace).
// An agent runs the script of its strategy (none: a launch error); a verify run the verify script (none: it
// passes). Every launch, stop request, kill and leftover query is recorded.
class FakeProcesses : public harness::AgentProcesses {
 public:
  FakeProcesses(FakeClock& clock, FakeWorkspaces& workspaces);
  ~FakeProcesses() override;

  // What every agent of this strategy does (each launch runs the script from its start).
  void script_agent(const std::string& strategy, FakeScript script) { agents_[strategy] = std::move(script); }
  // What verify repeat `repeat` (1-based) does, given the workspace it runs in.
  using VerifyScript = std::function<FakeScript(const FakeWorkspaceState& workspace, int repeat)>;
  void script_verify(VerifyScript script) { verify_ = std::move(script); }
  // Runs `fn` when the clock reaches `ms` during a wait (a Ctrl-C, a crash); a throw leaves through wait().
  void at(int64_t ms, std::function<void()> fn) { hooks_.push_back({ms, std::move(fn), false}); }
  // Runs `fn` as the `n`th wait (1-based) begins, before any time passes in it.
  void on_wait(int n, std::function<void()> fn) { wait_hooks_[n] = std::move(fn); }
  // What end_leftovers() reports (default: nothing was left).
  harness::LeftoversEnded leftovers_result;

  harness::Started start(harness::ProcessRole role, const runners::LaunchSpec& spec, OutputHandler on_output,
                         OutputHandler on_stderr) override;
  std::vector<harness::ProcessExit> wait(std::chrono::milliseconds timeout) override;
  harness::LeftoversEnded end_leftovers(const harness::AgentRecord& attempt) override;

  const std::vector<FakeLaunch>& launches() const { return launches_; }
  std::vector<FakeLaunch> launches(harness::ProcessRole role) const;
  // Processes end() stopped while they ran (not those collected after they exited by themselves).
  const std::vector<FakeKill>& kills() const { return kills_; }
  // external ids that got request_stop(), in order.
  const std::vector<std::string>& stop_requests() const { return stop_requests_; }
  // "g01-a02#1": the attempts end_leftovers() was asked about, in order.
  const std::vector<std::string>& leftovers_asked() const { return leftovers_asked_; }
  int waits() const { return waits_; }
  int running() const;  // started, not yet exited nor ended

  struct Process;  // fakes.cpp

 private:
  struct Hook {
    int64_t at_ms;
    std::function<void()> fn;
    bool done;
  };
  friend class FakeProcessHandle;
  std::optional<int64_t> next_due() const;
  bool run_due(std::vector<harness::ProcessExit>& exits);
  void end(Process& p, std::chrono::milliseconds grace);

  FakeClock& clock_;
  FakeWorkspaces& workspaces_;
  std::map<std::string, FakeScript> agents_;
  VerifyScript verify_;
  std::vector<Hook> hooks_;
  std::map<int, std::function<void()>> wait_hooks_;
  std::vector<std::unique_ptr<Process>> processes_;
  std::vector<FakeLaunch> launches_;
  std::vector<FakeKill> kills_;
  std::vector<std::string> stop_requests_;
  std::vector<std::string> leftovers_asked_;
  int waits_ = 0;
  int next_id_ = 1;
};

// One in-memory workspace: files as text, the base they started from, what happened to it.
struct FakeWorkspaceState {
  std::string name, path;
  std::map<std::string, std::string> base, files;
  std::vector<std::vector<std::string>> restored;  // each restore_paths() call
  bool removed = false;
  std::string file(const std::string& name) const {
    auto it = files.find(name);
    return it == files.end() ? "" : it->second;
  }
  std::vector<std::string> changed() const;
};

class FakeWorkspaces : public harness::WorkspaceFactory {
 public:
  explicit FakeWorkspaces(std::map<std::string, std::string> base = {{"state.txt", "bug"}})
      : base_(std::move(base)) {}
  base::Result<std::unique_ptr<harness::Workspace>> create(const std::string& name) override;
  void prune() override {}
  void discard(const std::string& name) override;
  // create(name) fails with this message.
  void fail_create(const std::string& name, const std::string& message) { failures_[name] = message; }
  // Runs `fn` once, right after the next workspace is made (a throw: the harness died just then).
  void after_next_create(std::function<void()> fn) { after_create_ = std::move(fn); }

  FakeWorkspaceState* named(const std::string& name);
  FakeWorkspaceState* at_path(const std::string& path);
  const std::vector<std::string>& created() const { return created_; }
  const std::vector<std::string>& discarded() const { return discarded_; }
  // Names of workspaces there now (created, neither removed nor discarded).
  std::vector<std::string> present() const;

 private:
  std::map<std::string, std::string> base_;
  std::map<std::string, std::string> failures_;
  std::function<void()> after_create_;
  std::map<std::string, std::shared_ptr<FakeWorkspaceState>> spaces_;
  std::vector<std::string> created_, discarded_;
};

// Ready-made scripts over a workspace whose state.txt says "bug" until an agent fixes it.
namespace scripts {
// Reports a failed check and one model call (100 + 10 tokens), writes `state` into state.txt, exits 0.
FakeScript agent_writing(const std::string& state);
inline FakeScript fixer() { return agent_writing("fixed"); }
inline FakeScript wrong() { return agent_writing("still broken"); }
// Prints one model call of `input` + `output` tokens every `every_ms`, `calls` times, then exits 0.
FakeScript spender(int calls, int64_t input, int64_t output, int64_t every_ms);
// Passes (exit 0) when state.txt says "fixed", else prints "FAIL: state is not fixed" and exits 1; each
// repeat first takes `takes_ms`.
FakeProcesses::VerifyScript verify_state_fixed(int64_t takes_ms = 0);
}  // namespace scripts

// Slot i of every generation gets strategies[(i - 1) % size]; prompts are "prompt of <id>".
class FakePlanner : public harness::GenerationPlanner {
 public:
  explicit FakePlanner(std::vector<std::string> strategies) : strategies_(std::move(strategies)) {}
  std::vector<harness::SlotPlan> plan(int number, int population) override;
  std::string prompt(const harness::AgentRecord& agent) override { return "prompt of " + agent.id; }
  void observe_generation(int number, const std::vector<harness::AgentRecord>& agents) override;
  harness::GenerationSummary finish_generation(int number,
                                               const std::vector<harness::AgentRecord>& agents) override;

  std::map<int, harness::GenerationSummary> summaries;  // what finish_generation(n) returns
  std::vector<int> planned, observed, finished;
  // Set, the planner records whether each call ran inside a transaction of this store.
  trace::Store* store = nullptr;
  std::vector<bool> observed_in_transaction, finished_in_transaction;

 private:
  std::vector<std::string> strategies_;
};

class FakeProgress : public harness::Progress {
 public:
  void log(std::string_view line) override {
    lines.emplace_back(line);
    if (on_log) on_log(lines.back());
  }
  void update(const harness::GenerationProgress&) override { ++updates; }
  void finish() override {}
  std::vector<std::string> lines;
  int updates = 0;
  std::function<void(const std::string&)> on_log;  // called with each line as it is logged
};

// A run in a temporary folder (its run.db real, everything else faked), created as `harness run` creates one.
class FakeRun {
 public:
  // Config defaults for a fake run: 1 generation of 1 agent, verify `verify` (run by the fake), no timeouts.
  static harness::Config default_config();
  explicit FakeRun(harness::Config config = default_config(),
                   std::vector<std::string> strategies = {"agent"});
  ~FakeRun();

  // Runs the loop on the run (again: what `harness resume` does after reopening it). Clears the interrupt
  // flag before and after.
  harness::LoopResult run();
  harness::LoopResult resume();

  // Every event on the run, generation and agent spans (not the decoded trace), "type" or "type agent" with
  // the agent's id when the payload names one, in the order they were written.
  std::vector<std::string> sequence();
  // The same, each prefixed with the fake time it was written at: "1100 agent.killed g01-a01".
  std::vector<std::string> timeline();
  // Payloads of events of `type` anywhere in the run, in order.
  std::vector<nlohmann::json> events(const std::string& type);
  int count(const std::string& type) { return static_cast<int>(events(type).size()); }
  std::vector<harness::AgentRecord> agents() { return state->agents(); }
  harness::AgentRecord agent(const std::string& id, int attempt = 1);
  const std::string& dir() const { return dir_; }

  // Set, each run()/resume() plans with a planner made by this from the run's environment (the real one,
  // harness::make_planner, as a new process makes it) instead of `planner`.
  std::function<std::unique_ptr<harness::GenerationPlanner>(harness::AgentEnvironment&)> make_planner;

  harness::Config config;
  FakeClock clock;
  FakeWorkspaces workspaces;
  FakeProcesses processes{clock, workspaces};
  FakePlanner planner;
  FakeProgress progress;
  std::unique_ptr<trace::Store> store;
  std::unique_ptr<harness::RunState> state;
  std::unique_ptr<telemetry::SpendLedger> ledger;
  std::unique_ptr<harness::AgentEnvironment> env;

 private:
  std::string dir_;
};

}  // namespace harness_test
