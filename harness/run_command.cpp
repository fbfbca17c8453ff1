#include "harness/run_command.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/agent_processes.h"
#include "harness/config/config.h"
#include "harness/exit_codes.h"
#include "harness/generation_loop.h"
#include "harness/inherit_runs.h"
#include "harness/interrupt.h"
#include "harness/launchers.h"
#include "harness/planner.h"
#include "harness/sandbox_setup.h"
#include "harness/status_view.h"
#include "harness/state/run_lock.h"
#include "runners/captured_command.h"
#include "telemetry/run_telemetry.h"
#include "trace/ids.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

Config load_or_throw(const std::string& path) {
  LoadResult loaded = load_config(path);
  if (!loaded.config) {
    std::string msg;
    for (const auto& e : loaded.errors) msg += e.format() + "\n";
    if (!msg.empty()) msg.pop_back();
    throw UsageError(msg);
  }
  return *loaded.config;
}

// Runs a set-up step (prepare, a baseline verify) to its end through `launcher` (the sandbox's when the run is
// sandboxed); an interrupt ends it. `output` is what it printed (stdout, then the end of stderr).
runners::CapturedOutput run_setup_step(runners::ProcessLauncher& launcher, const runners::LaunchSpec& spec,
                                       double timeout_s, std::string& output) {
  runners::CaptureOptions capture;
  capture.launcher = &launcher;
  capture.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  capture.max_output_bytes = 1 << 20;  // kept for the message; a noisy step still runs to its end
  capture.end_when_too_big = false;
  capture.stderr_tail_bytes = 64 << 10;
  capture.stop = interrupt_requested;
  auto run = runners::run_captured(spec, capture);
  output = run.out + run.err;
  if (run.stopped) output += "\n(interrupted)\n";
  if (run.timed_out) output += fmt::format("\n(timed out after {}s)\n", timeout_s);
  if (run.too_big) output += "\n(output beyond 1 MiB not kept)\n";
  return run;
}

// Set-up is over when the user pressed Ctrl-C: nothing has been written yet, exit 130 as every interrupt does.
void stop_if_interrupted(const char* step) {
  if (interrupt_requested()) throw FatalError(kExitInterrupted, fmt::format("interrupted during {}", step));
}

void run_prepare(const Config& c, runners::ProcessLauncher& launcher, Progress& progress) {
  if (c.target.prepare.empty()) return;
  runners::LaunchSpec spec;
  spec.argv = {"/bin/sh", "-c", c.target.prepare};
  spec.cwd = fs::path(c.path).parent_path().string();
  if (spec.cwd.empty()) spec.cwd = ".";
  std::string out;
  auto run = run_setup_step(launcher, spec, 600, out);
  stop_if_interrupted("target.prepare");
  if (!run.status.ok() || run.ended_by_us())
    throw UsageError(fmt::format("{}: target.prepare `{}` failed ({}):\n{}", c.path, c.target.prepare,
                                 run.status.describe(), out));
  progress.log(fmt::format("target prepared: {}", c.target.prepare));
}

// The bug must reproduce on the base: if verify passes there, no fix can be told from no change.
void check_baseline(const Config& c, runners::ProcessLauncher& launcher, Progress& progress) {
  if (!c.verify.baseline) return;
  std::string root = (fs::temp_directory_path() / fmt::format("harness-baseline-{}", getpid())).string();
  auto factory = make_workspace_factory(c.target.repo, c.target.base_ref, root);
  auto created = factory->create("baseline");
  if (!created.ok()) throw FatalError(kExitInfra, "baseline check: " + created.error());
  std::unique_ptr<Workspace> ws = std::move(created).value();
  int passes = 0;
  for (int i = 0; i < c.verify.repeat; ++i) {
    runners::LaunchSpec spec;
    spec.argv = {"/bin/sh", "-c", c.verify.command};
    spec.cwd = ws->path();
    std::string out;
    auto run = run_setup_step(launcher, spec, c.verify.timeout_s, out);
    if (!run.status.ok() || run.ended_by_us()) break;
    ++passes;
  }
  ws->remove();
  std::error_code ec;
  fs::remove_all(root, ec);
  stop_if_interrupted("the baseline check");
  if (passes == c.verify.repeat)
    throw UsageError(fmt::format(
        "{}: bug not reproduced: verify `{}` passed {}/{} times on the base ({}); refusing to start. "
        "Check verify.command and target.base_ref.",
        c.path, c.verify.command, passes, c.verify.repeat, c.target.base_ref));
  progress.log(fmt::format("baseline: verify fails on the base as expected (after {} pass{})", passes,
                           passes == 1 ? "" : "es"));
}

