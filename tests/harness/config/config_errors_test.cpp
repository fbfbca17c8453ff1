// Every class of config error, with the exact text a user sees: file:line:col, the bad value, what was expected.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "harness/config/config.h"
#include "tests/harness/config/config_test_util.h"

namespace harness {
namespace {

using testing::formatted;
using testing::minimal_config;
using V = std::vector<std::string>;

class ConfigErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "repo");
    // Presets come from a folder of the test's own, so that these tests do not depend on the shipped ones.
    home_.write("runners/local-agent.yaml", "command: [local-agent, \"{prompt_file}\"]\nformat: jsonl\n");
    home_.write("runners/broken.yaml", "format: yaml\nwall_timeout: soon\n");
    home_.write("strategies/bisect.yaml", "params: {approach: bisect}\n");
  }
  // Loads `text` as <tmp>/h.yaml; returns its errors, formatted.
  V errors_of(const std::string& text) { return formatted(load_config_text(text, path_)); }
  std::string at(int line, int column, const std::string& message) const {
    return fmt::format("{}:{}:{}: {}", path_, line, column, message);
  }

  testing::TempDir dir_, home_;
  testing::ScopedEnv env_{"HARNESS_HOME", home_.path().string()};
  std::string path_ = dir_.file("h.yaml");
};

TEST_F(ConfigErrors, UnknownKeySuggestsTheClosestSibling) {
  std::string text = minimal_config("verfy:\n  repeat: 2\n");
  EXPECT_EQ(errors_of(text),
            V{at(8, 1, "unknown key: got 'verfy', expected one of name, target, verify, generations, population, "
                       "concurrency, runner, budget, stop, observer, strategies, workspace, telemetry, proxy, limits, sandbox, prompt_template, seed, from; "
                       "did you mean 'verify'?")});
  EXPECT_EQ(errors_of("target:\n  rpo: repo\n  bug: x\nverify: {command: x}\nrunner: local-agent\n"),
            (V{at(1, 1, "missing required key 'target.repo': expected an existing folder (The repository (a git "
                        "repository, or a plain folder that is copied), relative to this file)"),
               at(2, 3, "unknown key: got 'target.rpo', expected one of repo, prepare, base_ref, bug, bug_file; did you mean "
                        "'target.repo'?")}));
}

TEST_F(ConfigErrors, BadPricesNameTheModelAndTheValue) {
  EXPECT_EQ(errors_of(minimal_config("budget:\n  prices:\n    m: {input: -1, output: 2}\n    n: 3\n")),
            (V{at(10, 8, "budget.prices.m.input: expected a number >= 0 (USD per million tokens), got -1"),
               at(11, 8, "wrong type for 'budget.prices.n': got '3', expected {input, output, cache_read, "
                         "cache_write}")}));
  EXPECT_EQ(errors_of(minimal_config("budget:\n  prices:\n    m: {input: 1}\n")),
            V{at(10, 8, "budget.prices.m: input and output prices are required")});
}

TEST_F(ConfigErrors, UnknownKeyAtTheWrongLevelNamesWhereItBelongs) {
  EXPECT_EQ(errors_of(minimal_config("idle_timeout: 5m\n")),
            V{at(8, 1, "unknown key: got 'idle_timeout', expected one of name, target, verify, generations, "
                       "population, concurrency, runner, budget, stop, observer, strategies, workspace, "
                       "telemetry, proxy, limits, sandbox, prompt_template, seed, from; did you mean 'runner.idle_timeout'?")});
}

TEST_F(ConfigErrors, UnknownKeyWithoutAnyCloseNameListsTheKeys) {
  EXPECT_EQ(errors_of(minimal_config("stop:\n  colour: red\n")),
            V{at(9, 3, "unknown key: got 'stop.colour', expected one of after_fixes, no_progress_generations, "
                       "wall_clock")});
}

