// The LLM observer and the shell command runner under it: good answers are parsed, and a crashing, garbage,
// wrong-schema, oversized or hanging command comes back as an exact error value, in bounded time.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <sstream>

#include "observer/llm_observer.h"
#include "observer/shell_command.h"
#include "temp_dir.h"
#include "trace_builder.h"

namespace observer {
namespace {

using observer_test::TempDir;
using observer_test::TraceBuilder;

LlmObserverResult run(const std::string& command, double timeout_s = 20) {
  LlmObserverOptions options;
  options.command = command;
  options.timeout_s = timeout_s;
  return run_llm_observer(options, {{"protocol", kObserverProtocol}, {"generation", 4}, {"agents", nlohmann::json::array()}});
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// True once `pid` is gone (or a zombie nobody reaps in this container).
bool process_gone(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

TEST(LlmObserver, ParsesAValidAnswerAndGetsTheDigestOnStdin) {
  TempDir dir;
  std::string answer =
      R"({"observations":[{"priority":"important","kind":"tool_error","text":"make fails on a clean tree",)"
      R"("evidence":["g04-a01#e41",{"agent":"g04-a02","span_id":"00000000000000c3"}]},)"
      R"({"priority":"possible","kind":"made_up_kind","text":"  try\nthe lock  "}]})";
  LlmObserverResult r = run("cat > " + dir.file("digest.json") + "; printf '%s' '" + answer + "'");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.observations.size(), 2u);
  const Observation& a = r.observations[0];
  EXPECT_EQ(a.priority, Priority::important);
  EXPECT_EQ(a.kind, Kind::tool_error);
  EXPECT_EQ(a.text, "make fails on a clean tree");
  EXPECT_EQ(a.first_gen, 4);
  EXPECT_EQ(a.agents, (std::vector<std::string>{"g04-a01", "g04-a02"}));
  ASSERT_EQ(a.evidence.size(), 2u);
  EXPECT_EQ(a.evidence[0], (Evidence{"g04-a01", "", 41}));
  EXPECT_EQ(a.evidence[1], (Evidence{"g04-a02", "00000000000000c3", 0}));
  EXPECT_EQ(r.observations[1].kind, Kind::llm);
  EXPECT_EQ(r.observations[1].text, "try the lock");
  auto digest = nlohmann::json::parse(read_file(dir.file("digest.json")));
  EXPECT_EQ(digest["protocol"], "harness.observer/1");
  EXPECT_EQ(digest["generation"], 4);
}

TEST(LlmObserver, CrashIsAnError) {
  LlmObserverResult r = run("echo partial; echo 'boom: model unavailable' >&2; exit 3");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error, "observer.command exited with status 3: boom: model unavailable");
  EXPECT_EQ(r.stderr_tail, "boom: model unavailable\n");
  EXPECT_TRUE(r.observations.empty());
  EXPECT_EQ(run("kill -SEGV $$").error, "observer.command killed by signal 11 (Segmentation fault)");
  EXPECT_EQ(run("/no/such/observer").error, "observer.command exited with status 127: /bin/sh: 1: /no/such/observer: not found");
}

TEST(LlmObserver, GarbageIsAnError) {
  EXPECT_EQ(run("echo 'Sure! Here are the observations: {'").error,
            "observer.command output is not JSON: \"Sure! Here are the observations: {\"");
  EXPECT_EQ(run("true").error, "observer.command output is not JSON: \"\"");
}

TEST(LlmObserver, WrongSchemaIsAnError) {
  EXPECT_EQ(run(R"(echo '{"obs":[]}')").error,
            "observer.command output: expected an object with an \"observations\" array");
  EXPECT_EQ(run(R"(echo '[1,2]')").error, "observer.command output: expected an object with an \"observations\" array");
  EXPECT_EQ(run(R"(echo '{"observations":[{"priority":"urgent","text":"x"}]}')").error,
            "observer.command output: observations[0].priority: expected \"important\", \"possible\" or "
            "\"informational\", got \"urgent\"");
  EXPECT_EQ(run(R"(echo '{"observations":[{"priority":"possible","text":"ok"},{"priority":"possible"}]}')").error,
            "observer.command output: observations[1].text: expected a non-empty string");
  EXPECT_EQ(run(R"(echo '{"observations":[{"priority":"possible","text":"x","evidence":["#e1"]}]}')").error,
            "observer.command output: observations[0].evidence[0]: expected \"<agent>#e<event id>\" or "
            "{\"agent\",\"span_id\",\"event_id\"}, got \"#e1\"");
  EXPECT_EQ(run(R"(echo '{"observations":[{"priority":"possible","text":"x","evidence":"g1-a1"}]}')").error,
            "observer.command output: observations[0].evidence: expected an array");
  EXPECT_EQ(run(R"(echo '{"observations":"none"}')").error,
            "observer.command output: expected an object with an \"observations\" array");
}

TEST(LlmObserver, TooManyObservationsOrTooMuchOutputIsAnError) {
  LlmObserverOptions options;
  options.max_observations = 2;
  std::string three = R"({"observations":[{"priority":"possible","text":"a"},{"priority":"possible","text":"b"},)"
                      R"({"priority":"possible","text":"c"}]})";
  EXPECT_EQ(parse_llm_observations(three, 1, options).error,
            "observer.command output: 3 observations, more than the limit of 2");
  options.command = "head -c 5000 /dev/zero | tr '\\0' a";
  options.max_output_bytes = 1000;
  EXPECT_EQ(run_llm_observer(options, nlohmann::json::object()).error,
            "observer.command wrote more than 1000 bytes to stdout (killed)");
}

TEST(LlmObserver, HangIsKilledAtTheTimeoutWithEverythingItStarted) {
  TempDir dir;
  // The command starts a grandchild that holds stdout open, then hangs itself.
  std::string command = "sleep 60 & echo $! > " + dir.file("child.pid") + "; echo $$ > " + dir.file("sh.pid") +
                        "; sleep 60";
  LlmObserverResult r = run(command, 0.3);
  EXPECT_EQ(r.error, "observer.command timed out after 0.3s (killed)");
  int sh = std::stoi(read_file(dir.file("sh.pid")));
  int child = std::stoi(read_file(dir.file("child.pid")));
  EXPECT_TRUE(process_gone(sh));
  // SIGKILL went to the whole group; the grandchild is reaped by init, which may take a moment.
  for (int i = 0; i < 200 && !process_gone(child); ++i) ::usleep(10000);
  EXPECT_TRUE(process_gone(child));
}

// A preset (observer.llm) answers through `ask`: a refused answer is asked again once with the reason and the answer
// in the digest, a second refusal is the error (named after the preset), and an ask that failed is not retried.
TEST(LlmObserver, APresetsRefusedAnswerIsAskedAgainOnceWithTheReason) {
  std::vector<std::string> inputs;
  std::vector<AskedAnswer> answers = {{R"({"observations":[{"priority":"urgent","text":"x"}]})", ""},
                                      {R"j({"observations":[{"priority":"important","text":"the race is in flush()"}]})j", ""}};
  LlmObserverOptions options;
  options.label = "observer.llm claude-code";
  options.retries = 1;
  options.ask = [&](const std::string& input) {
    inputs.push_back(input);
    return answers[std::min(inputs.size(), answers.size()) - 1];
  };
  nlohmann::json digest = {{"protocol", kObserverProtocol}, {"generation", 4}, {"agents", nlohmann::json::array()}};
  LlmObserverResult r = run_llm_observer(options, digest);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.observations.size(), 1u);
  EXPECT_EQ(r.observations[0].text, "the race is in flush()");
  EXPECT_EQ(r.observations[0].first_gen, 4);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.retried_error, "observer.llm claude-code output: observations[0].priority: expected \"important\", "
                             "\"possible\" or \"informational\", got \"urgent\"");
  ASSERT_EQ(inputs.size(), 2u);
  auto second = nlohmann::json::parse(inputs[1]);
  EXPECT_EQ(second["previous_error"], r.retried_error);
  EXPECT_EQ(second["previous_answer"], answers[0].output);
  EXPECT_EQ(second["generation"], 4);

