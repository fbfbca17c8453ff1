// The table itself. Order matters: it is the order of docs/config.md and of the starter config.
#include "harness/config/config_keys.h"

#include <limits>

// Entries name only the fields they set (designated initializers); the rest keep their member defaults, which is
// exactly what GCC's -Wextra warns about here.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace harness {
namespace {

using V = const ConfigValue&;
constexpr double kIntMax = std::numeric_limits<int>::max();

const std::vector<std::string> kFormats = {"jsonl", "claude-stream", "claude-transcript", "codex", "otlp"};

// Budget keys are the same three times; these build them.
ConfigKey budget_section(const std::string& scope, const std::string& doc) {
  return {.key = "budget." + scope, .type = KeyType::kSection, .doc = doc};
}

// The run: its name, the target and its bug, verify, generations and agents.
std::vector<ConfigKey> run_keys() {
  return {
      {.key = "name", .type = KeyType::kName, .default_value = "run",
       .doc = "A short name for the run; run directories are runs/<name>-<timestamp>.",
       .example = "my-bug-hunt", .in_starter = true,
       .apply = [](Config& c, V v) { c.name = v.text; }},

      {.key = "target", .type = KeyType::kSection, .doc = "The repository with the bug, and the bug."},
      {.key = "target.repo", .type = KeyType::kExistingDir,
       .doc = "The repository (a git repository, or a plain folder that is copied), relative to this file.",
       .required = true, .example = ".", .in_starter = true,
       .apply = [](Config& c, V v) { c.target.repo = v.text; }},
      {.key = "target.prepare", .type = KeyType::kString,
       .doc = "A shell command run in this file's folder before anything else (e.g. one that makes target.repo); "
              "the run stops if it fails. target.repo need not exist until it has run.",
       .example = "./prepare.sh", .apply = [](Config& c, V v) { c.target.prepare = v.text; }},
      {.key = "target.base_ref", .type = KeyType::kString, .default_value = "HEAD",
       .doc = "The git ref every agent starts from, in a detached worktree of its own.",
       .apply = [](Config& c, V v) { c.target.base_ref = v.text; }},
      {.key = "target.bug", .type = KeyType::kString,
       .doc = "The bug description every agent is given. Give this or bug_file.",
       .example = "|\nDescribe the bug: what fails, how often, what you already know.\n"
                  "The agents see this text, the observations of earlier generations and their strategy.",
       .in_starter = true, .apply = [](Config& c, V v) { c.target.bug = v.text; }},
      {.key = "target.bug_file", .type = KeyType::kFileText,
       .doc = "A file holding the bug description (relative to this file), instead of bug.", .example = "BUG.md",
       .apply = [](Config& c, V v) { c.target.bug = v.text; }},

      {.key = "verify", .type = KeyType::kSection, .doc = "How a fix is checked."},
      {.key = "verify.command", .type = KeyType::kString,
       .doc = "Shell command (/bin/sh -c) run in the agent's workspace; exit 0 means the bug is fixed.",
       .required = true, .non_empty = true, .example = "make test", .in_starter = true,
       .apply = [](Config& c, V v) { c.verify.command = v.text; }},
      {.key = "verify.repeat", .type = KeyType::kInt, .default_value = "1",
       .doc = "Times the command runs; a fix counts only if every run passes (use several for flaky bugs).",
       .min = 1, .max = kIntMax, .example = "3", .apply = [](Config& c, V v) { c.verify.repeat = static_cast<int>(v.integer); }},
      {.key = "verify.timeout", .type = KeyType::kDuration, .default_value = "5m",
       .doc = "Time limit of one run of the command; a run that exceeds it fails.", .min = 0, .min_exclusive = true,
       .apply = [](Config& c, V v) { c.verify.timeout_s = v.number; }},
      {.key = "verify.protected", .type = KeyType::kStringList, .default_value = "[]",
       .doc = "Paths (relative to the repository) restored from base_ref before verifying, so that an agent "
              "cannot pass by editing the tests.",
       .example = "[tests/]", .apply = [](Config& c, V v) { c.verify.protected_paths = v.list; }},
      {.key = "verify.baseline", .type = KeyType::kBool, .default_value = "true",
       .doc = "First check that the command fails on base_ref; if it passes, refuse to start (bug not reproduced).",
       .apply = [](Config& c, V v) { c.verify.baseline = v.boolean; }},
      {.key = "verify.launcher", .type = KeyType::kEnum, .default_value = "local",
       .doc = "Where the verify command runs: local (on the harness's machine, in the shared workspace), or slurm "
              "(as a job with runner.slurm's settings). The baseline check always runs locally.",
       .allowed = {"local", "slurm"}, .apply = [](Config& c, V v) { c.verify.launcher = v.text; }},

      {.key = "generations", .type = KeyType::kInt, .default_value = "5",
       .doc = "Generations to run at most; each starts with the observations of the ones before.", .min = 1, .max = kIntMax,
       .in_starter = true, .apply = [](Config& c, V v) { c.generations = static_cast<int>(v.integer); }},
      {.key = "population", .type = KeyType::kInt, .default_value = "4",
       .doc = "Agents (variants) per generation, each with its own workspace and strategy.", .min = 1, .max = kIntMax,
       .in_starter = true, .apply = [](Config& c, V v) { c.population = static_cast<int>(v.integer); }},
      {.key = "concurrency", .type = KeyType::kInt, .default_value = "4", .doc = "Agents running at the same time.",
       .min = 1, .max = kIntMax, .in_starter = true,
       .apply = [](Config& c, V v) { c.concurrency = static_cast<int>(v.integer); }},
  };
}

// How an agent runs (runner.*, runner.slurm.*), and the budget section.
std::vector<ConfigKey> runner_keys() {
  return {
      {.key = "runner", .type = KeyType::kPresetOrSection,
       .doc = "How an agent runs: a preset name (demo, claude-code, codex, jsonl, command: runners/<name>.yaml), "
              "or a map of the keys below.",
       .required = true, .example = "claude-code", .in_starter = true},
      {.key = "runner.preset", .type = KeyType::kString,
       .doc = "A preset (runners/<name>.yaml) whose keys are defaults under this map.", .example = "claude-code",
       .apply = [](Config& c, V v) { c.runner.preset = v.text; }},
      {.key = "runner.description", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "A one-line note on what the runner is (presets describe themselves with it).",
       .apply = nullptr},
      {.key = "runner.command", .type = KeyType::kCommand,
       .doc = "The agent's argv, a list or a string split like a shell would. Placeholders: {prompt_file} "
              "{workspace} {model} {effort} {agent_id} {generation} {strategy} {run_dir} {demo_agent}.",
       .example = "[my-agent, --prompt-file, \"{prompt_file}\"]",
       .apply = [](Config& c, V v) { c.runner.command = v.list; }},
      {.key = "runner.env", .type = KeyType::kStringMap, .default_value = "{}",
       .doc = "Variables added to the agent's environment; values may use ${VAR}.",
       .example = "{ANTHROPIC_API_KEY: \"${ANTHROPIC_API_KEY}\"}",
       .apply = [](Config& c, V v) { c.runner.env = v.map; }},
      {.key = "runner.format", .type = KeyType::kEnum, .default_value = "jsonl",
       .doc = "What the agent prints on stdout, i.e. the decoder of its trace.", .allowed = kFormats,
       .apply = [](Config& c, V v) { c.runner.format = v.text; }},
      {.key = "runner.transcripts", .type = KeyType::kStringList, .default_value = "[]",
       .doc = "Glob patterns (placeholders as in command) of the session files the agent's CLI left: Claude Code "
              "transcripts (they fill in subagents its stream lacked and every message's final usage) or Codex "
              "rollouts (one llm span per model response); after it ends they are kept in the run dir "
              "([agents.md](agents.md)).",
       .apply = [](Config& c, V v) { c.runner.transcripts = v.list; }},
      {.key = "runner.wall_timeout", .type = KeyType::kDuration, .default_value = "30m",
       .doc = "Longest an agent may run; then it is killed.", .min = 0, .min_exclusive = true,
       .apply = [](Config& c, V v) { c.runner.wall_timeout_s = v.number; }},
      {.key = "runner.idle_timeout", .type = KeyType::kDuration, .default_value = "5m",
       .doc = "An agent with no output or trace activity for this long is stuck: killed and recorded as such.",
       .min = 0, .min_exclusive = true, .apply = [](Config& c, V v) { c.runner.idle_timeout_s = v.number; }},
      {.key = "runner.on_loop", .type = KeyType::kEnum, .default_value = "kill",
       .doc = "What a loop found live in an agent's trace does (the same tool call with the same arguments and "
              "outcome loop_repeats times in a row, a cycle of two or three such calls, or loop_model_calls model "
              "calls without a tool call; a tool call still running never counts): kill ends the agent as "
              "killed_loop, warn only records it (an event and an important observation either way), off looks "
              "for none.",
       .allowed = {"kill", "warn", "off"}, .apply = [](Config& c, V v) { c.runner.on_loop = v.text; }},
      {.key = "runner.loop_repeats", .type = KeyType::kInt, .default_value = "5",
       .doc = "How many times in a row one action (or one cycle of actions) repeats before it is a loop.",
       .min = 2, .max = 1000, .apply = [](Config& c, V v) { c.runner.loop_repeats = static_cast<int>(v.integer); }},
      {.key = "runner.loop_model_calls", .type = KeyType::kInt, .default_value = "10",
       .doc = "Model calls in a row without a tool call that make a loop (a dead end of thinking); 0 = never.",
       .min = 0, .max = 100000,
       .apply = [](Config& c, V v) { c.runner.loop_model_calls = static_cast<int>(v.integer); }},
      {.key = "runner.launcher", .type = KeyType::kEnum, .default_value = "local",
       .doc = "Where agents run: local process groups, or Slurm jobs (one srun job per agent; see docs/slurm.md).",
       .allowed = {"local", "slurm"}, .apply = [](Config& c, V v) { c.runner.launcher = v.text; }},
      {.key = "runner.slurm", .type = KeyType::kSection,
       .doc = "Job settings when runner.launcher or verify.launcher is slurm."},
      {.key = "runner.slurm.partition", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "Partition (srun --partition); empty = the cluster's default.",
       .apply = [](Config& c, V v) { c.runner.slurm["partition"] = v.text; }},
      {.key = "runner.slurm.time", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "Job time limit in Slurm's form (srun --time), like 01:00:00; empty = wall_timeout (verify.timeout "
              "for verify jobs) rounded up to minutes, plus one.",
       .apply = [](Config& c, V v) { c.runner.slurm["time"] = v.text; }},
      {.key = "runner.slurm.cpus", .type = KeyType::kInt, .default_value = "1",
       .doc = "CPUs per agent job (srun --cpus-per-task).", .min = 1, .max = kIntMax,
       .apply = [](Config& c, V v) { c.runner.slurm["cpus"] = v.integer; }},
      {.key = "runner.slurm.mem", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "Memory per agent job (srun --mem), like 4G; empty = the cluster's default.",
       .apply = [](Config& c, V v) { c.runner.slurm["mem"] = v.text; }},
      {.key = "runner.slurm.extra_args", .type = KeyType::kStringList, .default_value = "[]",
       .doc = "Further srun arguments, as given (e.g. [--account=lab, --qos=long]).",
       .apply = [](Config& c, V v) { c.runner.slurm["extra_args"] = v.list; }},
      {.key = "runner.slurm.submit_timeout", .type = KeyType::kDuration, .default_value = "60s",
       .doc = "Longest wait for srun to name the job (a queued job is named at once); past it the agent is "
              "recorded as launch_failed with Slurm's message.",
       .min = 0, .min_exclusive = true, .apply = [](Config& c, V v) { c.runner.slurm["submit_timeout"] = v.number; }},
      {.key = "runner.slurm.command_timeout", .type = KeyType::kDuration, .default_value = "15s",
       .doc = "Time limit of every scancel and squeue call, so that a controller that does not answer never hangs "
              "the harness.",
       .min = 0, .min_exclusive = true, .apply = [](Config& c, V v) { c.runner.slurm["command_timeout"] = v.number; }},

      {.key = "budget", .type = KeyType::kSection,
       .doc = "Limits in tokens and dollars (0 = no limit), enforced: stop launching, kill what overruns, record "
              "budget.exceeded."},
  };
}

// budget.{agent,generation,run}.{tokens,usd}: the same keys three times.
std::vector<ConfigKey> budget_keys() {
  std::vector<ConfigKey> t;
  const std::pair<std::string, std::string> scopes[] = {
      {"agent", "one agent"}, {"generation", "one generation"}, {"run", "the whole run"}};
  for (const auto& [scope, whom] : scopes) {
    t.push_back(budget_section(scope, "Limits of " + whom + "."));
    ConfigKey tokens{.key = "budget." + scope + ".tokens", .type = KeyType::kInt, .default_value = "0",
                     .doc = "Tokens (input + output) " + whom + " may use (the larger of what the proxy saw and what the agents "
                           "report); with the proxy on, a model call is refused once it is used up; 0 = no limit.",
                     .min = 0};
    ConfigKey usd{.key = "budget." + scope + ".usd", .type = KeyType::kNumber, .default_value = "0",
                  .doc = "Dollars " + whom + " may spend (the larger of what the proxy priced and what the agents report); "
                         "0 = no limit.", .min = 0};
    if (scope == "agent") {
      tokens.apply = [](Config& c, V v) { c.agent_budget.tokens = v.integer; };
      usd.apply = [](Config& c, V v) { c.agent_budget.usd = v.number; };
    } else if (scope == "generation") {
      tokens.apply = [](Config& c, V v) { c.generation_budget.tokens = v.integer; };
      usd.apply = [](Config& c, V v) { c.generation_budget.usd = v.number; };
    } else {
      tokens.apply = [](Config& c, V v) { c.run_budget.tokens = v.integer; };
      usd.apply = [](Config& c, V v) { c.run_budget.usd = v.number; };
    }
    t.push_back(tokens);
    t.push_back(usd);
  }
  t.push_back({.key = "budget.prices", .type = KeyType::kPrices, .default_value = "{}",
               .doc = "Prices per model laid over the built-in table (trace/prices.json, dated): each model call the "
                      "LLM proxy forwards is priced from its usage, and dollar budgets count those dollars. An entry "
                      "names a model or a model prefix (claude-sonnet-4-5 prices claude-sonnet-4-5-20250929).",
               .example = "\n  my-model: {input: 3, output: 15, cache_read: 0.3, cache_write: 3.75}",
               .apply = [](Config& c, V v) { c.price_overrides = v.json; }});
  return t;
}

// Stop rules, the observer, strategies, workspaces.
std::vector<ConfigKey> loop_keys() {
  return {
      {.key = "stop", .type = KeyType::kSection, .doc = "When the run ends before its last generation."},
      {.key = "stop.after_fixes", .type = KeyType::kInt, .default_value = "1",
       .doc = "Stop after this many validated fixes; 0 = never stop on fixes.", .min = 0, .max = kIntMax,
       .apply = [](Config& c, V v) { c.stop.after_fixes = static_cast<int>(v.integer); }},
      {.key = "stop.no_progress_generations", .type = KeyType::kInt, .default_value = "0",
       .doc = "Stop after this many generations in a row without progress; 0 = never.", .min = 0, .max = kIntMax,
       .apply = [](Config& c, V v) { c.stop.no_progress_generations = static_cast<int>(v.integer); }},
      {.key = "stop.wall_clock", .type = KeyType::kDuration, .default_value = "0",
       .doc = "Stop launching agents after this long; 0 = no limit.", .min = 0,
       .apply = [](Config& c, V v) { c.stop.wall_clock_s = v.number; }},

      {.key = "observer", .type = KeyType::kSection,
       .doc = "The observer that turns traces into observations after each generation."},
      {.key = "observer.inject", .type = KeyType::kBool, .default_value = "true",
       .doc = "Put the observations into the next generation's prompts.",
       .apply = [](Config& c, V v) { c.observer.inject = v.boolean; }},
      {.key = "observer.command", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "Optional LLM observer (/bin/sh -c): reads a digest as JSON on stdin, prints observations as JSON.",
       .example = "python3 my_observer.py", .apply = [](Config& c, V v) { c.observer.command = v.text; }},
      {.key = "observer.llm", .type = KeyType::kEnum, .default_value = "none",
       .doc = "Built-in LLM observer: the real CLI reads the generation's digest (templates/observer_llm.mustache) "
              "and answers observations, merged with the rules'; not with observer.command. "
              "docs/observer-protocol.md.",
       .allowed = {"none", "claude-code", "codex"}, .apply = [](Config& c, V v) { c.observer.llm = v.text; }},
      {.key = "observer.llm_model", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "The model observer.llm asks; empty = the CLI's default.", .example = "claude-sonnet-4-5",
       .apply = [](Config& c, V v) { c.observer.llm_model = v.text; }},
      {.key = "observer.digest_search", .type = KeyType::kBool, .default_value = "true",
       .doc = "Give the LLM observer (observer.llm or observer.command), in its digest, where each agent's failure "
              "shows up elsewhere in the run (trace search hits; the index is built in run.db once).",
       .apply = [](Config& c, V v) { c.observer.digest_search = v.boolean; }},
      {.key = "observer.command_timeout", .type = KeyType::kDuration, .default_value = "2m",
       .doc = "Time limit of one answer of the observer command, observer.llm and the meta-agent.", .min = 0, .min_exclusive = true,
       .apply = [](Config& c, V v) { c.observer.command_timeout_s = v.number; }},
      {.key = "observer.prompt_budget_chars", .type = KeyType::kInt, .default_value = "6000",
       .doc = "Characters of observations put into a prompt, most important first.", .min = 0,
       .apply = [](Config& c, V v) { c.observer.prompt_budget_chars = static_cast<size_t>(v.integer); }},
      {.key = "observer.incremental", .type = KeyType::kBool, .default_value = "true",
       .doc = "Observe each agent as soon as it finishes, so agents launched later in the same generation start "
              "with what it showed (population > concurrency); false: only after the whole generation.",
       .apply = [](Config& c, V v) { c.observer.incremental = v.boolean; }},

      {.key = "strategies", .type = KeyType::kSection, .doc = "The debugging strategies agents are given."},
      {.key = "strategies.allocation", .type = KeyType::kEnum, .default_value = "round_robin",
       .doc = "How strategies are assigned to the agents of a generation.",
       .allowed = {"fixed", "round_robin", "bandit", "evolve"},
       .apply = [](Config& c, V v) { c.strategies.allocation = v.text; }},
      {.key = "strategies.list", .type = KeyType::kStrategyList, .default_value = "[]",
       .doc = "The strategies: each a preset name (strategies/<name>.yaml) or a map of the keys below; empty = "
              "the built-in default.",
       .example = "\n- name: reproduce-first\n  params: {approach: reproduce, then: bisect}\n"
                  "- name: read-the-code\n  model: claude-sonnet-4-5\n  params: {approach: static-reading}",
       .apply =
           [](Config& c, V v) {
             c.strategies.list.clear();
             for (const auto& item : v.json)
               c.strategies.list.push_back({item.value("name", ""), item.value("params", nlohmann::json::object()),
                                            item.value("model", ""), item.value("space", nlohmann::json::object())});
           }},
      {.key = "strategies.list[].name", .type = KeyType::kName, .doc = "The strategy's name, unique in the list.",
       .required = true},
      {.key = "strategies.list[].params", .type = KeyType::kJson, .default_value = "{}",
       .doc = "Free-form parameters the prompt and the agent see."},
      {.key = "strategies.list[].model", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "The model for this strategy ({model} in runner.command); empty = the runner's default."},
      {.key = "strategies.list[].description", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "A one-line note on the strategy (presets set it)."},
      {.key = "strategies.list[].space", .type = KeyType::kJson, .default_value = "{}",
       .doc = "For allocation evolve: each param it may mutate, with its allowed values (a list) or range "
              "({min, max}); presets set it."},
      {.key = "strategies.meta_command", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "Optional meta-agent (/bin/sh -c) that proposes the next generation's strategies.",
       .apply = [](Config& c, V v) { c.strategies.meta_command = v.text; }},
      {.key = "strategies.meta", .type = KeyType::kEnum, .default_value = "none",
       .doc = "Built-in meta-agent: the real CLI reads the observations and the strategies' results "
              "(templates/meta_agent.mustache) and designs each generation after the first, new strategies "
              "included; not with strategies.meta_command. docs/observer-protocol.md.",
       .allowed = {"none", "claude-code", "codex"}, .apply = [](Config& c, V v) { c.strategies.meta = v.text; }},
      {.key = "strategies.meta_model", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "The model strategies.meta asks; empty = the CLI's default.", .example = "claude-opus-4-1",
       .apply = [](Config& c, V v) { c.strategies.meta_model = v.text; }},
      {.key = "strategies.reallocate_after", .type = KeyType::kInt, .default_value = "2",
       .doc = "When this many agents of one strategy in a generation failed the same way (shared an [important] "
              "observation, no fix), its slots not launched yet go to the least used other strategies; 1 = after one "
              "such failure, 0 = off. Needs observer.incremental.",
       .min = 0, .max = kIntMax, .apply = [](Config& c, V v) { c.strategies.reallocate_after = static_cast<int>(v.integer); }},

      {.key = "workspace", .type = KeyType::kSection, .doc = "The agents' workspaces."},
      {.key = "workspace.root", .type = KeyType::kPath, .default_value = "\"\"",
       .doc = "Folder of the workspaces (relative to this file); empty = <run dir>/workspaces.",
       .apply = [](Config& c, V v) { c.workspace.root = v.text; }},
      {.key = "workspace.keep", .type = KeyType::kEnum, .default_value = "winners",
       .doc = "Which workspaces are kept after their agent: those with a validated fix, the failed ones, all, none.",
       .allowed = {"winners", "failures", "all", "none"},
       .apply = [](Config& c, V v) { c.workspace.keep = v.text; }},
  };
}

// The run's servers (telemetry, proxy), the sandbox, the prompt template and the seed.
std::vector<ConfigKey> server_keys() {
  return {
      {.key = "telemetry", .type = KeyType::kSection,
       .doc = "The run's OTLP/HTTP receiver (docs/telemetry.md): agents that export OpenTelemetry send it there."},
      {.key = "telemetry.otlp_receiver", .type = KeyType::kBool, .default_value = "true",
       .doc = "Run a receiver on 127.0.0.1 and give each agent OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL and _HEADERS "
              "(its own token), so what it exports lands under its agent span.",
       .apply = [](Config& c, V v) { c.telemetry.otlp_receiver = v.boolean; }},
      {.key = "telemetry.max_body_mb", .type = KeyType::kInt, .default_value = "16",
       .doc = "Largest OTLP request body accepted, in MiB; larger ones get HTTP 413.", .min = 1, .max = 4096,
       .apply = [](Config& c, V v) { c.telemetry.max_body_mb = v.integer; }},

      {.key = "proxy", .type = KeyType::kSection,
       .doc = "The run's LLM API proxy (docs/telemetry.md): every model call becomes an llm span with its usage."},
      {.key = "proxy.enabled", .type = KeyType::kBool, .default_value = "false",
       .doc = "Run the proxy on 127.0.0.1 and point each agent's ANTHROPIC_BASE_URL and OPENAI_BASE_URL at it.",
       .apply = [](Config& c, V v) { c.proxy.enabled = v.boolean; }},
      {.key = "proxy.anthropic_upstream", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "Where Anthropic calls go (http or https, a path prefix allowed); empty = runner.env's "
              "ANTHROPIC_BASE_URL, else https://api.anthropic.com.",
       .example = "https://api.anthropic.com", .apply = [](Config& c, V v) { c.proxy.anthropic_upstream = v.text; }},
      {.key = "proxy.openai_upstream", .type = KeyType::kString, .default_value = "\"\"",
       .doc = "Where OpenAI calls go; empty = runner.env's OPENAI_BASE_URL, else https://api.openai.com/v1.",
       .example = "https://api.openai.com/v1", .apply = [](Config& c, V v) { c.proxy.openai_upstream = v.text; }},
      {.key = "proxy.max_request_mb", .type = KeyType::kInt, .default_value = "64",
       .doc = "Largest request body forwarded, in MiB; larger ones get HTTP 413.", .min = 1, .max = 4096,
       .apply = [](Config& c, V v) { c.proxy.max_request_mb = v.integer; }},

      {.key = "limits", .type = KeyType::kSection,
       .doc = "How much of what agents and verify runs print is kept on disk. Past a limit a file keeps its head "
              "(logs also their tail) and says how many bytes were cut; secrets are redacted before anything is "
              "written."},
      {.key = "limits.stdout_mb", .type = KeyType::kInt, .default_value = "64",
       .doc = "stdout.raw, the agent's stream as printed, in MiB; decoding goes on past it (event capture.truncated).",
       .min = 1, .max = 65536, .apply = [](Config& c, V v) { c.limits.stdout_mb = v.integer; }},
      {.key = "limits.stderr_mb", .type = KeyType::kInt, .default_value = "8",
       .doc = "stderr.log, in MiB: the first and the last half are kept.", .min = 1, .max = 65536,
       .apply = [](Config& c, V v) { c.limits.stderr_mb = v.integer; }},
      {.key = "limits.verify_log_mb", .type = KeyType::kInt, .default_value = "8",
       .doc = "verify.log (the verify command's stdout and stderr, every repeat), in MiB: the first and the last "
              "half are kept.",
       .min = 1, .max = 65536, .apply = [](Config& c, V v) { c.limits.verify_log_mb = v.integer; }},
      {.key = "limits.otlp_mb", .type = KeyType::kInt, .default_value = "64",
       .doc = "otlp.jsonl per agent (what it exported, kept for rebuilds), in MiB; decoding goes on past it.",
       .min = 1, .max = 65536, .apply = [](Config& c, V v) { c.limits.otlp_mb = v.integer; }},

      {.key = "sandbox", .type = KeyType::kSection,
       .doc = "The sandbox every agent and every verify run gets of its own (docs/sandbox.md): bubblewrap with a "
              "private network (loopback only), /tmp and home, the host read-only except its workspace."},
      {.key = "sandbox.mode", .type = KeyType::kEnum, .default_value = "auto",
       .doc = "auto: sandboxed where bwrap can create the namespaces, else unconfined with a warning in the log, "
              "report and summary.json; on: sandboxed or the run does not start; off: never.",
       .allowed = {"auto", "on", "off"}, .apply = [](Config& c, V v) { c.sandbox.mode = v.text; }},
      {.key = "sandbox.writable", .type = KeyType::kPathList, .default_value = "[]",
       .doc = "Further paths (relative to this file; they must exist) every sandbox may write, besides the "
              "workspace, the agent's home and its git metadata.",
       .example = "[/var/cache/ccache]", .apply = [](Config& c, V v) { c.sandbox.writable = v.list; }},
      {.key = "sandbox.readable", .type = KeyType::kPathList, .default_value = "[]",
       .doc = "Paths inside the host's home folders (hidden in a sandbox) shown read-only, such as where an agent "
              "CLI is installed.",
       .example = "[~/.local/share/claude]", .apply = [](Config& c, V v) { c.sandbox.readable = v.list; }},
      {.key = "sandbox.allow_hosts", .type = KeyType::kHostList, .default_value = "[]",
       .doc = "Hosts (host, host:port or *.domain) agents may reach through the run's egress proxy (HTTPS_PROXY); "
              "every attempt, allowed or denied, is an egress.allowed or egress.denied event.",
       .example = "[registry.npmjs.org:443, pypi.org]", .apply = [](Config& c, V v) { c.sandbox.allow_hosts = v.list; }},
      {.key = "sandbox.share_network", .type = KeyType::kBool, .default_value = "false",
       .doc = "Keep the host's network in the sandbox (ports are then shared between agents and egress is not "
              "controlled); for targets that truly need it.",
       .apply = [](Config& c, V v) { c.sandbox.share_network = v.boolean; }},
      {.key = "sandbox.prepare", .type = KeyType::kBool, .default_value = "false",
       .doc = "Run target.prepare in a sandbox too (its folder writable).",
       .apply = [](Config& c, V v) { c.sandbox.prepare = v.boolean; }},

      {.key = "prompt_template", .type = KeyType::kExistingFile, .default_value = "\"\"",
       .doc = "A Mustache template of the agent prompt (relative to this file); empty = "
              "templates/agent_prompt.mustache.",
       .example = "my_prompt.mustache", .apply = [](Config& c, V v) { c.prompt_template = v.text; }},
      {.key = "seed", .type = KeyType::kInt,
       .doc = "Seed of every random choice (strategy allocation, the demo agent); unset = random.", .min = 0,
       .example = "42", .apply = [](Config& c, V v) { c.seed = static_cast<uint64_t>(v.integer); }},
      {.key = "from", .type = KeyType::kPathList, .default_value = "[]",
       .doc = "Earlier run dirs (relative to this file) whose observations a new run starts with, merged by "
              "fingerprint, as `harness run --from`; a run of another repository or base commit is refused "
              "(`--force` accepts it). Ignored by resume.",
       .example = "[runs/ledger-20261202-2300]", .apply = [](Config& c, V v) { c.from = v.list; }},
  };
}

std::vector<ConfigKey> build_table() {
  std::vector<ConfigKey> t;
  for (auto part : {run_keys, runner_keys, budget_keys, loop_keys, server_keys}) {
    std::vector<ConfigKey> keys = part();
    t.insert(t.end(), keys.begin(), keys.end());
  }
  return t;
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> table = build_table();
  return table;
}

const ConfigKey* find_config_key(std::string_view key) {
  for (const auto& k : config_keys())
    if (k.key == key) return &k;
  return nullptr;
}

std::vector<const ConfigKey*> child_keys(std::string_view parent) {
  std::vector<const ConfigKey*> out;
  for (const auto& k : config_keys())
    if (parent_key(k.key) == parent) out.push_back(&k);
  return out;
}

std::string parent_key(std::string_view key) {
  size_t dot = key.rfind('.');
  return dot == std::string_view::npos ? std::string() : std::string(key.substr(0, dot));
}

std::string leaf_key(std::string_view key) {
  size_t dot = key.rfind('.');
  return std::string(dot == std::string_view::npos ? key : key.substr(dot + 1));
}

const std::vector<std::string>& runner_placeholders() {
  static const std::vector<std::string> names = {"prompt_file", "workspace", "model",      "effort",
                                                 "agent_id",    "generation", "strategy", "run_dir",
                                                 "demo_agent",  "seed",      "attempt",    "param_args"};
  return names;
}

}  // namespace harness