TEST_F(ConfigErrors, WrongTypes) {
  EXPECT_EQ(errors_of(minimal_config("population: four\n")),
            V{at(8, 13, "wrong type for 'population': got 'four', expected an integer >= 1")});
  EXPECT_EQ(errors_of(minimal_config("observer:\n  inject: maybe\n  command: [a, b]\nbudget:\n  run: {usd: lots}\n")),
            (V{at(9, 11, "wrong type for 'observer.inject': got 'maybe', expected true or false"),
               at(10, 12, "wrong type for 'observer.command': got a list, expected a string"),
               at(12, 14, "wrong type for 'budget.run.usd': got 'lots', expected a number >= 0")}));
  EXPECT_EQ(errors_of(minimal_config("stop: 3\n")),
            V{at(8, 7, "wrong type for 'stop': got '3', expected a map of stop.* keys")});
  EXPECT_EQ(errors_of(minimal_config("generations: 2.5\n")),
            V{at(8, 14, "wrong type for 'generations': got '2.5', expected an integer >= 1")});
}

TEST_F(ConfigErrors, OutOfRangeNumbers) {
  EXPECT_EQ(errors_of(minimal_config("population: 0\nconcurrency: -2\ngenerations: 99999999999\n"
                                     "budget:\n  agent:\n    usd: -1\n    tokens: 99999999999999999999\n")),
            (V{at(8, 13, "out of range for 'population': got 0, expected an integer >= 1"),
               at(9, 14, "out of range for 'concurrency': got -2, expected an integer >= 1"),
               at(10, 14, "out of range for 'generations': got 99999999999, expected an integer >= 1 and <= "
                          "2147483647"),
               at(13, 10, "out of range for 'budget.agent.usd': got -1, expected a number >= 0"),
               at(14, 13, "out of range for 'budget.agent.tokens': got 99999999999999999999, expected an integer >= "
                          "0 and <= 9223372036854775807")}));
  std::string repeat_zero = "target: {repo: repo, bug: x}\nverify: {command: x, repeat: 0}\nrunner: local-agent\n";
  EXPECT_EQ(errors_of(repeat_zero),
            V{at(2, 30, "out of range for 'verify.repeat': got 0, expected an integer >= 1")});
}

TEST_F(ConfigErrors, Durations) {
  EXPECT_EQ(errors_of(minimal_config("stop:\n  wall_clock: 5 minutes\nobserver:\n  command_timeout: 0\n"
                                     "  prompt_budget_chars: 10\n")),
            (V{at(9, 15, "wrong type for 'stop.wall_clock': got '5 minutes', expected a duration >= 0 (seconds, or "
                         "like 90s, 15m, 2h)"),
               at(11, 20, "out of range for 'observer.command_timeout': got 0, expected a duration > 0 (seconds, or "
                          "like 90s, 15m, 2h)")}));
  EXPECT_EQ(errors_of("target: {repo: repo, bug: x}\nverify: {command: x, timeout: -5m}\nrunner: local-agent\n"),
            V{at(2, 31, "out of range for 'verify.timeout': got -5m, expected a duration > 0 (seconds, or like 90s, "
                        "15m, 2h)")});
}

TEST_F(ConfigErrors, MissingRequiredKeysAreNamedAtTheirParent) {
  EXPECT_EQ(errors_of(""),
            (V{at(1, 1, "missing required key 'target.repo': expected an existing folder (The repository (a git "
                        "repository, or a plain folder that is copied), relative to this file)"),
               at(1, 1, "missing required key 'verify.command': expected a string (Shell command (/bin/sh -c) run in "
                        "the agent's workspace; exit 0 means the bug is fixed)"),
               at(1, 1, "missing required key 'runner': expected a preset name or a map of runner.* keys (How an "
                        "agent runs: a preset name (demo, claude-code, codex, jsonl, command: runners/<name>.yaml), "
                        "or a map of the keys below)"),
               at(1, 1, "missing required key 'target.bug' or 'target.bug_file': expected the bug description, "
                        "inline or in a file")}));
  EXPECT_EQ(errors_of("name: x\ntarget:\n  repo: repo\nverify:\n  repeat: 2\nrunner:\n  format: codex\n"),
            (V{at(2, 1, "missing required key 'target.bug' or 'target.bug_file': expected the bug description, "
                        "inline or in a file"),
               at(4, 1, "missing required key 'verify.command': expected a string (Shell command (/bin/sh -c) run in "
                        "the agent's workspace; exit 0 means the bug is fixed)"),
               at(6, 1, "missing required key 'runner.command': expected a command: a list of strings, or one string "
                        "split like a shell would")}));
  EXPECT_EQ(errors_of("target: {repo: repo, bug: x}\nverify: {command: x}\nrunner: {preset: local-agent}\n"
                      "strategies:\n  list:\n    - params: {a: 1}\n"),
            V{at(6, 7, "missing required key 'strategies.list[0].name': expected a name of at most 64 letters, digits, '.', '_' "
                       "and '-'")});
}

