// Loading valid configs: every key lands in Config, defaults come from the table, presets merge, ${ENV} expands,
// the snapshot keeps the text as written and its hash is stable.
#include <gtest/gtest.h>

#include "harness/config/config.h"
#include "harness/config/config_keys.h"
#include "harness/config/sha256.h"
#include "tests/harness/config/config_test_util.h"

namespace harness {
namespace {

using testing::formatted;
using testing::minimal_config;
using V = std::vector<std::string>;

class ConfigLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "repo");
    home_.write("runners/agent.yaml",
                "description: a test agent\ncommand: [agent, --prompt, \"{prompt_file}\"]\nformat: codex\n"
                "wall_timeout: 10m\nenv: {A: from-preset, B: from-preset}\n");
    home_.write("strategies/bisect.yaml", "description: bisect first\nmodel: small\nparams: {approach: bisect}\n");
  }
  Config load_ok(const std::string& text) {
    LoadResult r = load_config_text(text, path_);
    EXPECT_EQ(formatted(r), V{});
    return r.config.value_or(Config{});
  }

  testing::TempDir dir_, home_;
  testing::ScopedEnv env_{"HARNESS_HOME", home_.path().string()};
  std::string path_ = dir_.file("h.yaml");
};

TEST_F(ConfigLoad, EveryKeyLandsInConfig) {
  dir_.write("docs/BUG.md", "The ledger loses 1 cent under load.\n");
  dir_.write("prompt.mustache", "{{bug}}\n");
  testing::ScopedEnv token("HARNESS_TEST_TOKEN", "s3cret");
  Config c = load_ok(R"(name: ledger-race
target:
  repo: repo/
  base_ref: v1.2
  bug_file: docs/BUG.md
verify:
  command: make test
  repeat: 5
  timeout: 90s
  protected: [tests/, Makefile]
  baseline: no
  launcher: slurm
generations: 7
population: 6
concurrency: 3
runner:
  command: "my-agent --model {model} --in '{prompt_file}'"
  env: {TOKEN: "${HARNESS_TEST_TOKEN}", MODE: "${HARNESS_TEST_MODE:-fast}"}
  format: claude-stream
  wall_timeout: 1h30m
  idle_timeout: 45
  launcher: slurm
  slurm: {partition: gpu, time: "02:00:00", cpus: 8, mem: 16G, extra_args: [--qos=low], submit_timeout: 2m,
          command_timeout: 5s}
budget:
  agent: {tokens: 200000, usd: 1.5}
  generation: {tokens: 1000000, usd: 8}
  run: {tokens: 5000000, usd: 40}
stop:
  after_fixes: 2
  no_progress_generations: 3
  wall_clock: 8h
observer:
  inject: false
  command: python3 observe.py
  command_timeout: 3m
  prompt_budget_chars: 4000
strategies:
  allocation: bandit
  list:
    - bisect
    - name: read-first
      model: big
      params: {depth: 3, files: [a.c, b.c], note: "quoted 7", flag: true}
  meta_command: ./meta.sh
workspace:
  root: ../ws
  keep: all
prompt_template: prompt.mustache
seed: 42
)");
  EXPECT_EQ(c.name, "ledger-race");
  EXPECT_EQ(c.path, path_);
  EXPECT_EQ(c.target.repo, dir_.file("repo"));
  EXPECT_EQ(c.target.base_ref, "v1.2");
  EXPECT_EQ(c.target.bug, "The ledger loses 1 cent under load.\n");
  EXPECT_EQ(c.verify.command, "make test");
  EXPECT_EQ(c.verify.repeat, 5);
  EXPECT_EQ(c.verify.timeout_s, 90);
  EXPECT_EQ(c.verify.protected_paths, (V{"tests/", "Makefile"}));
  EXPECT_FALSE(c.verify.baseline);
  EXPECT_EQ(c.verify.launcher, "slurm");
  EXPECT_EQ(c.generations, 7);
  EXPECT_EQ(c.population, 6);
  EXPECT_EQ(c.concurrency, 3);
  EXPECT_EQ(c.runner.preset, "");
  EXPECT_EQ(c.runner.command, (V{"my-agent", "--model", "{model}", "--in", "{prompt_file}"}));
  EXPECT_EQ(c.runner.env, (std::map<std::string, std::string>{{"TOKEN", "s3cret"}, {"MODE", "fast"}}));
  EXPECT_EQ(c.runner.format, "claude-stream");
  EXPECT_EQ(c.runner.wall_timeout_s, 5400);
  EXPECT_EQ(c.runner.idle_timeout_s, 45);
  EXPECT_EQ(c.runner.launcher, "slurm");
  EXPECT_EQ(c.runner.slurm, nlohmann::json::parse(R"({"partition": "gpu", "time": "02:00:00", "cpus": 8,
                                                       "mem": "16G", "extra_args": ["--qos=low"],
                                                       "submit_timeout": 120.0, "command_timeout": 5.0})"));
  EXPECT_EQ(c.agent_budget.tokens, 200000);
  EXPECT_EQ(c.agent_budget.usd, 1.5);
  EXPECT_EQ(c.generation_budget.tokens, 1000000);
  EXPECT_EQ(c.generation_budget.usd, 8);
  EXPECT_EQ(c.run_budget.tokens, 5000000);
  EXPECT_EQ(c.run_budget.usd, 40);
  EXPECT_EQ(c.stop.after_fixes, 2);
  EXPECT_EQ(c.stop.no_progress_generations, 3);
  EXPECT_EQ(c.stop.wall_clock_s, 8 * 3600);
  EXPECT_FALSE(c.observer.inject);
  EXPECT_EQ(c.observer.command, "python3 observe.py");
  EXPECT_EQ(c.observer.command_timeout_s, 180);
  EXPECT_EQ(c.observer.prompt_budget_chars, 4000u);
  EXPECT_EQ(c.strategies.allocation, "bandit");
  ASSERT_EQ(c.strategies.list.size(), 2u);
  EXPECT_EQ(c.strategies.list[0].name, "bisect");
  EXPECT_EQ(c.strategies.list[0].model, "small");
  EXPECT_EQ(c.strategies.list[0].params, nlohmann::json::parse(R"({"approach": "bisect"})"));
  EXPECT_EQ(c.strategies.list[1].name, "read-first");
  EXPECT_EQ(c.strategies.list[1].model, "big");
  EXPECT_EQ(c.strategies.list[1].params,
            nlohmann::json::parse(R"({"depth": 3, "files": ["a.c", "b.c"], "note": "quoted 7", "flag": true})"));
  EXPECT_EQ(c.strategies.meta_command, "./meta.sh");
  EXPECT_EQ(c.workspace.root, (dir_.path().parent_path() / "ws").string());
  EXPECT_EQ(c.workspace.keep, "all");
  EXPECT_EQ(c.prompt_template, dir_.file("prompt.mustache"));
  EXPECT_EQ(c.seed, 42u);
  EXPECT_TRUE(c.run_dir.starts_with("runs/ledger-race-")) << c.run_dir;
}