std::string default_run_dir(const Config& c) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return fmt::format("runs/{}-{}", c.name, buf);
}

// Where the built demo agent is: next to this binary's build tree (build/harness/harness ->
// build/examples/ledger/demo-agent), or HARNESS_DEMO_AGENT.
std::string find_demo_agent() {
  if (const char* env = std::getenv("HARNESS_DEMO_AGENT")) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "demo-agent";
  fs::path candidate = exe.parent_path().parent_path() / "examples" / "ledger" / "demo-agent";
  return fs::exists(candidate) ? candidate.string() : "demo-agent";
}

// The run's OTLP receiver and LLM proxy (null when both are off). A base URL in runner.env is where the proxy
// forwards to, unless proxy.*_upstream says otherwise: turning the proxy on changes nothing else.
// Sandboxed, model traffic always goes through the proxy (so every call is recorded), and an egress proxy
// decides (and records) every other connection out.
std::unique_ptr<telemetry::RunTelemetry> start_telemetry(const Config& c, trace::Store& store,
                                                       const std::string& run_span_id, Progress& progress,
                                                       bool sandboxed, const trace::PriceTable& prices,
                                                       telemetry::SpendLedger& ledger) {
  bool egress = sandboxed && !c.sandbox.share_network;
  if (!c.telemetry.otlp_receiver && !c.proxy.enabled && !sandboxed) return nullptr;
  telemetry::TelemetryOptions o;
  o.otlp_receiver = c.telemetry.otlp_receiver;
  o.proxy = c.proxy.enabled || sandboxed;
  if (egress) {
    std::vector<telemetry::AllowedHost> allow;
    std::string unused;
    for (const auto& entry : c.sandbox.allow_hosts)
      if (auto a = telemetry::parse_allowed_host(entry, unused)) allow.push_back(*a);
    o.egress_allow = allow;
  }
  auto upstream = [&](const std::string& configured, const char* env_name, const std::string& fallback) {
    if (!configured.empty()) return configured;
    auto it = c.runner.env.find(env_name);
    return it != c.runner.env.end() && !it->second.empty() ? it->second : fallback;
  };
  o.anthropic_upstream = upstream(c.proxy.anthropic_upstream, "ANTHROPIC_BASE_URL", o.anthropic_upstream);
  o.openai_upstream = upstream(c.proxy.openai_upstream, "OPENAI_BASE_URL", o.openai_upstream);
  o.otlp_max_body_bytes = static_cast<size_t>(c.telemetry.max_body_mb) << 20;
  o.otlp_raw_limit = static_cast<uint64_t>(c.limits.otlp_mb) << 20;
  o.proxy_max_request_bytes = static_cast<size_t>(c.proxy.max_request_mb) << 20;
  o.prices = &prices;
  o.ledger = &ledger;
  std::unique_ptr<telemetry::RunTelemetry> t;
  try {
    t = std::make_unique<telemetry::RunTelemetry>(store, o, run_span_id);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{}: proxy: {}", c.path, e.what()));
  }
  t->start();
  if (t->receiver()) progress.log(fmt::format("OTLP receiver on {}", t->receiver()->endpoint()));
  if (t->egress())
    progress.log(fmt::format("egress proxy on 127.0.0.1:{} (allowed: {})", t->egress()->port(),
                             c.sandbox.allow_hosts.empty() ? "none" : fmt::format("{}", fmt::join(c.sandbox.allow_hosts, ", "))));
  if (t->proxy())
    progress.log(fmt::format("LLM proxy on {} (anthropic -> {}, openai -> {})", t->proxy()->base_url(),
                             o.anthropic_upstream, o.openai_upstream));
  return t;
}

// The run span says whether agents were sandboxed (harness.sandbox) and, when not by choice, why.
void record_sandbox(trace::Store& store, const std::string& run_span_id, const SandboxDecision& d) {
  auto span = store.span(run_span_id);
  if (!span) return;
  span->attributes["harness.sandbox"] = d.status;
  if (!d.warning.empty()) span->attributes["harness.sandbox_warning"] = d.warning;
  store.put_span(*span);
  trace::Event e;
  e.span_id = run_span_id;
  e.time_ns = SystemClock().wall_ns();
  e.type = d.warning.empty() ? "sandbox.decided" : "sandbox.unconfined";
  e.payload = {{"status", d.status}};
  if (!d.warning.empty()) e.payload["warning"] = d.warning;
  store.put_event(e);
}