TEST_F(ConfigErrors, BadEnumValues) {
  EXPECT_EQ(errors_of(minimal_config("workspace:\n  keep: winner\nstrategies: {allocation: random}\n")),
            (V{at(9, 9, "invalid value for 'workspace.keep': got 'winner', expected one of winners, failures, all, "
                        "none; did you mean 'winners'?"),
               at(10, 26, "invalid value for 'strategies.allocation': got 'random', expected one of fixed, "
                          "round_robin, bandit, evolve")}));
  EXPECT_EQ(errors_of(minimal_config("name: my bug\n")),
            V{at(8, 7, "invalid value for 'name': got 'my bug', expected a name of at most 64 letters, digits, '.', '_' and "
                       "'-'")});
}

TEST_F(ConfigErrors, YamlSyntaxErrorsCarryTheParsersPlace) {
  EXPECT_EQ(errors_of("target:\n  repo: [repo,\nverify: x\n"),
            V{at(4, 1, "invalid YAML: end of sequence flow not found")});
  EXPECT_EQ(errors_of("target:\n  repo: repo\n bug: x\n"), V{at(3, 2, "invalid YAML: end of map not found")});
}

TEST_F(ConfigErrors, UnsetAndMalformedVariables) {
  testing::ScopedEnv unset("HARNESS_TEST_UNSET_TOKEN", std::nullopt);
  EXPECT_EQ(errors_of(minimal_config("observer:\n  command: ${HARNESS_TEST_UNSET_TOKEN}/observe\n"
                                     "  inject: ${HARNESS_TEST_UNSET_TOKEN:-true}\n  prompt_budget_chars: ${X\n")),
            (V{at(9, 12, "unset environment variable in 'observer.command': got '${HARNESS_TEST_UNSET_TOKEN}', "
                         "expected HARNESS_TEST_UNSET_TOKEN to be set (or a default: "
                         "${HARNESS_TEST_UNSET_TOKEN:-value})"),
               at(11, 24, "malformed variable reference in 'observer.prompt_budget_chars': got '${X', expected "
                          "${NAME} or ${NAME:-default} (write $${ for a literal ${)")}));
  EXPECT_EQ(errors_of("target: {repo: repo, bug: x}\nverify: {command: x}\nrunner:\n  command: a ${HARNESS_TEST_"
                      "UNSET_TOKEN}\n  env: {KEY: \"${HARNESS_TEST_UNSET_TOKEN}\"}\n"),
            (V{at(4, 12, "unset environment variable in 'runner.command': got '${HARNESS_TEST_UNSET_TOKEN}', "
                         "expected HARNESS_TEST_UNSET_TOKEN to be set (or a default: "
                         "${HARNESS_TEST_UNSET_TOKEN:-value})"),
               at(5, 14, "unset environment variable in 'runner.env.KEY': got '${HARNESS_TEST_UNSET_TOKEN}', "
                         "expected HARNESS_TEST_UNSET_TOKEN to be set (or a default: "
                         "${HARNESS_TEST_UNSET_TOKEN:-value})")}));
}

TEST_F(ConfigErrors, MissingFilesAndFolders) {
  std::string text = "target:\n  repo: nowhere\n  bug_file: BUG.md\nverify: {command: x}\nrunner: local-agent\n"
                     "prompt_template: prompts/p.mustache\n";
  EXPECT_EQ(errors_of(text),
            (V{at(2, 9, fmt::format("folder not found for 'target.repo': got 'nowhere' ({}), expected an existing "
                                    "folder",
                                    dir_.file("nowhere"))),
               at(3, 13, fmt::format("file not found for 'target.bug_file': got 'BUG.md' ({}), expected an existing "
                                     "readable file",
                                     dir_.file("BUG.md"))),
               at(6, 18, fmt::format("file not found for 'prompt_template': got 'prompts/p.mustache' ({}), expected "
                                     "an existing file",
                                     dir_.file("prompts/p.mustache")))}));
}