// The table's defaults and Config's member initializers must agree: code that builds a Config by hand (tests,
// the loop's fakes) sees the same values a loaded one has.
TEST_F(ConfigLoad, TableDefaultsEqualConfigDefaults) {
  Config loaded = load_ok(minimal_config());
  Config plain;
  EXPECT_EQ(loaded.name, plain.name);
  EXPECT_EQ(loaded.target.base_ref, plain.target.base_ref);
  EXPECT_EQ(loaded.verify.repeat, plain.verify.repeat);
  EXPECT_EQ(loaded.verify.timeout_s, plain.verify.timeout_s);
  EXPECT_EQ(loaded.verify.protected_paths, plain.verify.protected_paths);
  EXPECT_EQ(loaded.verify.baseline, plain.verify.baseline);
  EXPECT_EQ(loaded.generations, plain.generations);
  EXPECT_EQ(loaded.population, plain.population);
  EXPECT_EQ(loaded.concurrency, plain.concurrency);
  EXPECT_EQ(loaded.runner.env, plain.runner.env);
  EXPECT_EQ(loaded.runner.format, plain.runner.format);
  EXPECT_EQ(loaded.runner.wall_timeout_s, plain.runner.wall_timeout_s);
  EXPECT_EQ(loaded.runner.idle_timeout_s, plain.runner.idle_timeout_s);
  EXPECT_EQ(loaded.runner.launcher, plain.runner.launcher);
  EXPECT_EQ(loaded.verify.launcher, plain.verify.launcher);
  EXPECT_EQ(loaded.agent_budget.tokens, plain.agent_budget.tokens);
  EXPECT_EQ(loaded.run_budget.usd, plain.run_budget.usd);
  EXPECT_EQ(loaded.stop.after_fixes, plain.stop.after_fixes);
  EXPECT_EQ(loaded.stop.no_progress_generations, plain.stop.no_progress_generations);
  EXPECT_EQ(loaded.stop.wall_clock_s, plain.stop.wall_clock_s);
  EXPECT_EQ(loaded.observer.inject, plain.observer.inject);
  EXPECT_EQ(loaded.observer.command, plain.observer.command);
  EXPECT_EQ(loaded.observer.command_timeout_s, plain.observer.command_timeout_s);
  EXPECT_EQ(loaded.observer.prompt_budget_chars, plain.observer.prompt_budget_chars);
  EXPECT_EQ(loaded.strategies.allocation, plain.strategies.allocation);
  EXPECT_TRUE(loaded.strategies.list.empty());
  EXPECT_EQ(loaded.workspace.root, plain.workspace.root);
  EXPECT_EQ(loaded.workspace.keep, plain.workspace.keep);
  EXPECT_EQ(loaded.prompt_template, plain.prompt_template);
  EXPECT_FALSE(loaded.seed.has_value());
  // Slurm settings are defaults too: the launcher reads them all.
  EXPECT_EQ(loaded.runner.slurm,
            nlohmann::json::parse(R"({"partition": "", "time": "", "cpus": 1, "mem": "", "extra_args": [],
                                      "submit_timeout": 60.0, "command_timeout": 15.0})"));
}

