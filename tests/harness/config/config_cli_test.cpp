// `harness validate` and `harness init` as a user runs them (the real binary), and docs/config.md against the table.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <regex>

#include <fmt/format.h>

#include "harness/config/config.h"
#include "harness/config/config_keys.h"
#include "tests/harness/config/config_test_util.h"

namespace harness {
namespace {

struct Ran {
  int exit_code = -1;
  std::string out, err;
};

// Runs the harness binary with `args` (already shell-quoted) in `cwd`.
Ran run_harness(const std::string& args, const testing::TempDir& cwd) {
  const std::string out = cwd.file(".stdout"), err = cwd.file(".stderr");
  std::string command =
      fmt::format("cd '{}' && '{}' {} >'{}' 2>'{}'", cwd.path().string(), HARNESS_BINARY, args, out, err);
  int status = std::system(command.c_str());
  Ran ran;
  ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  ran.out = testing::read_file(out);
  ran.err = testing::read_file(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return ran;
}

// The starter names the claude-code preset, which another part of the tree ships; when this tree has none yet, a
// stand-in with the same role is used so that the starter's own validity is still what is tested.
std::optional<testing::ScopedEnv> home_with_claude_code(const testing::TempDir& scratch) {
  if (std::filesystem::exists(std::filesystem::path(HARNESS_SOURCE_DIR) / "runners/claude-code.yaml"))
    return std::nullopt;
  scratch.write("runners/claude-code.yaml", "command: [claude, -p, \"{prompt_file}\"]\nformat: claude-stream\n");
  std::cout << "[ note ] runners/claude-code.yaml is not in this tree yet: using a stand-in preset\n";
  return std::make_optional<testing::ScopedEnv>("HARNESS_HOME", scratch.path().string());
}

TEST(ConfigCli, ValidatePrintsOkAndASummary) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "repo");
  dir.write("h.yaml", testing::minimal_config());
  Ran ran = run_harness("validate h.yaml", dir);
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.err, "");
  EXPECT_TRUE(ran.out.starts_with("h.yaml: ok\nRun 'run': up to 5 generations of 4 agents (4 at a time) on " +
                                  dir.file("repo") + " at HEAD."))
      << ran.out;
}

TEST(ConfigCli, ValidatePrintsEveryErrorAndExits2) {
  testing::TempDir dir;
  dir.write("h.yaml", "target:\n  repo: nowhere\nverify: {command: x, repeat: 0}\nrunner: {command: a}\npopulaton: 3\n");
  Ran ran = run_harness("validate h.yaml", dir);
  EXPECT_EQ(ran.exit_code, 2);
  EXPECT_EQ(ran.out, "");
  EXPECT_EQ(ran.err, fmt::format("h.yaml:1:1: missing required key 'target.bug' or 'target.bug_file': expected the "
                                 "bug description, inline or in a file\n"
                                 "h.yaml:2:9: folder not found for 'target.repo': got 'nowhere' ({}), expected an "
                                 "existing folder\n"
                                 "h.yaml:3:30: out of range for 'verify.repeat': got 0, expected an integer >= 1\n"
                                 "h.yaml:5:1: unknown key: got 'populaton', expected one of name, target, verify, "
                                 "generations, population, concurrency, runner, budget, stop, observer, strategies, "
                                 "workspace, telemetry, proxy, limits, sandbox, prompt_template, seed, from; did you mean 'population'?\n"
                                 "h.yaml: 4 errors\n",
                                 dir.file("nowhere")));
  std::vector<std::string> entries;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) entries.push_back(e.path().filename());
  EXPECT_EQ(entries, std::vector<std::string>{"h.yaml"});  // validate writes nothing
  EXPECT_EQ(testing::read_file(dir.file("h.yaml")).substr(0, 8), "target:\n");
  Ran missing = run_harness("validate absent.yaml", dir);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "absent.yaml: cannot read the config: got 'absent.yaml', expected a readable YAML file\n"
                         "absent.yaml: 1 error\n");
}

