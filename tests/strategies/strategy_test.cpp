// Strategy presets: the shipped YAML files load, and a bad file gets an exact error with its place.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "strategies/strategy.h"

namespace strategies {
namespace {

const std::string kPresets = std::string(HARNESS_SOURCE_DIR) + "/strategies";

TEST(Presets, ShippedPresetsLoadWithTheirParams) {
  PresetLoad load = load_presets(kPresets);
  EXPECT_TRUE(load.errors.empty()) << load.errors.front();
  std::vector<std::string> names;
  for (const auto& s : load.presets) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"bisect", "instrument-and-log", "minimal-fix", "read-recent-changes",
                                             "reproduce-first"}));
  for (const auto& s : load.presets) {
    for (const char* key : {"approach", "triage", "fix_heuristic", "budget_steps", "instructions"})
      EXPECT_TRUE(s.params.contains(key)) << s.name << " lacks " << key;
    EXPECT_TRUE(s.params["budget_steps"].is_number_integer()) << s.name;
    EXPECT_FALSE(s.space.empty()) << s.name;
  }
  const Strategy* bisect = find_strategy(load.presets, "bisect");
  ASSERT_NE(bisect, nullptr);
  EXPECT_EQ(bisect->params["approach"], "bisect");
  EXPECT_EQ(bisect->params["budget_steps"], 50);
  EXPECT_EQ(bisect->space["budget_steps"], (nlohmann::json{{"min", 20}, {"max", 120}}));
  EXPECT_EQ(bisect->space["triage"], (nlohmann::json{"history-first", "failing-test-first"}));
}

TEST(Presets, ScalarsKeepTheirTypesAndQuotedStaysString) {
  auto p = parse_strategy_yaml("name: s1\nparams:\n  n: 3\n  x: 0.5\n  on: true\n  q: \"42\"\n  w: word\n",
                                        "s1.yaml");
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->params, (nlohmann::json{{"n", 3}, {"x", 0.5}, {"on", true}, {"q", "42"}, {"w", "word"}}));
  EXPECT_EQ(p->model, "");
}

TEST(Presets, BadFilesGetExactErrors) {
  auto error = [](const std::string& text) { return parse_strategy_yaml(text, "s.yaml").error(); };
  EXPECT_EQ(error("params: {a: 1}\n"), "s.yaml:1:1: missing \"name\" (a string)");
  EXPECT_EQ(error("name: bad name\n"),
            "s.yaml:1:7: name \"bad name\" is not valid; expected 1-64 letters, digits, '-', '_', '.', '+', '~'");
  EXPECT_EQ(error("name: a\nparms: {}\n"),
            "s.yaml:2:1: unknown key \"parms\"; expected one of name, description, model, params, space");
  EXPECT_EQ(error("name: a\nparams: [1, 2]\n"), "s.yaml:2:9: params: expected a map of name: value");
  EXPECT_EQ(error("name: a\nparams: {n: 1}\nspace: {m: [1, 2]}\n"),
            "s.yaml:3:8: space.m names no param (params has no \"m\")");
  EXPECT_EQ(error("name: a\nparams: {n: x}\nspace: {n: {min: 1, max: 3}}\n"),
            "s.yaml:3:8: space.n: a range needs a numeric param");
  EXPECT_EQ(error("name: a\nparams: {n: 1}\nspace: {n: {min: 5, max: 3}}\n"), "s.yaml:3:8: space.n: min is greater than max");
  EXPECT_EQ(error("name: [a\n"), "s.yaml:2:1: end of sequence flow not found");
  EXPECT_EQ(error("- a\n"), "s.yaml:1:1: expected a map with name and params");
}

TEST(Presets, FolderErrorsAreCollectedAndGoodFilesStillLoad) {
  std::string dir = (std::filesystem::temp_directory_path() / "strategies-test-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::ofstream(dir + "/a.yaml") << "name: one\nparams: {n: 1}\n";
  std::ofstream(dir + "/b.yaml") << "name: one\n";
  std::ofstream(dir + "/c.yaml") << "nme: two\n";
  std::ofstream(dir + "/notes.txt") << "not a preset";
  PresetLoad load = load_presets(dir);
  ASSERT_EQ(load.presets.size(), 1u);
  EXPECT_EQ(load.presets[0].name, "one");
  EXPECT_EQ(load.errors, (std::vector<std::string>{
                             dir + "/b.yaml: strategy \"one\" is defined twice",
                             dir + "/c.yaml:1:1: unknown key \"nme\"; expected one of name, description, model, "
                                   "params, space"}));
  std::filesystem::remove_all(dir);
  PresetLoad missing = load_presets(dir);
  EXPECT_EQ(missing.errors, (std::vector<std::string>{dir + ": cannot read the strategies folder: No such file or directory"}));
}

TEST(Presets, FolderComesFromHarnessHomeElseTheSourceDir) {
  ::unsetenv("HARNESS_HOME");
  EXPECT_EQ(default_presets_dir("/src/harness"), "/src/harness/strategies");
  ::setenv("HARNESS_HOME", "/opt/harness", 1);
  EXPECT_EQ(default_presets_dir("/src/harness"), "/opt/harness/strategies");
  ::unsetenv("HARNESS_HOME");
}

}  // namespace
}  // namespace strategies
