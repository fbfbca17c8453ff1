// One agent attempt's lifecycle: start, output, exit, timeouts and kills (see agent_run.h). The launch itself
// is in agent_launch.cpp, verification in agent_verify.cpp, the end of the attempt in agent_finish.cpp.
#include "harness/agent_run.h"

#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "trace/ids.h"

namespace fs = std::filesystem;

namespace harness {

std::string workspace_name(const AgentRecord& record) {
  return record.attempt > 1 ? fmt::format("{}.attempt{}", record.id, record.attempt) : record.id;
}

bool keeps_workspace(const std::string& keep, const AgentRecord& record) {
  if (record.status != AttemptStatus::completed) return false;
  bool winner = record.verify.passed();
  return keep == "all" || (keep == "winners" && winner) || (keep == "failures" && !winner);
}

AgentRun::AgentRun(AgentEnvironment& env, AgentRecord record, std::string generation_span_id,
                   std::string prompt)
    : env_(env),
      record_(std::move(record)),
      generation_span_id_(std::move(generation_span_id)),
      prompt_(std::move(prompt)) {}

AgentRun::~AgentRun() {
  // Never leave a process behind, whatever path got us here (an exception in the loop included).
  drop_process(true);
  end_telemetry();
}

base::Result<void, StartFailure> AgentRun::watch(ProcessRole role, const runners::LaunchSpec& spec) {
  Started started = env_.processes.start(
      role, spec, [this](std::string_view chunk) { on_output(chunk); },
      [this](std::string_view chunk) { on_stderr(chunk); });
  if (!started.ok()) return base::unexpected(started.error());
  process_ = std::move(started).value();
  return {};
}

void AgentRun::drop_process(bool kill) {
  if (!process_) return;
  // Also after a normal exit: background children the process left must not outlive it.
  process_->end(kill ? kKillGrace : kExitedGrace);
  process_.reset();
}

int64_t AgentRun::elapsed_ms() const { return env_.clock.steady_ms() - started_ms_; }

void AgentRun::write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
}

int64_t AgentRun::event(const std::string& type, nlohmann::json payload) {
  trace::Event e;
  e.span_id = span_.span_id;
  e.time_ns = env_.clock.wall_ns();
  e.type = type;
  payload["agent"] = record_.id;
  e.payload = std::move(payload);
  return env_.store.put_event(e);
}

void AgentRun::start() {
  started_ms_ = env_.clock.steady_ms();
  dir_ = env_.dir.agent(record_.generation, record_.slot, record_.attempt);
  fs::create_directories(dir_);

  span_.trace_id = env_.trace_id;
  span_.span_id =
      trace::derive_span_id(env_.trace_id, fmt::format("agent:{}:{}", record_.id, record_.attempt));
  span_.parent_span_id = generation_span_id_;
  span_.kind = trace::SpanKind::agent;
  span_.name = record_.id;
  span_.start_ns = env_.clock.wall_ns();
  span_.attributes = {{"harness.agent", record_.id},
                      {"harness.generation", record_.generation},
                      {"harness.strategy", record_.strategy},
                      {"harness.attempt", record_.attempt}};
  record_.span_id = span_.span_id;
  record_.started_ns = span_.start_ns;
  record_.status = AttemptStatus::running;
  write_file(dir_ + "/prompt.md", prompt_);

  std::string workspace_error;
  if (auto created = env_.workspaces.create(workspace_name(record_)); created.ok())
    workspace_ = std::move(created).value();
  else
    workspace_error = created.error();
  // Durable before the process exists: a crash from here on leaves a `running` attempt that resume re-runs.
  env_.store.transaction([&] {
    env_.store.put_span(span_);
    env_.state.save_agent(record_);
  });
  if (!workspace_error.empty()) {
    event("agent.launch_failed", {{"error", workspace_error}});
    return agent_finished(AgentOutcome::launch_failed, "workspace: " + workspace_error);
  }
  launch_agent();
}

void AgentRun::on_output(std::string_view bytes) {
  if (phase_ == Phase::running) {
    capture_->feed(bytes);  // the activity sink is touched by every decoded line
    activity_->touch();
    return;
  }
  if (phase_ != Phase::verifying) return;
  if (verify_output_tail_.size() < kVerifyOutputKept)
    verify_output_tail_.append(bytes.substr(0, kVerifyOutputKept - verify_output_tail_.size()));
  if (!verify_log_) verify_log_ = open_log("verify.log", env_.config.limits.verify_log_mb, "limits.verify_log_mb");
  verify_log_->write(bytes);
}