TEST_F(ConfigErrors, DuplicateAndConflictingKeys) {
  dir_.write("BUG.md", "it fails\n");
  EXPECT_EQ(errors_of("target:\n  repo: repo\n  bug: x\n  bug_file: BUG.md\nverify: {command: x}\n"
                      "runner: local-agent\ngenerations: 2\ngenerations: 3\n"),
            (V{at(4, 13, "conflicting keys: got both 'target.bug' and 'target.bug_file', expected one of them"),
               at(8, 1, "duplicate key: got 'generations' again, expected each key once (first at line 7)")}));
}

TEST_F(ConfigErrors, RunnerPresetsAndPlaceholders) {
  std::string base = "target: {repo: repo, bug: x}\nverify: {command: x}\n";
  EXPECT_EQ(errors_of(base + "runner: local-agnet\n"),
            V{at(3, 9, fmt::format("unknown runner preset: got 'local-agnet', expected one of broken, local-agent "
                                   "(from {}/runners); did you mean 'local-agent'?",
                                   home_.path().string()))});
  const std::string broken = home_.file("runners/broken.yaml");
  EXPECT_EQ(errors_of(base + "runner: broken\n"),
            (V{at(3, 1, "missing required key 'runner.command': expected a command: a list of strings, or one "
                        "string split like a shell would (preset 'broken' has none)"),
               // The user's file first, then the preset's own mistakes, named by its path.
               fmt::format("{}:1:9: invalid value for 'runner.format': got 'yaml', expected one of jsonl, "
                           "claude-stream, claude-transcript, codex, otlp",
                           broken),
               fmt::format("{}:2:15: wrong type for 'runner.wall_timeout': got 'soon', expected a duration > 0 "
                           "(seconds, or like 90s, 15m, 2h)",
                           broken)}));
  EXPECT_EQ(errors_of(base + "runner:\n  command: \"agent --in {promt_file} 'x\"\n"),
            V{at(4, 12, "cannot split 'runner.command': got 'agent --in {promt_file} 'x' (unclosed single quote), "
                        "expected a command line with its quotes closed")});
  EXPECT_EQ(errors_of(base + "runner:\n  command: [agent, --in, \"{promt_file}\"]\n"),
            V{at(4, 12, "unknown placeholder in 'runner.command': got '{promt_file}', expected one of {prompt_file} "
                        "{workspace} {model} {effort} {agent_id} {generation} {strategy} {run_dir} {demo_agent} {seed} {attempt} "
                        "{param_args}; did you mean "
                        "'{prompt_file}'?")});
  EXPECT_EQ(errors_of(base + "runner:\n  command: [agent, \"{prompt}\"]\n"),
            V{at(4, 12, "unknown placeholder in 'runner.command': got '{prompt}', expected one of {prompt_file} "
                        "{workspace} {model} {effort} {agent_id} {generation} {strategy} {run_dir} {demo_agent} {seed} {attempt} "
                        "{param_args}; did you mean "
                        "'{prompt_file}'?")});
  // Braces of shells and scripts are not placeholders.
  EXPECT_EQ(errors_of(base + "runner:\n  command: \"sh -c 'awk \\\"{print}\\\" $${HOME}/{workspace}'\"\n"), V{});
  EXPECT_EQ(errors_of(base + "runner:\n  command: []\n"),
            V{at(4, 12, "empty command for 'runner.command': got a list, expected at least the program to run")});
}

