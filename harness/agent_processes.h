// The processes the generation loop runs (agents and their verify commands) as the loop needs them: start
// one, wait with a timeout for output and exits, ask one to stop, end one, and end what a crashed attempt
// left. The seam between the loop and the OS (ninja's CommandRunner): the real one drives the run's launchers
// through one runners::ProcessReactor; tests script a fake (tests/harness/fakes.h). Not thread-safe: the
// loop's thread drives it and every process in it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "harness/config/config.h"
#include "harness/state/run_state.h"
#include "runners/launcher.h"

namespace harness {

// One process started through AgentProcesses. Destroying the handle ends it as end() would (short grace).
class AgentProcess {
 public:
  virtual ~AgentProcess() = default;
  // Its id in the system that runs it ("pid:1234", "slurm:5678"), recorded on the agent.
  virtual std::string external_id() const = 0;
  // TERM to its whole tree, returning at once: many agents wind down together before each end() waits.
  virtual void request_stop() = 0;
  // Ends its whole tree (TERM, then KILL after `grace`) and returns when nothing of it is left; also after a
  // normal exit, for the background children it left. Nothing more is reported for it. Idempotent.
  virtual void end(std::chrono::milliseconds grace) = 0;
};

enum class ProcessRole { agent, verify };  // which launcher runs it (runner.launcher / verify.launcher)

struct ProcessExit {
  AgentProcess* process = nullptr;
  runners::ExitStatus status;
  // Why the system that ran it (Slurm) ended it, in that system's words, when it was not the process's doing.
  std::string system_failure;
};

// Why start() could not start a process: the launcher's message, and whether the system that runs agents (Slurm)
// was at fault rather than the command (the loop's stop rule counts those).
struct StartFailure {
  std::string message;
  bool system = false;
};
using Started = base::Result<std::unique_ptr<AgentProcess>, StartFailure>;

// What end_leftovers() found and ended.
struct LeftoversEnded {
  std::vector<std::string> slurm_jobs;  // cancelled
  std::string slurm_error;              // Slurm could not be asked or refused
  int processes = 0;                    // local processes killed
};

class AgentProcesses {
 public:
  // Receives each chunk of the process's stdout during wait(); the view is valid only during the call.
  using OutputHandler = std::function<void(std::string_view chunk)>;

  virtual ~AgentProcesses() = default;
  // The started process, or why it could not start (an expected failure of one attempt, not an exception).
  // `on_stderr` gets its stderr the same way when spec.stderr_pipe is set.
  virtual Started start(ProcessRole role, const runners::LaunchSpec& spec, OutputHandler on_output,
                        OutputHandler on_stderr) = 0;
  // Waits until a process printed (handed to its OutputHandler) or ended, or `timeout` passed; returns the
  // ends. An ended process is reported once; its handle stays valid until the caller drops it.
  virtual std::vector<ProcessExit> wait(std::chrono::milliseconds timeout) = 0;
  // Before an interrupted attempt runs again: ends whatever it may have left running (Slurm jobs first, then
  // local processes carrying its markers, see AgentRun::name_job).
  virtual LeftoversEnded end_leftovers(const AgentRecord& attempt) = 0;
};

// The real one: agents start through `agents`, verify commands through `verify`; every process is watched by
// one reactor and its process group tracked for the second Ctrl-C (interrupt.h). The launchers must outlive
// it.
std::unique_ptr<AgentProcesses> make_agent_processes(const Config& config, const std::string& run_dir,
                                                     runners::ProcessLauncher& agents,
                                                     runners::ProcessLauncher& verify);

}  // namespace harness