int drive(const Config& config, const std::string& run_dir, trace::Store& store, RunState& state,
          ProgressMode mode, uint64_t seed, const SandboxDecision& sandbox) {
  auto progress = make_progress(mode);
  auto run0 = *state.run();
  record_sandbox(store, run0.span_id, sandbox);
  if (!sandbox.warning.empty()) progress->log("WARNING: " + sandbox.warning);
  else if (sandbox.active) progress->log("sandbox: every agent and verify run in a bwrap sandbox of its own");
  // Validated with the config; a failure here would be a defect, reported as a usage error all the same.
  auto prices = trace::PriceTable::builtin().with_overrides(config.price_overrides, config.path + ": budget.prices");
  if (!prices) throw UsageError(prices.error());
  telemetry::SpendLedger ledger(spend_limits(config));
  auto telemetry = start_telemetry(config, store, run0.span_id, *progress, sandbox.active, *prices, ledger);
  std::unique_ptr<telemetry::SandboxBridges> bridges;
  std::optional<runners::SandboxPolicy> policy;
  if (sandbox.active) {
    if (telemetry && !config.sandbox.share_network) bridges = std::make_unique<telemetry::SandboxBridges>(telemetry->ports());
    policy = sandbox_policy(config, bridges.get());
  }
  auto launcher = make_agent_launcher(config, policy ? &*policy : nullptr);
  auto verify_launcher = make_verify_launcher(config, policy ? &*policy : nullptr);
  std::string ws_root = config.workspace.root.empty() ? run_dir + "/workspaces" : config.workspace.root;
  auto workspaces = make_workspace_factory(config.target.repo, config.target.base_ref, ws_root);
  // No prune() on resume: it would also delete the workspaces kept (winners) of earlier generations. The loop
  // discards the workspace of each attempt it re-runs; the new attempt gets its own (<id>.attemptN).
  SystemClock clock;
  auto run = run0;
  auto processes = make_agent_processes(config, run_dir, *launcher, *verify_launcher);
  AgentEnvironment env{config, RunDir{run_dir}, store, state, *processes, *workspaces, clock, *progress, ledger,
                       run.trace_id, seed, find_demo_agent()};
  env.telemetry = telemetry.get();
  env.sandboxed = sandbox.active;
  auto planner = make_planner(env);
  GenerationLoop loop(env, *planner);
  LoopResult result = loop.run();
  if (telemetry) telemetry->stop();  // calls still in flight are recorded as cut short by the run's end
  store.flush();
  progress->finish();
  if (result.exit_code != kExitInterrupted)
    progress->log(fmt::format("run finished: {} validated fix{} ({}); run dir {}", result.validated_fixes,
                              result.validated_fixes == 1 ? "" : "es", result.stop_reason, run_dir));
  std::error_code ec;
  if (fs::is_empty(ws_root, ec)) fs::remove(ws_root, ec);
  return result.exit_code;
}

}  // namespace

int run_command(const RunOptions& options) {
  install_interrupt_handlers();
  Config config = load_or_throw(options.config_path);
  std::string run_dir = options.run_dir.empty() ? default_run_dir(config) : options.run_dir;
  if (fs::exists(fs::path(run_dir) / "run.db"))
    throw UsageError(fmt::format("{}: already holds a run; use `harness resume {}` or another --run-dir", run_dir,
                                 run_dir));
  uint64_t seed = options.seed ? *options.seed : config.seed ? *config.seed : std::random_device{}();
  SandboxDecision sandbox = decide_sandbox(config);
  {
    auto progress = make_progress(options.progress);
    // The baseline runs as verify will: sandboxed when the run is (no bridges: verify gets no servers).
    std::optional<runners::SandboxPolicy> policy;
    if (sandbox.active) policy = sandbox_policy(config, nullptr);
    auto plain = runners::make_local_launcher();
    auto boxed = policy ? runners::make_sandbox_launcher(runners::make_local_launcher(), *policy) : nullptr;
    run_prepare(config, boxed && config.sandbox.prepare ? *boxed : *plain, *progress);
    check_baseline(config, boxed ? *boxed : *plain, *progress);
  }
  // After prepare (it may create the repository): what the run is about, and the earlier runs it starts from.
  TargetIdentity target = target_identity(config);
  std::vector<std::string> from_dirs = config.from;
  from_dirs.insert(from_dirs.end(), options.from.begin(), options.from.end());
  std::vector<InheritedRun> earlier = check_earlier_runs(from_dirs, target, options.force);
  fs::create_directories(run_dir);
  run_dir = fs::canonical(run_dir).string();
  std::optional<RunLock> lock = RunLock::try_acquire(run_dir);
  if (!lock) throw UsageError(fmt::format("{}: another harness is running this run dir", run_dir));
  {
    std::ofstream snap(run_dir + "/config.yaml");
    snap << config.snapshot_yaml;
  }
  auto store = trace::Store::open(run_dir + "/run.db");
  RunState state(*store);
  RunRecord run;
  run.id = fs::path(run_dir).filename().string();
  run.config_hash = config.hash;
  run.trace_id = trace::random_trace_id();
  run.span_id = trace::derive_span_id(run.trace_id, "run");
  run.seed = seed;
  run.created_ns = SystemClock().wall_ns();
  store->transaction([&] {
    trace::Span span;
    span.trace_id = run.trace_id;
    span.span_id = run.span_id;
    span.session_id = "";
    span.kind = trace::SpanKind::run;
    span.name = config.name;
    span.start_ns = run.created_ns;
    span.attributes = {{"harness.run_id", run.id},
                       {"harness.seed", seed},
                       {"harness.config_hash", config.hash},
                       {"harness.target.repo", target.repo},
                       {"harness.target.base_commit", target.base_commit}};
    store->put_span(span);
    state.save_run(run);
    store->set_meta("trace_id", run.trace_id);
    store->set_meta("config_path", fs::absolute(config.path).string());
    trace::Event e;
    e.span_id = run.span_id;
    e.time_ns = run.created_ns;
    e.type = "run.created";
    e.payload = {{"config", fs::absolute(config.path).string()}, {"seed", seed}};
    store->put_event(e);
  });
  if (!earlier.empty()) {
    earlier = inherit_observations(*store, std::move(earlier), run.span_id, SystemClock().wall_ns());
    auto progress = make_progress(options.progress);
    for (const auto& r : earlier)
      progress->log(fmt::format("inherited {} observations from {}{}", r.observations, r.dir,
                                r.other_target ? " (another target, --force: " + r.target_note + ")" : ""));
  }
  if (options.on_started) options.on_started(run_dir);
  return drive(config, run_dir, *store, state, options.progress, seed, sandbox);
}

