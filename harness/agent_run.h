// One agent attempt from start to checkpoint: workspace, prompt, launch, live decoding of its output into the
// run store, idle/wall/budget kills, verification (repeats, protected paths restored first), patch capture,
// and the final record written in one transaction. A state machine driven by the generation loop's thread: it
// never blocks on the agent; the loop hands it output and exits of the process it currently runs.
#pragma once

#include <memory>
#include <string>

#include "harness/agent_activity.h"
#include "harness/agent_processes.h"
#include "harness/clock.h"
#include "harness/config/config.h"
#include "harness/progress.h"
#include "harness/state/run_dir.h"
#include "harness/state/run_state.h"
#include "harness/workspace.h"
#include "harness/bounded_log.h"
#include "runners/launcher.h"
#include "telemetry/run_telemetry.h"
#include "telemetry/spend_ledger.h"
#include "trace/import.h"

namespace harness {

// What every agent of a run shares.
struct AgentEnvironment {
  const Config& config;
  RunDir dir;
  trace::Store& store;
  RunState& state;
  AgentProcesses& processes;  // every agent and verify process an AgentRun starts, and the loop waits on
  WorkspaceFactory& workspaces;
  const Clock& clock;
  Progress& progress;
  // What the run has spent, per attempt, generation and run: the proxy refuses calls past a budget, the loop
  // kills what overran (telemetry/spend_ledger.h).
  telemetry::SpendLedger& ledger;
  std::string trace_id;
  uint64_t seed = 0;
  std::string demo_agent_path;  // what {demo_agent} in a runner command becomes
  telemetry::RunTelemetry* telemetry = nullptr;  // the run's OTLP receiver and LLM proxy; null when neither runs
  bool sandboxed = false;  // the launchers sandbox every process: each gets its own HOME under the run dir
};

// The folder name of an attempt's workspace under the workspace root (g01-a02, g01-a02.attempt2, ...).
std::string workspace_name(const AgentRecord& record);
// Whether `workspace.keep` keeps the workspace of this finished attempt (an interrupted one never).
bool keeps_workspace(const std::string& keep, const AgentRecord& record);

class AgentRun {
 public:
  enum class Phase { running, verifying, done };

  AgentRun(AgentEnvironment& env, AgentRecord record, std::string generation_span_id, std::string prompt);
  ~AgentRun();

  // Makes the workspace, writes the prompt, records the attempt as running (durably), launches the agent.
  // On a launch failure the run is done at once with outcome launch_failed (recorded, not thrown).
  void start();

  Phase phase() const { return phase_; }
  // The process it runs now (the agent, or a verify repeat); null when done. The loop calls on_exit() when
  // env.processes reports it ended.
  AgentProcess* process() { return process_.get(); }
  void on_exit(const ProcessExit& exit);
  // Kills the agent if it is idle, over its wall time, or (verify) over the verify timeout.
  void check_timeouts();
  // Records each loop the live detector found in the agent's trace (agent.loop_detected) and, with
  // runner.on_loop: kill, ends the agent as killed_loop.
  void check_loops();
  // Kills the agent now and records why (budget, interrupt). For an interrupt the attempt is recorded as
  // interrupted (not completed), so `resume` runs it again.
  void kill(AgentOutcome why, const std::string& reason);
  // TERM to the agent's process tree without waiting; a kill() follows. Lets many agents stop at once.
  void request_stop();

  const AgentRecord& record() const { return record_; }
  // Set when the system that runs agents (Slurm) failed this attempt, at launch or later: its own message.
  const std::string& system_failure() const { return system_failure_; }
  // Whether the agent's process was started (a launch failure leaves this false).
  bool launched() const { return launched_; }
  const AgentActivity& activity() const { return *activity_; }
  int64_t elapsed_ms() const;

 private:
  static constexpr size_t kVerifyOutputKept = 256u << 10;  // per repeat, for finding the first failure
  static constexpr std::chrono::milliseconds kKillGrace{2000};
  // After a normal exit: what the process left in the background is ended with this much grace.
  static constexpr std::chrono::milliseconds kExitedGrace{200};

  void on_output(std::string_view bytes);
  void on_stderr(std::string_view bytes);
  // stderr.log or verify.log, bounded by limits.* (`key` names it) and redacted.
  std::unique_ptr<BoundedLog> open_log(const std::string& name, int64_t limit_mb, const char* key) const;
  // Starts the process and watches it; the failure when it could not start.
  base::Result<void, StartFailure> watch(ProcessRole role, const runners::LaunchSpec& spec);
  // Stops watching the current process (killing its tree first when `kill`), and drops it.
  void drop_process(bool kill);
  void launch_agent();
  // The agent's command line and environment from runner.* and its strategy.
  runners::LaunchSpec agent_spec();
  // The raw input of its stdout and the live decoder writing spans through its activity into the store.
  void open_capture();
  void agent_finished(AgentOutcome outcome, const std::string& reason);
  void pick_up_transcripts();
  // The attempt's tokens, cost and tool counts, as its trace holds them once everything has settled.
  void settle_totals();
  // The proxy's priced dollars beside the agent's own (span attributes); event cost.disagreement when they differ.
  void compare_costs();
  void start_verify_repeat();
  void verify_finished(const runners::ExitStatus& status);
  void finalize();
  // Registers the agent with the run's telemetry servers and adds what they give it to its environment.
  void add_telemetry(runners::LaunchSpec& spec);
  void end_telemetry();
  void write_file(const std::string& path, const std::string& text);
  int64_t event(const std::string& type, nlohmann::json payload);
  std::string expand(const std::string& arg) const;
  // Job name, comment and the harness's markers in the environment, shared by the agent and its verify runs.
  void name_job(runners::LaunchSpec& spec, const char* what) const;
  // A sandboxed process's own HOME ({run_dir}/agents-home/<agent>.<attempt>/<home>) and what it must reach.
  void sandbox_paths(runners::LaunchSpec& spec, const char* home) const;

  AgentEnvironment& env_;
  AgentRecord record_;
  std::string generation_span_id_;
  std::string prompt_;
  std::string dir_;  // the agent's folder in the run dir
  Phase phase_ = Phase::running;
  std::unique_ptr<Workspace> workspace_;
  std::unique_ptr<AgentProcess> process_;
  std::unique_ptr<trace::RawInputSink> raw_sink_;
  std::unique_ptr<AgentActivity> activity_;
  std::unique_ptr<trace::StreamCapture> capture_;
  std::string telemetry_token_;
  int64_t stream_raw_id_ = 0;  // raw input of the agent's stdout
  trace::Span span_;
  int64_t started_ms_ = 0;
  int64_t verify_started_ms_ = 0;
  int verify_repeat_ = 0;
  std::string verify_output_tail_;
  std::unique_ptr<BoundedLog> stderr_log_;
  std::unique_ptr<BoundedLog> verify_log_;
  std::string system_failure_;
  bool launched_ = false;
};

}  // namespace harness
