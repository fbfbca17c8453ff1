// The real AgentProcesses: the run's launchers and one ProcessReactor. See agent_processes.h.
#include "harness/agent_processes.h"

#include <filesystem>
#include <unordered_map>

#include "harness/interrupt.h"
#include "harness/launchers.h"
#include "harness/leftovers.h"
#include "runners/process_reactor.h"

namespace harness {
namespace {

// What a dropped handle gives a process to end (the loop ends a killed one with its own grace first).
constexpr auto kDropGrace = std::chrono::milliseconds(200);

class RealAgentProcesses;

class RealAgentProcess final : public AgentProcess {
 public:
  RealAgentProcess(RealAgentProcesses& owner, std::unique_ptr<runners::RunningProcess> process)
      : owner_(owner), process_(std::move(process)) {}
  ~RealAgentProcess() override { end(kDropGrace); }

  std::string external_id() const override { return process_->external_id(); }
  void request_stop() override {
    if (!ended_) process_->request_stop();
  }
  void end(std::chrono::milliseconds grace) override;
  runners::RunningProcess& running() { return *process_; }

 private:
  RealAgentProcesses& owner_;
  std::unique_ptr<runners::RunningProcess> process_;
  bool ended_ = false;
};

class RealAgentProcesses final : public AgentProcesses {
 public:
  RealAgentProcesses(const Config& config, std::string run_dir, runners::ProcessLauncher& agents,
                     runners::ProcessLauncher& verify)
      : config_(config), run_dir_(std::move(run_dir)), agents_(agents), verify_(verify) {}

  Started start(ProcessRole role, const runners::LaunchSpec& spec, OutputHandler on_output,
                OutputHandler on_stderr) override {
    auto& launcher = role == ProcessRole::agent ? agents_ : verify_;
    std::unique_ptr<runners::RunningProcess> started;
    // The launchers throw from deep in their set-up (runners/launcher.h); here that becomes the seam's value.
    try {
      started = launcher.start(spec);
    } catch (const runners::SystemFailure& e) {
      return base::unexpected(StartFailure{e.what(), true});
    } catch (const std::exception& e) {
      return base::unexpected(StartFailure{e.what(), false});
    }
    auto process = std::make_unique<RealAgentProcess>(*this, std::move(started));
    runners::RunningProcess& running = process->running();
    // Its own group outlives us unless the second Ctrl-C (which _exit()s at once) KILLs it: see interrupt.h.
    track_process_group(running.pid());
    reactor_.add(running, std::move(on_output), std::move(on_stderr));
    handles_[&running] = process.get();
    return std::unique_ptr<AgentProcess>(std::move(process));
  }

  std::vector<ProcessExit> wait(std::chrono::milliseconds timeout) override {
    std::vector<ProcessExit> exits;
    for (const auto& finished : reactor_.wait(timeout).finished) {
      auto it = handles_.find(finished.process);
      if (it == handles_.end()) continue;
      exits.push_back(ProcessExit{it->second, finished.status, finished.process->system_failure()});
    }
    return exits;
  }

  LeftoversEnded end_leftovers(const AgentRecord& a) override {
    LeftoversEnded ended;
    if (uses_slurm(config_) || a.external_id.rfind("slurm:", 0) == 0) {
      auto cancelled = cancel_leftover_slurm_jobs(slurm_options(config_, 0), slurm_job_name(run_dir_, a.id),
                                                  a.external_id);
      ended.slurm_jobs = cancelled.job_ids;
      ended.slurm_error = cancelled.error;
    }
    ended.processes = kill_leftover_agent_processes(run_dir_, a.id);
    return ended;
  }

  // Called by a handle as it ends: no more output or exit for it.
  void forget(runners::RunningProcess& running) {
    reactor_.remove(running);
    handles_.erase(&running);
  }

 private:
  const Config& config_;
  std::string run_dir_;  // absolute: what the processes' markers carry
  runners::ProcessLauncher& agents_;
  runners::ProcessLauncher& verify_;
  runners::ProcessReactor reactor_;
  std::unordered_map<runners::RunningProcess*, RealAgentProcess*> handles_;
};

void RealAgentProcess::end(std::chrono::milliseconds grace) {
  if (ended_) return;
  ended_ = true;
  owner_.forget(*process_);
  process_->kill_tree(grace);
  // Only now: a second Ctrl-C during the grace above must still KILL this group.
  untrack_process_group(process_->pid());
}

}  // namespace

std::unique_ptr<AgentProcesses> make_agent_processes(const Config& config, const std::string& run_dir,
                                                     runners::ProcessLauncher& agents,
                                                     runners::ProcessLauncher& verify) {
  return std::make_unique<RealAgentProcesses>(config, std::filesystem::absolute(run_dir).string(), agents,
                                              verify);
}

}  // namespace harness
