#include "harness/agent_run.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "harness/agent_totals.h"
#include "harness/interrupt.h"
#include "harness/launchers.h"
#include "harness/transcript_pickup.h"
#include "trace/ids.h"
#include "trace/proxy_usage.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

constexpr uint64_t kRawLimit = 64ull << 20;         // stdout kept verbatim up to this; decoding goes on past it
constexpr uint64_t kVerifyLogLimit = 4ull << 20;    // verify.log bound
constexpr size_t kVerifyOutputKept = 256u << 10;    // per repeat, for finding the first failure
constexpr auto kKillGrace = std::chrono::milliseconds(2000);

// The first line of a failing verify run that names the failure: what the next generation most needs to know.
std::string first_failure_line(const std::string& output) {
  static const char* markers[] = {"Assertion", "assert", "FAIL", "Error", "error:", "failed", "mismatch", "expected"};
  size_t pos = 0;
  while (pos < output.size()) {
    size_t end = output.find('\n', pos);
    if (end == std::string::npos) end = output.size();
    std::string_view line(output.data() + pos, end - pos);
    for (const char* m : markers)
      if (line.find(m) != std::string_view::npos) return std::string(line.substr(0, 300));
    pos = end + 1;
  }
  return "";
}

}  // namespace

std::string workspace_name(const AgentRecord& record) {
  return record.attempt > 1 ? fmt::format("{}.attempt{}", record.id, record.attempt) : record.id;
}

bool keeps_workspace(const std::string& keep, const AgentRecord& record) {
  if (record.status != "completed") return false;
  bool winner = record.verify.passed();
  return keep == "all" || (keep == "winners" && winner) || (keep == "failures" && !winner);
}

AgentRun::AgentRun(AgentEnvironment& env, AgentRecord record, std::string generation_span_id, std::string prompt)
    : env_(env), record_(std::move(record)), generation_span_id_(std::move(generation_span_id)),
      prompt_(std::move(prompt)) {}

AgentRun::~AgentRun() {
  // Never leave a process behind, whatever path got us here (an exception in the loop included).
  drop_process(true);
  end_telemetry();
}

void AgentRun::add_telemetry(runners::LaunchSpec& spec) {
  if (!env_.telemetry) return;
  telemetry::TelemetryTarget target{span_.trace_id, span_.span_id, record_.id, fs::absolute(env_.dir.root).string(),
                                  env_.dir.relative(dir_)};
  telemetry::AgentTelemetry t = env_.telemetry->begin_agent(target);
  telemetry_token_ = t.token;
  // Last, over runner.env: a base URL there is the proxy's upstream (run_command.cpp), not where the agent goes.
  for (auto& [name, value] : t.env) spec.env[name] = value;
}

void AgentRun::end_telemetry() {
  if (telemetry_token_.empty()) return;
  env_.telemetry->end_agent(telemetry_token_);
  telemetry_token_.clear();
}

void AgentRun::watch(std::unique_ptr<runners::RunningProcess> process) {
  process_ = std::move(process);
  track_process_group(process_->pid());
  env_.reactor->add(*process_, [this](std::string_view chunk) { on_output(chunk); });
}