void AgentRun::on_stderr(std::string_view bytes) {
  if (phase_ == Phase::running) {
    if (!stderr_log_) stderr_log_ = open_log("stderr.log", env_.config.limits.stderr_mb, "limits.stderr_mb");
    stderr_log_->write(bytes);
  } else if (phase_ == Phase::verifying) {
    if (!verify_log_) verify_log_ = open_log("verify.log", env_.config.limits.verify_log_mb, "limits.verify_log_mb");
    verify_log_->write(bytes);
  }
}

std::unique_ptr<BoundedLog> AgentRun::open_log(const std::string& name, int64_t limit_mb, const char* key) const {
  uint64_t half = static_cast<uint64_t>(limit_mb) << 19;  // MiB / 2
  return std::make_unique<BoundedLog>(dir_ + "/" + name, half, half, key);
}

void AgentRun::on_exit(const ProcessExit& exit) {
  const runners::ExitStatus& status = exit.status;
  const std::string& failure = exit.system_failure;
  if (phase_ == Phase::running) {
    if (!failure.empty()) {
      // Slurm ended it (node failure, cancelled from outside, time limit): recorded as a crash in Slurm's
      // words.
      system_failure_ = failure;
      span_.attributes["harness.system_failure"] = failure;
      event("agent.system_failed",
            {{"error", failure}, {"process", record_.external_id}, {"exit", status.describe()}});
      return agent_finished(AgentOutcome::crashed, failure);
    }
    // Refused a model call over budget, the CLI stopped on the error before the loop ended it: still a budget end.
    if (auto refusal = env_.ledger.refused(span_.span_id))
      return agent_finished(AgentOutcome::killed_budget, refusal->message() + " (" + status.describe() + ")");
    AgentOutcome outcome = status.ok() ? AgentOutcome::completed : AgentOutcome::crashed;
    agent_finished(outcome, status.describe());
  } else if (phase_ == Phase::verifying) {
    if (!failure.empty()) on_output("== " + failure + "\n");
    verify_finished(status);
  }
}

void AgentRun::check_timeouts() {
  if (!process_) return;
  int64_t now = env_.clock.steady_ms();
  if (phase_ == Phase::running) {
    const RunnerConfig& r = env_.config.runner;
    if (r.idle_timeout_s > 0 && now - activity_->last_activity_ms() > r.idle_timeout_s * 1000)
      kill(AgentOutcome::killed_stuck, fmt::format("no output for {}s (idle timeout)", r.idle_timeout_s));
    else if (r.wall_timeout_s > 0 && now - started_ms_ > r.wall_timeout_s * 1000)
      kill(AgentOutcome::killed_timeout, fmt::format("ran longer than {}s (wall timeout)", r.wall_timeout_s));
  } else if (phase_ == Phase::verifying) {
    double limit = env_.config.verify.timeout_s;
    if (limit > 0 && now - verify_started_ms_ > limit * 1000) {
      drop_process(true);
      verify_output_tail_ += fmt::format("\nverify timed out after {}s\n", limit);
      verify_finished(runners::ExitStatus{-1, 9});
    }
  }
}

void AgentRun::check_loops() {
  if (phase_ != Phase::running || !activity_) return;
  for (const auto& loop : activity_->take_loops()) {
    const std::string& action = env_.config.runner.on_loop;
    event("agent.loop_detected", {{"kind", loop.kind},
                                  {"period", loop.period},
                                  {"repeats", loop.repeats},
                                  {"summary", loop.summary},
                                  {"spans", loop.span_ids},
                                  {"action", action}});
    if (action == "kill") return kill(AgentOutcome::killed_loop, "loop: " + loop.summary);
    env_.progress.log(fmt::format("{} is in a loop (runner.on_loop: warn): {}", record_.id, loop.summary));
  }
}

void AgentRun::request_stop() {
  if (process_ && phase_ == Phase::running) process_->request_stop();
}

void AgentRun::kill(AgentOutcome why, const std::string& reason) {
  if (phase_ == Phase::done) return;
  drop_process(true);
  if (phase_ == Phase::verifying) {
    // Only an interrupt stops a verification; the agent itself had already finished.
    record_.outcome = AgentOutcome::interrupted;
    record_.end_reason = reason;
    return finalize();
  }
  event("agent.killed", {{"reason", reason}, {"outcome", std::string(to_string(why))}});
  env_.progress.log(fmt::format("{} killed: {}", record_.id, reason));
  agent_finished(why, reason);
}

}  // namespace harness
