// How an agent attempt is launched: its command line and environment from the runner and its strategy, the
// telemetry servers it reports to, its sandbox paths, the live capture of its stdout. Part of AgentRun.
#include <fmt/format.h>

#include <filesystem>

#include "harness/agent_run.h"
#include "harness/launchers.h"

namespace fs = std::filesystem;

namespace harness {

void AgentRun::add_telemetry(runners::LaunchSpec& spec) {
  if (!env_.telemetry) return;
  telemetry::TelemetryTarget target{span_.trace_id, span_.span_id, record_.id,
                                  fs::absolute(env_.dir.root).string(), env_.dir.relative(dir_)};
  telemetry::AgentTelemetry t = env_.telemetry->begin_agent(target);
  telemetry_token_ = t.token;
  // Last, over runner.env: a base URL there is the proxy's upstream (run_command.cpp), not where the agent
  // goes.
  for (auto& [name, value] : t.env) spec.env[name] = value;
}

void AgentRun::end_telemetry() {
  if (telemetry_token_.empty()) return;
  env_.telemetry->end_agent(telemetry_token_);
  telemetry_token_.clear();
}

std::string AgentRun::expand(const std::string& arg) const {
  const auto& strategy = record_.strategy_json;
  std::string model = strategy.value("model", "");
  if (model.empty()) model = env_.config.runner.env.count("MODEL") ? env_.config.runner.env.at("MODEL") : "";
  // A strategy sets the reasoning effort as its parameter `effort`; else the runner's EFFORT variable.
  std::string effort;
  if (auto params = strategy.find("params"); params != strategy.end() && params->is_object())
    if (auto e = params->find("effort"); e != params->end())
      effort = e->is_string() ? e->get<std::string>() : e->dump();
  if (effort.empty())
    effort = env_.config.runner.env.count("EFFORT") ? env_.config.runner.env.at("EFFORT") : "";
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
  spec.job_comment =
      fmt::format("harness {} of {} attempt {} in {}", what, record_.id, record_.attempt, run_dir);
}

void AgentRun::sandbox_paths(runners::LaunchSpec& spec, const char* home) const {
  if (!env_.sandboxed) return;
  std::string own =
      fmt::format("{}/agents-home/{}.{}", fs::absolute(env_.dir.root).string(), record_.id, record_.attempt);
  spec.writable_paths.push_back(own);  // the presets' CLAUDE_CONFIG_DIR and CODEX_HOME live here
  spec.readable_paths.push_back(fs::absolute(dir_).string());  // prompt.md
  spec.env["HOME"] = own + "/" + home;
}

runners::LaunchSpec AgentRun::agent_spec() {
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
  spec.stderr_path = dir_ + "/stderr.log";  // where a launcher that cannot pipe stderr (Slurm) writes it
  spec.stderr_pipe = true;                   // else it comes back to be bounded and redacted (on_stderr)
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
  return spec;
}

void AgentRun::open_capture() {
  auto format = trace::format_from(env_.config.runner.format).value_or(trace::Format::jsonl);
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
  std::optional<observer::LoopSettings> loops;
  if (env_.config.runner.on_loop != "off")
    loops = observer::LoopSettings{env_.config.runner.loop_repeats, 3, env_.config.runner.loop_model_calls};
  activity_ = std::make_unique<AgentActivity>(*raw_sink_, env_.clock, loops);
  trace::DecodeContext ctx;
  ctx.sink = activity_.get();
  ctx.trace_id = span_.trace_id;
  ctx.parent_span_id = span_.span_id;
  ctx.scope = fmt::format("raw:{}", raw.id);  // as trace::rebuild derives it: rebuilt ids are the same
  ctx.label = record_.id;
  ctx.live_clock = true;
  capture_ = std::make_unique<trace::StreamCapture>(trace::make_decoder(format, ctx), raw_path,
                                                 static_cast<uint64_t>(env_.config.limits.stdout_mb) << 20);
}

void AgentRun::launch_agent() {
  env_.ledger.open_agent(span_.span_id, record_.generation);  // before its first model call can reach the proxy
  runners::LaunchSpec spec = agent_spec();
  open_capture();
  if (auto started = watch(ProcessRole::agent, spec); !started.ok()) {
    const StartFailure& failure = started.error();
    nlohmann::json payload{{"error", failure.message}, {"argv", spec.argv}};
    if (failure.system) {
      // Slurm's fault, not the agent's: its message is kept where the loop's stop rule and the report see it.
      system_failure_ = failure.message;
      span_.attributes["harness.system_failure"] = system_failure_;
      payload["system"] = true;
    }
    event("agent.launch_failed", std::move(payload));
    return agent_finished(AgentOutcome::launch_failed, failure.message);
  }
  launched_ = true;
  record_.external_id = process_->external_id();
  // Durable at once: a harness killed from here on leaves the job id where `resume` finds (and cancels) it.
  env_.store.transaction([&] {
    env_.state.save_agent(record_);
    event("agent.spawned", {{"strategy", record_.strategy},
                            {"attempt", record_.attempt},
                            {"process", record_.external_id},
                            {"workspace", workspace_->path()}});
  });
  env_.progress.log(fmt::format("{} spawned ({}, {})", record_.id, record_.strategy, record_.external_id));
}

}  // namespace harness