void AgentRun::drop_process(bool kill) {
  if (!process_) return;
  env_.reactor->remove(*process_);
  // Also after a normal exit: background children the process left must not outlive it.
  process_->kill_tree(kill ? kKillGrace : std::chrono::milliseconds(200));
  // Only now: a second Ctrl-C during the grace above must still KILL this group.
  untrack_process_group(process_->pid());
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

std::string AgentRun::expand(const std::string& arg) const {
  const auto& strategy = record_.strategy_json;
  std::string model = strategy.value("model", "");
  if (model.empty()) model = env_.config.runner.env.count("MODEL") ? env_.config.runner.env.at("MODEL") : "";
  // A strategy sets the reasoning effort as its parameter `effort`; else the runner's EFFORT variable.
  std::string effort;
  if (auto params = strategy.find("params"); params != strategy.end() && params->is_object())
    if (auto e = params->find("effort"); e != params->end()) effort = e->is_string() ? e->get<std::string>() : e->dump();
  if (effort.empty()) effort = env_.config.runner.env.count("EFFORT") ? env_.config.runner.env.at("EFFORT") : "";
  const std::pair<const char*, std::string> vars[] = {
      {"{prompt_file}", fs::absolute(dir_ + "/prompt.md").string()},
      {"{workspace}", workspace_ ? workspace_->path() : ""},
      {"{model}", model},
      {"{effort}", effort},
      {"{agent_id}", record_.id},
      {"{generation}", std::to_string(record_.generation)},
      {"{strategy}", record_.strategy},
      {"{run_dir}", fs::absolute(env_.dir.root).string()},
      {"{seed}", std::to_string(env_.seed * 1000003ull + record_.generation * 1000ull + record_.slot)},
      {"{demo_agent}", env_.demo_agent_path},
      {"{attempt}", std::to_string(record_.attempt)},
  };
  std::string out = arg;
  for (const auto& [name, value] : vars) {
    for (size_t pos = out.find(name); pos != std::string::npos; pos = out.find(name, pos + value.size()))
      out.replace(pos, std::strlen(name), value);
  }
  return out;
}

void AgentRun::name_job(runners::LaunchSpec& spec, const char* what) const {
  std::string run_dir = fs::absolute(env_.dir.root).string();
  // Markers that let a resumed run find and kill what a crashed harness left running (leftovers.h).
  spec.env["HARNESS_RUN_DIR"] = run_dir;
  spec.env["HARNESS_AGENT_ID"] = record_.id;
  spec.job_name = slurm_job_name(run_dir, record_.id);
  spec.job_comment = fmt::format("harness {} of {} attempt {} in {}", what, record_.id, record_.attempt, run_dir);
}

void AgentRun::sandbox_paths(runners::LaunchSpec& spec, const char* home) const {
  if (!env_.sandboxed) return;
  std::string own = fmt::format("{}/agents-home/{}.{}", fs::absolute(env_.dir.root).string(), record_.id,
                                record_.attempt);
  spec.writable_paths.push_back(own);  // the presets' CLAUDE_CONFIG_DIR and CODEX_HOME live here
  spec.readable_paths.push_back(fs::absolute(dir_).string());  // prompt.md
  spec.env["HOME"] = own + "/" + home;
}

void AgentRun::start() {
  started_ms_ = env_.clock.steady_ms();
  dir_ = env_.dir.agent(record_.generation, record_.slot, record_.attempt);
  fs::create_directories(dir_);

  span_.trace_id = env_.trace_id;
  span_.span_id = trace::derive_span_id(env_.trace_id, fmt::format("agent:{}:{}", record_.id, record_.attempt));
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
  record_.status = "running";
  write_file(dir_ + "/prompt.md", prompt_);

  std::string workspace_error;
  try {
    workspace_ = env_.workspaces.create(workspace_name(record_));
  } catch (const std::exception& e) {
    workspace_error = e.what();
  }
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

void AgentRun::launch_agent() {
  const RunnerConfig& runner = env_.config.runner;
  runners::LaunchSpec spec;
  for (const auto& arg : runner.command) {
    if (arg == "{param_args}") {  // one argument pair per strategy parameter
      const auto& params = record_.strategy_json.value("params", nlohmann::json::object());
      for (auto it = params.begin(); it != params.end(); ++it) {
        spec.argv.push_back("--param");
        spec.argv.push_back(it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump()));
      }
      continue;
    }
    spec.argv.push_back(expand(arg));
  }
  spec.cwd = workspace_->path();
  spec.stderr_path = dir_ + "/stderr.log";
  for (const auto& [k, v] : runner.env) spec.env[k] = expand(v);
  // Markers that let a resumed run find and kill what a crashed harness left running (leftovers.h).
  name_job(spec, "agent");
  spec.env["HARNESS_GENERATION"] = std::to_string(record_.generation);
  spec.env["HARNESS_STRATEGY"] = record_.strategy;
  spec.env["HARNESS_STRATEGY_JSON"] = record_.strategy_json.dump();
  spec.env["HARNESS_PROMPT_FILE"] = expand("{prompt_file}");
  spec.env["HARNESS_WORKSPACE"] = workspace_->path();
  spec.env["TRACEPARENT"] = fmt::format("00-{}-{}-01", span_.trace_id, span_.span_id);
  add_telemetry(spec);
  sandbox_paths(spec, "home");

  auto format = trace::format_from(runner.format).value_or(trace::Format::jsonl);
  std::string raw_path = dir_ + "/stdout.raw";
  trace::RawInput raw;
  raw.path = env_.dir.relative(raw_path);
  raw.format = std::string(trace::to_string(format));
  raw.trace_id = span_.trace_id;
  raw.parent_span_id = span_.span_id;
  raw.label = record_.id;
  raw.id = env_.store.add_raw_input(raw);
  stream_raw_id_ = raw.id;
  raw_sink_ = std::make_unique<trace::RawInputSink>(env_.store, raw.id);
  activity_ = std::make_unique<AgentActivity>(*raw_sink_, env_.clock);
  trace::DecodeContext ctx;
  ctx.sink = activity_.get();
  ctx.trace_id = span_.trace_id;
  ctx.parent_span_id = span_.span_id;
  ctx.scope = fmt::format("raw:{}", raw.id);  // as trace::rebuild derives it: rebuilt ids are the same
  ctx.label = record_.id;
  ctx.live_clock = true;
  capture_ = std::make_unique<trace::StreamCapture>(trace::make_decoder(format, ctx), raw_path, kRawLimit);

  try {
    watch(env_.launcher.start(spec));
  } catch (const runners::SystemFailure& e) {
    // Slurm's fault, not the agent's: its message is kept where the loop's stop rule and the report see it.
    system_failure_ = e.what();
    span_.attributes["harness.system_failure"] = system_failure_;
    event("agent.launch_failed", {{"error", e.what()}, {"argv", spec.argv}, {"system", true}});
    return agent_finished(AgentOutcome::launch_failed, e.what());
  } catch (const std::exception& e) {
    event("agent.launch_failed", {{"error", e.what()}, {"argv", spec.argv}});
    return agent_finished(AgentOutcome::launch_failed, e.what());
  }
  launched_ = true;
  record_.external_id = process_->external_id();
  // Durable at once: a harness killed from here on leaves the job id where `resume` finds (and cancels) it.
  env_.store.transaction([&] {
    env_.state.save_agent(record_);
    event("agent.spawned", {{"strategy", record_.strategy}, {"attempt", record_.attempt},
                            {"process", record_.external_id}, {"workspace", workspace_->path()}});
  });
  env_.progress.log(fmt::format("{} spawned ({}, {})", record_.id, record_.strategy, record_.external_id));
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
  if (verify_log_bytes_ < kVerifyLogLimit) {
    std::ofstream log(dir_ + "/verify.log", std::ios::binary | std::ios::app);
    size_t n = std::min<uint64_t>(bytes.size(), kVerifyLogLimit - verify_log_bytes_);
    log.write(bytes.data(), static_cast<std::streamsize>(n));
    verify_log_bytes_ += n;
  }
}

void AgentRun::on_exit(const runners::ExitStatus& status) {
  std::string failure = process_ ? process_->system_failure() : "";
  if (phase_ == Phase::running) {
    if (!failure.empty()) {
      // Slurm ended it (node failure, cancelled from outside, time limit): recorded as a crash in Slurm's words.
      system_failure_ = failure;
      span_.attributes["harness.system_failure"] = failure;
      event("agent.system_failed", {{"error", failure}, {"process", record_.external_id},
                                    {"exit", status.describe()}});
      return agent_finished(AgentOutcome::crashed, failure);
    }
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

void AgentRun::agent_finished(AgentOutcome outcome, const std::string& reason) {
  drop_process(false);
  end_telemetry();  // what the agent exported is settled before the attempt is recorded
  if (capture_) capture_->finish();
  record_.outcome = outcome;
  record_.exit_description = reason;
  record_.end_reason = reason;
  if (capture_ && capture_->raw_truncated()) event("capture.truncated", {{"limit_bytes", kRawLimit}});
  if (capture_ && !env_.config.runner.transcripts.empty()) {
    try {
      pick_up_transcripts();
    } catch (const std::exception& e) {  // a transcript problem costs detail, never the agent's record
      event("transcripts.error", {{"error", e.what()}});
    }
  }
  bool verifiable = (outcome == AgentOutcome::completed || outcome == AgentOutcome::crashed) && workspace_;
  if (verifiable) {
    try {
      record_.changed_files = workspace_->changed_files();
    } catch (const std::exception& e) {
      event("workspace.error", {{"error", e.what()}});
    }
  }
  if (verifiable && !record_.changed_files.empty() && !env_.config.verify.command.empty()) {
    phase_ = Phase::verifying;
    try {
      workspace_->restore_paths(env_.config.verify.protected_paths);
    } catch (const std::exception& e) {
      event("workspace.error", {{"error", e.what()}});
    }
    record_.verify.ran = true;
    record_.verify.repeats = 0;
    return start_verify_repeat();
  }
  finalize();
}

void AgentRun::pick_up_transcripts() {
  std::vector<std::string> patterns;
  for (const auto& pattern : env_.config.runner.transcripts) patterns.push_back(expand(pattern));
  fs::path root = fs::absolute(env_.dir.root);
  auto format = trace::format_from(env_.config.runner.format).value_or(trace::Format::jsonl);
  TranscriptPickup found =
      pick_up_session_files(env_.store, root.string(), span_.trace_id, stream_raw_id_, format, patterns);
  if (found.sessions.empty()) return;
  auto relative = [&](const std::string& f) { return fs::path(f).lexically_relative(root).string(); };
  nlohmann::json sessions = nlohmann::json::array(), imported = nlohmann::json::array(),
                 usage = nlohmann::json::array();
  for (const auto& f : found.sessions) sessions.push_back(relative(f));
  for (const auto& f : found.imported) imported.push_back(relative(f));
  for (const auto& f : found.usage_files) usage.push_back(relative(f));
  event("transcripts.picked_up", {{"sessions", sessions}, {"subagents_imported", imported}, {"usage_from", usage},
                                  {"calls_matched", found.calls_matched}, {"calls_added", found.calls_added},
                                  {"errors", found.errors}});
}

void AgentRun::settle_totals() {
  // A call both the proxy and the agent's own output saw is counted once, where the agent made it.
  if (env_.telemetry && env_.telemetry->proxy()) {
    // Its calls ended with its connections; their spans are written from the proxy's threads.
    if (!env_.telemetry->proxy()->wait_idle(span_.span_id, std::chrono::seconds(2)))
      event("proxy.calls_unsettled", {{"waited_ms", 2000}});
    trace::reconcile_proxy_usage(env_.store, span_.span_id);
  }
  // From the trace, not from what was seen live: transcripts picked up after the session replaced the stream's
  // partial subagents and provisional figures, and proxy spans count too. Status, reports, the observer and
  // budgets then read the totals `trace stats` shows.
  apply_trace_totals(env_.store, record_);
}

void AgentRun::start_verify_repeat() {
  verify_output_tail_.clear();
  verify_started_ms_ = env_.clock.steady_ms();
  int repeat = record_.verify.repeats + 1;
  std::string header = fmt::format("== verify repeat {}/{}: {}\n", repeat, env_.config.verify.repeat,
                                   env_.config.verify.command);
  on_output(header);
  runners::LaunchSpec spec;
  spec.argv = {"/bin/sh", "-c", env_.config.verify.command};
  spec.cwd = workspace_->path();
  spec.stderr_path = dir_ + "/verify.log";
  spec.env["HARNESS_VERIFY_REPEAT"] = std::to_string(repeat);
  name_job(spec, "verify");
  sandbox_paths(spec, "verify-home");
  try {
    watch((env_.verify_launcher ? *env_.verify_launcher : env_.launcher).start(spec));
  } catch (const std::exception& e) {
    verify_output_tail_ = fmt::format("verify could not start: {}", e.what());
    verify_finished(runners::ExitStatus{127, 0});
  }
}

void AgentRun::verify_finished(const runners::ExitStatus& status) {
  drop_process(false);
  record_.verify.repeats += 1;
  if (status.ok()) {
    record_.verify.passes += 1;
  } else if (record_.verify.first_failure.empty()) {
    record_.verify.first_failure = first_failure_line(verify_output_tail_);
    if (record_.verify.first_failure.empty()) record_.verify.first_failure = "verify " + status.describe();
  }
  on_output(fmt::format("== repeat {} {}\n", record_.verify.repeats, status.describe()));
  if (record_.verify.repeats < env_.config.verify.repeat) return start_verify_repeat();
  finalize();
}

void AgentRun::finalize() {
  phase_ = Phase::done;
  std::string patch;
  if (workspace_) {
    try {
      patch = workspace_->capture_patch();
      if (record_.changed_files.empty()) record_.changed_files = workspace_->changed_files();
    } catch (const std::exception& e) {
      event("workspace.error", {{"error", e.what()}});
    }
  }
  if (!patch.empty()) write_file(dir_ + "/patch.diff", patch);
  if (activity_) settle_totals();
  bool interrupted = record_.outcome == AgentOutcome::interrupted;
  record_.status = interrupted ? "interrupted" : "completed";
  record_.finished_ns = env_.clock.wall_ns();
  span_.end_ns = record_.finished_ns;
  span_.status = record_.outcome == AgentOutcome::completed ? trace::SpanStatus::ok : trace::SpanStatus::error;
  // Usage stays on the llm spans below: copying it onto the agent span would count it twice in stats.
  span_.attributes["harness.outcome"] = to_string(record_.outcome);
  span_.attributes["harness.verify"] = record_.verify.label();
  span_.attributes["harness.end_reason"] = record_.end_reason;
  if (!record_.external_id.empty()) span_.attributes["harness.process"] = record_.external_id;
  if (record_.external_id.rfind("slurm:", 0) == 0) span_.attributes["slurm.job_id"] = record_.external_id.substr(6);
  env_.store.transaction([&] {
    env_.store.put_span(span_);
    if (record_.verify.ran)
      event(record_.verify.passed() ? "verify.passed" : "verify.failed",
            {{"passes", record_.verify.passes}, {"repeats", record_.verify.repeats},
             {"first_failure", record_.verify.first_failure}, {"changed_files", record_.changed_files}});
    if (!interrupted)
      event("agent.completed", {{"outcome", std::string(to_string(record_.outcome))},
                                {"verify", record_.verify.label()}, {"reason", record_.end_reason}});
    env_.state.save_agent(record_);
    event("checkpoint.saved", {{"status", record_.status}});
  });
  env_.progress.log(fmt::format("{} {}: {}; verify {} ({}/{}); {} tools, {} tokens", record_.id,
                                to_string(record_.outcome), record_.end_reason, record_.verify.label(),
                                record_.verify.passes, record_.verify.repeats, record_.tool_calls,
                                record_.input_tokens + record_.output_tokens));
  if (!workspace_) return;
  if (!keeps_workspace(env_.config.workspace.keep, record_)) {
    try {
      workspace_->remove();
    } catch (const std::exception& e) {
      env_.progress.log(fmt::format("{}: could not remove workspace: {}", record_.id, e.what()));
    }
  }
}

}  // namespace harness