TEST_F(ConfigErrors, StrategyListItems) {
  EXPECT_EQ(errors_of(minimal_config("strategies:\n  list:\n    - bisekt\n    - name: a\n      parms: {}\n"
                                     "    - {name: b}\n    - {name: b}\n    - [x]\n")),
            (V{at(10, 7, fmt::format("unknown strategy preset: got 'bisekt', expected one of bisect (from "
                                     "{}/strategies); did you mean 'bisect'?",
                                     home_.path().string())),
               at(12, 7, "unknown key: got 'strategies.list[1].parms', expected one of name, params, model, "
                         "description, space; did you mean 'strategies.list[1].params'?"),
               at(14, 7, "duplicate strategy name in 'strategies.list': got 'b' again, expected unique names (first "
                         "at line 13)"),
               at(15, 7, "wrong type for 'strategies.list[4]': got a list, expected a strategy preset name or a map "
                         "of name, params, model")}));
}

TEST_F(ConfigErrors, ReportsEveryErrorInOnePassInFileOrder) {
  V errors = errors_of("seed: -1\ntarget:\n  repo: repo\n  bug: x\nverify:\n  command: x\n  protected: tests/\n"
                       "runner:\n  command: a\n  env: {1X: y}\n  launcher: kubernetes\n");
  EXPECT_EQ(errors,
            (V{at(1, 7, "out of range for 'seed': got -1, expected an integer >= 0"),
               at(7, 14, "wrong type for 'verify.protected': got 'tests/', expected a list of strings"),
               at(10, 9, "invalid variable name in 'runner.env': got '1X', expected letters, digits and '_', not "
                         "starting with a digit"),
               at(11, 13, "invalid value for 'runner.launcher': got 'kubernetes', expected one of local, slurm")}));
}

TEST_F(ConfigErrors, OddYamlIsReportedNotCrashedOn) {
  EXPECT_EQ(errors_of(minimal_config("? [a, b]\n: 1\n")),
            V{at(8, 3, "wrong type for a key: got a list, expected a name")});
  EXPECT_EQ(errors_of(minimal_config("observer:\n  ? {x: 1}\n  : 2\n")),
            V{at(9, 5, "wrong type for a key of 'observer': got a map, expected a name")});
  EXPECT_EQ(errors_of(minimal_config("generations: &n 3\npopulation: *n\nconcurrency: !!str 2\n")), V{});
  EXPECT_EQ(errors_of(minimal_config("budget:\n  agent: [1, 2]\n")),
            V{at(9, 10, "wrong type for 'budget.agent': got a list, expected a map of budget.agent.* keys")});
  EXPECT_EQ(errors_of(minimal_config("strategies: {list: {a: 1}}\n")),
            V{at(8, 20, "wrong type for 'strategies.list': got a map, expected a list of strategy preset names or "
                        "maps of name, params, model")});
  EXPECT_EQ(errors_of(minimal_config("runner_x: [\"\\u0000\", \"\\xff\"]\n")).size(), 1u);
}

TEST_F(ConfigErrors, UnreadableFileAndNonMapDocument) {
  LoadResult missing = load_config(dir_.file("absent.yaml"));
  EXPECT_FALSE(missing.config);
  EXPECT_EQ(formatted(missing), V{fmt::format("{0}: cannot read the config: got '{0}', expected a readable YAML file",
                                              dir_.file("absent.yaml"))});
  EXPECT_EQ(errors_of("- a\n- b\n"), (V{at(1, 1, "wrong type for the config: got a list, expected a map of keys"),
                                        at(1, 1, "missing required key 'target.repo': expected an existing folder "
                                                 "(The repository (a git repository, or a plain folder that is "
                                                 "copied), relative to this file)"),
                                        at(1, 1, "missing required key 'verify.command': expected a string (Shell "
                                                 "command (/bin/sh -c) run in the agent's workspace; exit 0 means "
                                                 "the bug is fixed)"),
                                        at(1, 1, "missing required key 'runner': expected a preset name or a map of "
                                                 "runner.* keys (How an agent runs: a preset name (demo, "
                                                 "claude-code, codex, jsonl, command: runners/<name>.yaml), or a map "
                                                 "of the keys below)"),
                                        at(1, 1, "missing required key 'target.bug' or 'target.bug_file': expected "
                                                 "the bug description, inline or in a file")}));
}

