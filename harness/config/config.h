// The run configuration: what `harness run CONFIG` reads from YAML. Every key lives in one table
// (config_keys.cpp) with its type, default and doc; docs/config.md is that table in prose.
// Loading never throws for a user's mistake: it returns every error found, each with file:line:col.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace harness {

struct ConfigError {
  std::string file;
  int line = 0;  // 1-based; 0 when the error has no place (a missing required key names its parent's place)
  int column = 0;
  std::string message;  // what is wrong, the offending value, what was expected (and "did you mean" for typos)
  std::string format() const;  // "file:line:col: message"
};

struct TargetConfig {
  std::string repo;             // path to the repository (absolute after loading)
  std::string base_ref = "HEAD";
  std::string bug;              // the bug description, read from `bug_file` when that is given
  std::string prepare;          // optional command run (in the config's folder) before anything else
};

struct VerifyConfig {
  std::string command;          // run with /bin/sh -c in the workspace; exit 0 = pass
  int repeat = 1;               // a fix counts only if all repeats pass
  double timeout_s = 300;
  std::vector<std::string> protected_paths;  // restored from the base before verifying
  bool baseline = true;         // refuse to start if verify passes on the base ("bug not reproduced")
  std::string launcher = "local";  // local | slurm: where the command runs
};

struct Budget {
  int64_t tokens = 0;  // 0 = no limit
  double usd = 0;      // 0 = no limit
};

struct RunnerConfig {
  std::string preset;                        // "demo", "claude-code", "codex", "jsonl", "command"; or empty
  std::vector<std::string> command;          // argv template: {prompt_file} {workspace} {model} {agent_id} ...
  std::map<std::string, std::string> env;    // added to the agent's environment; values may use ${ENV}
  std::string format = "jsonl";              // decoder of its stdout: jsonl|claude-stream|codex|...
  std::vector<std::string> transcripts;      // globs of Claude Code transcripts picked up after the agent ends
  double wall_timeout_s = 1800;
  double idle_timeout_s = 300;               // no output or trace activity for this long = stuck, killed
  std::string on_loop = "kill";              // kill | warn | off: what a loop the live detector finds does
  int loop_repeats = 5;                      // the same action (or cycle of 2-3) this many times in a row = a loop
  int loop_model_calls = 10;                 // this many model calls in a row without a tool call = a loop (0: off)
  std::string launcher = "local";            // local | slurm
  // partition, time, cpus, mem, extra_args, submit_timeout, command_timeout (harness/launchers.h reads them)
  nlohmann::json slurm = nlohmann::json::object();
};

struct StopConfig {
  int after_fixes = 1;              // stop after this many validated fixes (0 = never on fixes)
  int no_progress_generations = 0;  // stop after this many generations in a row without progress (0 = never)
  double wall_clock_s = 0;          // stop launching after this long (0 = no limit)
};

struct ObserverConfig {
  bool inject = true;              // put observations into the next generation's prompts
  std::string command;             // optional LLM observer: digest JSON on stdin, observations JSON on stdout
  std::string llm = "none";        // built-in LLM observer: none | claude-code | codex (harness/advisor/)
  std::string llm_model;           // its model ("" = the CLI's default)
  bool digest_search = true;       // the LLM observer's digest carries trace-search hits of each failure
  double command_timeout_s = 120;  // observer.command, observer.llm and the meta-agent
  size_t prompt_budget_chars = 6000;
  bool incremental = true;         // observe each agent as it finishes: later agents of its generation see it
};

struct StrategyConfig {
  std::string name;
  nlohmann::json params = nlohmann::json::object();  // free-form parameters the prompt and the agent see
  std::string model;                                  // optional model override
  nlohmann::json space = nlohmann::json::object();    // for evolve: param -> allowed values or {min, max}
};

struct StrategiesConfig {
  std::string allocation = "round_robin";  // fixed | round_robin | bandit | evolve
  std::vector<StrategyConfig> list;        // from `strategies.list` (inline or preset names)
  std::string meta_command;                // optional meta-agent
  std::string meta = "none";               // built-in meta-agent: none | claude-code | codex (harness/advisor/)
  std::string meta_model;                  // its model ("" = the CLI's default)
  int reallocate_after = 2;                // failures the same way before a strategy's remaining slots move; 0 off
};