TEST_F(ConfigLoad, RunnerPresetKeysAreDefaultsUnderTheUsersKeys) {
  Config c = load_ok("target: {repo: repo, bug: x}\nverify: {command: x}\n"
                     "runner:\n  preset: agent\n  idle_timeout: 20s\n  env: {B: mine, C: mine}\n");
  EXPECT_EQ(c.runner.preset, "agent");
  EXPECT_EQ(c.runner.command, (V{"agent", "--prompt", "{prompt_file}"}));
  EXPECT_EQ(c.runner.format, "codex");
  EXPECT_EQ(c.runner.wall_timeout_s, 600);
  EXPECT_EQ(c.runner.idle_timeout_s, 20);
  EXPECT_EQ(c.runner.env,
            (std::map<std::string, std::string>{{"A", "from-preset"}, {"B", "mine"}, {"C", "mine"}}));

  Config short_form = load_ok("target: {repo: repo, bug: x}\nverify: {command: x}\nrunner: agent\n");
  EXPECT_EQ(short_form.runner.preset, "agent");
  EXPECT_EQ(short_form.runner.command, c.runner.command);
  EXPECT_EQ(short_form.runner.idle_timeout_s, 300);  // the table's default: the preset does not set it

  Config overridden =
      load_ok("target: {repo: repo, bug: x}\nverify: {command: x}\nrunner: {preset: agent, command: mine}\n");
  EXPECT_EQ(overridden.runner.command, V{"mine"});
}

TEST_F(ConfigLoad, ShippedDemoPresetLoads) {
  testing::ScopedEnv source_home("HARNESS_HOME", std::nullopt);
  Config c = load_ok("target: {repo: repo, bug: x}\nverify: {command: x}\nrunner: demo\n");
  EXPECT_EQ(c.runner.command.at(0), "{demo_agent}");
  EXPECT_EQ(c.runner.format, "jsonl");
  for (const char* preset : {"jsonl", "command"}) {
    Config p = load_ok(std::string("target: {repo: repo, bug: x}\nverify: {command: x}\nrunner: {preset: ") + preset +
                       ", command: [my-agent]}\n");
    EXPECT_EQ(p.runner.format, "jsonl") << preset;
  }
}

// Every shipped strategy preset can be listed by its bare name (their `space` used to be refused as an unknown key).
TEST_F(ConfigLoad, ShippedStrategyPresetsLoadByName) {
  testing::ScopedEnv source_home("HARNESS_HOME", std::nullopt);
  Config c = load_ok("target: {repo: repo, bug: x}\nverify: {command: x}\nrunner: demo\nstrategies:\n  list: "
                     "[bisect, minimal-fix, reproduce-first, read-recent-changes, instrument-and-log]\n");
  ASSERT_EQ(c.strategies.list.size(), 5u);
  EXPECT_EQ(c.strategies.list[0].name, "bisect");
  EXPECT_EQ(c.strategies.list[0].params.value("approach", ""), "bisect");
  EXPECT_EQ(c.strategies.list[0].space["budget_steps"], nlohmann::json::parse(R"({"min": 20, "max": 120})"));
}