int resume_command(const std::string& run_dir_arg, bool force, ProgressMode mode,
                   const std::function<void(const std::string& run_dir)>& on_started) {
  install_interrupt_handlers();
  if (!fs::exists(fs::path(run_dir_arg) / "run.db"))
    throw UsageError(fmt::format("{}: no run here (missing run.db)", run_dir_arg));
  std::string run_dir = fs::canonical(run_dir_arg).string();
  std::optional<RunLock> lock = RunLock::try_acquire(run_dir);
  if (!lock)
    throw UsageError(fmt::format("{}: another harness is running this run now (it holds {}/harness.lock): "
                                 "`harness status {}` follows it",
                                 run_dir, run_dir, run_dir));
  auto store = trace::Store::open(run_dir + "/run.db");
  RunState state(*store);
  auto run = state.run();
  if (!run) throw UsageError(fmt::format("{}: run.db holds no harness run", run_dir));
  if (run->status == RunStatus::completed) {
    fmt::print(stderr, "{}: run already completed (exit {}); nothing to resume\n", run_dir, run->exit_code);
    return run->exit_code;
  }
  auto config_path = store->meta("config_path");
  if (!config_path || !fs::exists(*config_path))
    throw UsageError(fmt::format("{}: the run's config {} is gone", run_dir, config_path.value_or("?")));
  Config config = load_or_throw(*config_path);
  if (config.hash != run->config_hash && !force)
    throw UsageError(fmt::format("{}: config {} changed since the run started (hash {} != {}); pass --force to "
                                 "resume with the new config",
                                 run_dir, *config_path, config.hash.substr(0, 12), run->config_hash.substr(0, 12)));
  run->status = RunStatus::running;
  state.save_run(*run);
  if (on_started) on_started(run_dir);
  return drive(config, run_dir, *store, state, mode, run->seed, decide_sandbox(config));
}

int status_command(const std::string& run_dir, bool json) {
  if (!fs::exists(fs::path(run_dir) / "run.db")) throw UsageError(fmt::format("{}: no run here (missing run.db)", run_dir));
  auto store = trace::Store::open(run_dir + "/run.db", trace::Store::Mode::read_only);
  RunState state(*store);
  auto view = build_status(*store, state);
  // run.db says "running" until the harness records how the run ended; a harness killed (or stopped by a full
  // disk) never does. Its lock says whether it is still there.
  if (view.value("status", "") == "running" && !RunLock::held(run_dir)) {
    view["status"] = "stopped";
    view["note"] = fmt::format("no harness is running it (killed, crashed or out of disk): `harness resume {}` "
                               "continues it",
                               run_dir);
  }
  if (json)
    fmt::print("{}\n", view.dump(2));
  else
    fmt::print("{}", format_status(view));
  return kExitOk;
}

}  // namespace harness