struct WorkspaceConfig {
  std::string root;                 // where worktrees go (default: <run dir>/workspaces)
  std::string keep = "winners";     // winners | failures | all | none
};

// The run's telemetry servers (telemetry/run_telemetry.h): an OTLP/HTTP receiver and an LLM API proxy.
struct TelemetryConfig {
  bool otlp_receiver = true;  // agents get OTEL_EXPORTER_OTLP_* pointing at the run's receiver
  int64_t max_body_mb = 16;   // OTLP bodies above this get 413
};

struct ProxyConfig {
  bool enabled = false;            // agents get ANTHROPIC_BASE_URL / OPENAI_BASE_URL pointing at the run's proxy
  std::string anthropic_upstream;  // empty: runner.env's ANTHROPIC_BASE_URL, else https://api.anthropic.com
  std::string openai_upstream;     // empty: runner.env's OPENAI_BASE_URL, else https://api.openai.com/v1
  int64_t max_request_mb = 64;
};

// What an agent or a verify run may make the harness keep on disk (harness/bounded_log.h): past a bound, a file
// keeps its head (and for logs its tail) and says how much was cut.
struct LimitsConfig {
  int64_t stdout_mb = 64;      // stdout.raw: the agent's stream kept verbatim up to this (decoding goes on past it)
  int64_t stderr_mb = 8;       // stderr.log: head and tail, half each
  int64_t verify_log_mb = 8;   // verify.log (verify stdout and stderr): head and tail, half each
  int64_t otlp_mb = 64;        // otlp.jsonl per agent: kept up to this (decoding goes on past it)
};

// The sandbox around every agent and verify run (runners/sandbox.h, docs/sandbox.md).
struct SandboxConfig {
  std::string mode = "auto";              // auto (on where bwrap works) | on (or fail) | off
  std::vector<std::string> writable;      // absolute paths every sandbox may write
  std::vector<std::string> readable;      // absolute paths under the hidden home folders shown read-only
  std::vector<std::string> allow_hosts;   // host[:port] reachable through the egress proxy
  bool share_network = false;             // keep the host's network (no private loopback, no egress control)
  bool prepare = false;                   // run target.prepare sandboxed too
};

struct Config {
  std::string path;          // the YAML file
  std::string run_dir;       // default run directory (runs/<name>-<timestamp>) unless --run-dir
  std::string name = "run";
  TargetConfig target;
  VerifyConfig verify;
  int generations = 5;
  int population = 4;
  int concurrency = 4;
  RunnerConfig runner;
  Budget agent_budget, generation_budget, run_budget;
  // budget.prices: model -> {input, output, cache_read, cache_write}, laid over the built-in price table.
  nlohmann::json price_overrides = nlohmann::json::object();
  StopConfig stop;
  ObserverConfig observer;
  StrategiesConfig strategies;
  WorkspaceConfig workspace;
  TelemetryConfig telemetry;
  ProxyConfig proxy;
  SandboxConfig sandbox;
  LimitsConfig limits;
  std::string prompt_template;  // path of a Mustache template; empty = templates/agent_prompt.mustache
  std::optional<uint64_t> seed;
  std::vector<std::string> from;  // earlier run dirs whose observations a new run starts with (harness run --from)

  // The config as written, with ${ENV} references left unexpanded: what goes into the run dir. Secrets never do.
  std::string snapshot_yaml;
  std::string hash;  // of snapshot_yaml: resume refuses a changed config unless --force
};

struct LoadResult {
  std::optional<Config> config;  // set when there are no errors
  std::vector<ConfigError> errors;
};

// Reads and checks a config file; relative paths in it are resolved against the file's folder.
LoadResult load_config(const std::string& path);
// Same, from text (tests); `path` names it in errors.
LoadResult load_config_text(const std::string& text, const std::string& path);
// The commented starter config `harness init` writes.
std::string starter_config();
// A one-paragraph summary of a loaded config: what `harness validate` prints under "ok".
std::string describe_config(const Config& config);

}  // namespace harness