TEST_F(ConfigLoad, AdvisorPresetsLoadAndExcludeTheirCommands) {
  Config c = load_ok(minimal_config() + "observer: {llm: codex, llm_model: gpt-5}\nstrategies: {meta: claude-code}\n");
  EXPECT_EQ(c.observer.llm, "codex");
  EXPECT_EQ(c.observer.llm_model, "gpt-5");
  EXPECT_EQ(c.strategies.meta, "claude-code");
  LoadResult r = load_config_text(minimal_config() + "observer:\n  llm: claude-code\n  command: ./o.sh\n"
                                  "strategies:\n  meta: codex\n  meta_command: ./m.sh\n", path_);
  EXPECT_EQ(formatted(r),
            (V{path_ + ":10:12: conflicting keys: got both 'observer.llm' (claude-code) and 'observer.command', "
                       "expected one of them",
               path_ + ":13:17: conflicting keys: got both 'strategies.meta' (codex) and 'strategies.meta_command', "
                       "expected one of them"}));
  r = load_config_text(minimal_config() + "observer: {llm: gemini}\n", path_);
  ASSERT_EQ(formatted(r).size(), 1u);
  EXPECT_NE(formatted(r)[0].find("expected one of none, claude-code, codex"), std::string::npos) << formatted(r)[0];
}

TEST_F(ConfigLoad, SnapshotKeepsVariablesUnexpandedAndHashIsStable) {
  testing::ScopedEnv token("HARNESS_TEST_TOKEN", "s3cret-value");
  // minimal_config() ends inside `runner:`, so this line is runner.env.
  const std::string text = minimal_config() + "  env: {API_KEY: \"${HARNESS_TEST_TOKEN}\"}\n";
  Config c = load_ok(text);
  EXPECT_EQ(c.runner.env.at("API_KEY"), "s3cret-value");
  EXPECT_EQ(c.snapshot_yaml, text);
  EXPECT_NE(c.snapshot_yaml.find("${HARNESS_TEST_TOKEN}"), std::string::npos);
  EXPECT_EQ(c.snapshot_yaml.find("s3cret-value"), std::string::npos);
  EXPECT_EQ(c.hash, sha256_hex(text));
  EXPECT_EQ(c.hash.size(), 64u);

  // Same text, different secret: the same hash (the secret is not part of the config). Different text: another.
  testing::ScopedEnv other("HARNESS_TEST_TOKEN", "rotated");
  EXPECT_EQ(load_ok(text).hash, c.hash);
  EXPECT_NE(load_ok(text + "seed: 1\n").hash, c.hash);
}

TEST_F(ConfigLoad, LoadsFromAFileResolvingPathsAgainstItsFolder) {
  const std::string file = dir_.write("sub/dir/harness.yaml",
                                      "target: {repo: ../../repo, bug_file: bug.txt}\nverify: {command: x}\n"
                                      "runner: {command: a}\n");
  dir_.write("sub/dir/bug.txt", "race\n");
  LoadResult r = load_config(file);
  ASSERT_EQ(formatted(r), V{});
  EXPECT_EQ(r.config->target.repo, dir_.file("repo"));
  EXPECT_EQ(r.config->target.bug, "race\n");
  EXPECT_EQ(r.config->snapshot_yaml, testing::read_file(file));
}

TEST_F(ConfigLoad, DescribeConfigSummarisesTheRun) {
  Config c = load_ok("name: demo-run\ntarget: {repo: repo, bug: x}\nverify: {command: make test, repeat: 3}\n"
                     "runner: agent\nstrategies: {list: [bisect]}\nbudget: {agent: {tokens: 5000}, run: {usd: 2.5}}\n"
                     "stop: {after_fixes: 2, wall_clock: 2h}\n");
  EXPECT_EQ(describe_config(c),
            "Run 'demo-run': up to 5 generations of 4 agents (4 at a time) on " + dir_.file("repo") +
                " at HEAD. Agents: runner 'agent' (agent ...), codex output, killed after 10m or 5m idle. Verify: "
                "`make test`, all of 3 runs must pass, each within 5m; it must fail on the base first. Strategies "
                "(round_robin): bisect. Stops after 2 validated fixes or after 2h. Budgets: 5000 tokens per agent, "
                "$2.50 per run. Workspaces kept: winners. Config hash " +
                c.hash.substr(0, 12) + ".");
}

TEST(ConfigKeys, EveryLeafKeyLandsSomewhere) {
  for (const auto& key : config_keys()) {
    bool container = key.type == KeyType::kSection || key.type == KeyType::kPresetOrSection;
    bool item_or_note = key.key.find("[]") != std::string::npos || key.key == "runner.description";
    EXPECT_EQ(key.apply != nullptr, !container && !item_or_note) << key.key;
    EXPECT_FALSE(key.doc.empty()) << key.key;
    // Every key's parent is in the table too ("strategies.list[].name" belongs to "strategies.list").
    std::string parent = parent_key(key.key);
    if (parent.ends_with("[]")) parent.resize(parent.size() - 2);
    EXPECT_TRUE(parent.empty() || find_config_key(parent)) << key.key;
  }
}

}  // namespace
}  // namespace harness