  answers = {answers[0]};
  inputs.clear();
  r = run_llm_observer(options, digest);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.error.rfind("observer.llm claude-code output: observations[0].priority", 0), 0u) << r.error;
  EXPECT_TRUE(r.observations.empty());

  answers = {{"", "timed out after 2s (killed)"}};
  inputs.clear();
  r = run_llm_observer(options, digest);
  EXPECT_EQ(inputs.size(), 1u);
  EXPECT_EQ(r.error, "observer.llm claude-code timed out after 2s (killed)");
}

TEST(ShellCommand, CommandThatIgnoresStdinDoesNotHurtTheCaller) {
  ShellCommandOptions options;
  options.timeout_s = 20;
  std::string big(4 << 20, 'x');  // far more than a pipe holds: the write hits EPIPE, not SIGPIPE
  ShellCommandResult r = run_shell_command("echo done", big, options);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.output, "done\n");
  EXPECT_EQ(r.exit_code, 0);
  ShellCommandResult echoed = run_shell_command("wc -c", big, options);
  EXPECT_EQ(echoed.output, std::to_string(4 << 20) + "\n");
}

TEST(ShellCommand, LeaderExitingWhileABackgroundChildHoldsStdoutReturnsPromptly) {
  ShellCommandOptions options;
  options.timeout_s = 60;
  ShellCommandResult r = run_shell_command("sleep 60 & echo '{}'", "", options);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.output, "{}\n");
}