TEST(ConfigCli, InitWritesTheStarterAndRefusesToOverwrite) {
  testing::TempDir dir, scratch;
  auto home = home_with_claude_code(scratch);
  Ran ran = run_harness("init", dir);
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "wrote harness.yaml: set target.repo, target.bug and verify.command, then run `harness validate "
                     "harness.yaml`\n");
  const std::string written = testing::read_file(dir.file("harness.yaml"));
  EXPECT_EQ(written, starter_config());

  // The starter validates as written (its repo is the folder it sits in).
  Ran valid = run_harness("validate harness.yaml", dir);
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  EXPECT_TRUE(valid.out.starts_with("harness.yaml: ok\nRun 'my-bug-hunt': ")) << valid.out;

  // A second init refuses and changes nothing; --force overwrites.
  dir.write("harness.yaml", "# mine\n");
  Ran refused = run_harness("init", dir);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.err, "harness: harness.yaml already exists: not overwriting it (use --force)\n");
  EXPECT_EQ(testing::read_file(dir.file("harness.yaml")), "# mine\n");
  std::vector<std::string> entries;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) entries.push_back(e.path().filename());
  EXPECT_EQ(entries, std::vector<std::string>{"harness.yaml"});  // no temporary left behind

  Ran forced = run_harness("init harness.yaml --force", dir);
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(testing::read_file(dir.file("harness.yaml")), starter_config());
}

TEST(ConfigCli, InitIntoAFolderOrAMissingFolder) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "proj");
  Ran into_folder = run_harness("init proj", dir);
  EXPECT_EQ(into_folder.exit_code, 0) << into_folder.err;
  EXPECT_EQ(testing::read_file(dir.file("proj/harness.yaml")), starter_config());

  Ran nowhere = run_harness("init no/such/dir/h.yaml", dir);
  EXPECT_EQ(nowhere.exit_code, 2);
  EXPECT_EQ(nowhere.err, "harness: cannot write no/such/dir/h.yaml: folder no/such/dir does not exist\n");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "no"));
}

TEST(ConfigStarter, ValidatesAndSetsOnlyTheStarterKeys) {
  testing::TempDir dir, scratch;
  auto home = home_with_claude_code(scratch);
  const std::string path = dir.write("harness.yaml", starter_config());
  LoadResult r = load_config(path);
  ASSERT_EQ(testing::formatted(r), std::vector<std::string>{});
  EXPECT_EQ(r.config->name, "my-bug-hunt");
  EXPECT_EQ(r.config->target.repo, dir.path().string());
  EXPECT_EQ(r.config->runner.preset, "claude-code");
  EXPECT_EQ(r.config->verify.command, "make test");
  EXPECT_EQ(r.config->target.bug,
            "Describe the bug: what fails, how often, what you already know.\nThe agents see this text, the "
            "observations of earlier generations and their strategy.\n");
  // Every key of the table appears in the starter, set or commented out.
  for (const auto& key : config_keys()) {
    if (key.key.find("[]") != std::string::npos) continue;
    std::regex line("(^|\\n)[ #]*" + leaf_key(key.key) + ":");
    EXPECT_TRUE(std::regex_search(starter_config(), line)) << key.key;
  }
}

// docs/config.md holds the generated table between markers; HARNESS_UPDATE_DOCS=1 rewrites it.
TEST(ConfigDocs, TableMatchesKeyTable) {
  const std::string path = std::string(HARNESS_SOURCE_DIR) + "/docs/config.md";
  std::string doc = testing::read_file(path);
  const std::string begin = "<!-- keys:begin -->\n", end = "<!-- keys:end -->";
  size_t from = doc.find(begin), to = doc.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  from += begin.size();
  const std::string expected = config_reference_markdown();
  if (std::getenv("HARNESS_UPDATE_DOCS")) {
    doc.replace(from, to - from, expected);
    std::ofstream(path, std::ios::binary) << doc;
    return;
  }
  EXPECT_EQ(doc.substr(from, to - from), expected)
      << "docs/config.md is out of date: run HARNESS_UPDATE_DOCS=1 harness_config_tests --gtest_filter=ConfigDocs.*";
  // And the key list, named one by one, so a failure says which key is missing.
  for (const auto& key : config_keys())
    EXPECT_NE(doc.find("| `" + key.key + "` |"), std::string::npos) << key.key;
}

}  // namespace
}  // namespace harness