TEST_F(ConfigErrors, SandboxKeys) {
  // minimal_config is 7 lines: the sandbox section starts on line 8.
  EXPECT_EQ(errors_of(minimal_config("sandbox:\n  mode: always\n  allow_hosts: [pypi.org, 'a b:1', 'x:99999']\n"
                                     "  writable: [no-such-dir]\n")),
            (V{at(9, 9, "invalid value for 'sandbox.mode': got 'always', expected one of auto, on, off"),
               at(10, 27, "invalid value for 'sandbox.allow_hosts[1]': got 'a b:1', expected host or host:port (a port "
                          "1-65535), like registry.npmjs.org or pypi.org:443"),
               at(10, 36, "invalid value for 'sandbox.allow_hosts[2]': got 'x:99999', expected host or host:port (a "
                          "port 1-65535), like registry.npmjs.org or pypi.org:443"),
               at(11, 14, fmt::format("path not found for 'sandbox.writable[0]': got 'no-such-dir' ({}), expected an "
                                      "existing file or folder",
                                      (dir_.path() / "no-such-dir").string()))}));
}

}  // namespace
}  // namespace harness

namespace harness {
namespace {

// The codex preset reads OPENAI_BASE_URL (so the proxy sees Codex's calls); the variable it once read would be
// ignored without a word, so it is refused at the place of runner.env, naming the one to use.
TEST_F(ConfigErrors, CodexPresetRefusesCodexBaseUrl) {
  home_.write("runners/codex.yaml", "command: [codex]\nformat: codex\nenv: {CODEX_HOME: x}\n");
  std::string base = "target: {repo: repo, bug: x}\nverify: {command: x}\n";
  EXPECT_EQ(errors_of(base + "runner:\n  preset: codex\n  env:\n    CODEX_BASE_URL: http://127.0.0.1:9/v1\n"),
            V{at(6, 5, "runner.env.CODEX_BASE_URL is not read by the codex preset: got 'http://127.0.0.1:9/v1', "
                       "expected runner.env.OPENAI_BASE_URL (where Codex's calls go; with the proxy on, where the "
                       "proxy forwards them)")});
  EXPECT_EQ(errors_of(base + "runner:\n  preset: codex\n  env:\n    OPENAI_BASE_URL: http://127.0.0.1:9/v1\n"), V{});
}

}  // namespace
}  // namespace harness

namespace harness {
namespace {

// Hostile or mistaken configs found in issue 18: each is refused with its place, never validated or crashed on.
TEST_F(ConfigErrors, HostileAndMistakenConfigsAreRefused) {
  // An alias bomb inside strategy params: validating it ran to 2.4 GB and std::bad_alloc.
  std::string bomb = "strategies:\n  list:\n    - name: x\n      params:\n        a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i)
    bomb += fmt::format("        a{1}: &a{1} [*a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}]\n", i - 1, i);
  EXPECT_EQ(errors_of(minimal_config(bomb)),
            V{at(1, 1, "the config holds more than 100000 values once its YAML aliases are expanded: expected a "
                       "config, not an alias bomb")});
  // A timeout of 1e20 days overflowed, and the baseline check then "passed".
  EXPECT_EQ(errors_of(minimal_config("  wall_timeout: 99999999999999999999d\n")),
            V{at(8, 17, "out of range for 'runner.wall_timeout': got 99999999999999999999d, expected a duration of "
                        "at most 366d")});
  EXPECT_EQ(errors_of("target:\n  repo: repo\n  bug: b\nverify:\n  command: \"  \"\nrunner:\n  command: [a]\n"),
            V{at(5, 12, "empty value for 'verify.command': got '  ', expected a non-empty string")});
  EXPECT_EQ(errors_of(minimal_config("name: " + std::string(5000, 'n') + "\n")).size(), 1u);
  EXPECT_EQ(errors_of(minimal_config("---\ngenerations: 99\n")),
            V{at(8, 1, "a second YAML document: expected one; the config after its '---' would be ignored, so merge "
                       "it into the first or remove it")});
  EXPECT_EQ(errors_of(minimal_config("# " + std::string(2 << 20, 'x') + "\n")),
            V{fmt::format("{}: the config is {} bytes: expected at most 1048576 (1 MiB)", path_,
                          minimal_config().size() + (2 << 20) + 3)});
}

}  // namespace
}  // namespace harness