TEST(LlmObserver, DigestDescribesAgentsEventsAndObservations) {
  TempDir dir;
  auto store = trace::Store::open(dir.file("run.db"));
  TraceBuilder b(*store);
  std::string span = b.agent("g02-a01");
  int64_t failed = b.tool("Bash", R"({"command":"make"})", true, "src/q.c:3: error: expected ';'", "2");
  b.message("Hypothesis: the header is stale");
  store->flush();
  AgentOutcome o;
  o.agent_id = "g02-a01";
  o.generation = 2;
  o.agent_span_id = span;
  o.strategy = "bisect";
  o.status = AgentStatus::crashed;
  o.exit_description = "exit 2";
  ObservationSet set;
  set.add(1, {make_observation(Kind::crash, "Agent crashed (exit 1)", "g01-a01", 1, {{"g01-a01", "", 0}})});
  nlohmann::json d = build_digest(*store, 2, {o}, set);
  EXPECT_EQ(d["protocol"], "harness.observer/1");
  EXPECT_EQ(d["generation"], 2);
  ASSERT_EQ(d["agents"].size(), 1u);
  const auto& a = d["agents"][0];
  EXPECT_EQ(a["agent"], "g02-a01");
  EXPECT_EQ(a["strategy"], "bisect");
  EXPECT_EQ(a["status"], "crashed");
  EXPECT_EQ(a["exit"], "exit 2");
  ASSERT_EQ(a["events"].size(), 2u);
  EXPECT_EQ(a["events"][0]["event_id"], failed);
  EXPECT_EQ(a["events"][0]["type"], "tool.call.failed");
  EXPECT_EQ(a["events"][0]["summary"], "Bash: src/q.c:3: error: expected ';'");
  EXPECT_EQ(a["events"][1]["summary"], "assistant: Hypothesis: the header is stale");
  EXPECT_EQ(a["findings"][0]["text"], "Agent crashed (exit 2); its last call was Bash `make`");
  ASSERT_EQ(d["observations"].size(), 1u);
  EXPECT_EQ(d["observations"][0]["id"], "O-0001");
  EXPECT_EQ(d["observations"][0]["evidence"][0], "g01-a01");
}

}  // namespace
}  // namespace observer
