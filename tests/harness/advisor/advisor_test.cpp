// The advisors' pieces: the answer found in each real CLI's output (captured from Claude Code 2.1 and Codex 0.169
// against the scripted model server: data/), the schemas both CLIs accept, the meta-agent's answer as the protocol
// reads it, both shipped prompt templates, and Advisor::ask end to end with a stand-in CLI (a script printing the
// captured Claude Code output): its span under the generation's observer span, the session's tokens under it, the
// answer recorded and replayed without running the CLI again, the unredacted capture gone.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/advisor/advisor.h"
#include "harness/advisor/advisor_schemas.h"
#include "trace/import.h"
#include "trace/usage_totals.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

using Json = nlohmann::json;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path data(const std::string& name) { return fs::path(HARNESS_SOURCE_DIR) / "tests/harness/advisor/data" / name; }

struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "advisor-test-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

TEST(ModelCliAnswer, ClaudeCodesStructuredOutputAndCodexsLastMessage) {
  ModelAnswer claude = answer_from_output(ModelCli::claude_code, read(data("claude-structured.jsonl")));
  ASSERT_TRUE(claude.ok()) << claude.error;
  EXPECT_EQ(Json::parse(claude.answer),
            Json::parse(R"j({"observations":[{"priority":"important","text":"the race is in flush"}]})j"));
  ModelAnswer codex = answer_from_output(ModelCli::codex, read(data("codex-schema.jsonl")));
  ASSERT_TRUE(codex.ok()) << codex.error;
  EXPECT_EQ(Json::parse(codex.answer),
            Json::parse(R"j({"observations":[{"priority":"important","text":"the race is in flush"}]})j"));
}

TEST(ModelCliAnswer, MissingOrFailedAnswersAreErrorsAndGarbageNeverThrows) {
  EXPECT_EQ(answer_from_output(ModelCli::claude_code, "").error, "printed no result line");
  EXPECT_EQ(answer_from_output(ModelCli::claude_code,
                               R"j({"type":"result","subtype":"error_max_turns","is_error":true,"result":"too many\nturns"})j")
                .error,
            "ended with error_max_turns: too many turns");
  // A result without structured output: its text is the answer, for the protocol's validation to refuse.
  ModelAnswer text = answer_from_output(ModelCli::claude_code, R"j({"type":"result","subtype":"success","result":"OK"})j");
  EXPECT_TRUE(text.ok());
  EXPECT_EQ(text.answer, "OK");
  EXPECT_EQ(answer_from_output(ModelCli::codex, R"j({"type":"turn.failed","error":{"message":"model refused"}})j").error,
            "failed: model refused");
  EXPECT_EQ(answer_from_output(ModelCli::codex, "").error, "printed no agent message");
  std::string garbage = "{\"type\":\"result\"\n" + std::string(300, '[') + "\n\xff\xfe{\n{\"type\": 7}\n";
  EXPECT_NO_THROW(answer_from_output(ModelCli::claude_code, garbage));
  EXPECT_NO_THROW(answer_from_output(ModelCli::codex, garbage));
}

// OpenAI's strict structured outputs (what Codex sends) need every property required and no other allowed.
void expect_strict(const Json& schema, const std::string& where) {
  if (schema.value("type", "") == "object") {
    EXPECT_EQ(schema.value("additionalProperties", true), false) << where;
    std::set<std::string> required(schema["required"].begin(), schema["required"].end());
    for (const auto& [key, value] : schema["properties"].items()) {
      EXPECT_TRUE(required.count(key)) << where << "." << key;
      expect_strict(value, where + "." + key);
    }
  }
  if (schema.contains("items")) expect_strict(schema["items"], where + "[]");
}

TEST(AdvisorSchemas, AreStrict) {
  expect_strict(observer_answer_schema(), "observer");
  expect_strict(meta_answer_schema(), "meta");
}

TEST(AdvisorSchemas, TheMetaAgentsAnswerBecomesTheProtocolsParams) {
  Json answer = Json::parse(R"j({"strategies":[
    {"name":"lock-audit","based_on":"bisect","approach":"audit","instructions":"read the locks","model":"",
     "budget_steps":6,"why":"w","observations":["O-0001"]},
    {"name":"bisect","based_on":"","approach":"","instructions":"","model":"opus","budget_steps":0,"why":"",
     "observations":[]}]})j");
  Json protocol = meta_answer_to_protocol(answer);
  EXPECT_EQ(protocol["strategies"][0],
            Json::parse(R"j({"name":"lock-audit","based_on":"bisect","why":"w","observations":["O-0001"],
                            "params":{"approach":"audit","instructions":"read the locks","budget_steps":6}})j"));
  EXPECT_EQ(protocol["strategies"][1], Json::parse(R"j({"name":"bisect","model":"opus","why":"","observations":[]})j"));
  EXPECT_EQ(meta_answer_to_protocol(Json::parse(R"j({"x":1})j")), Json::parse(R"j({"x":1})j"));
}

Json sample_digest() {
  return Json::parse(R"j({"protocol":"harness.observer/1","generation":2,"agents":[{"agent":"g02-a01",
    "strategy":"bisect","status":"completed","exit":"exit 0","goal":"strategy bisect",
    "verify":{"ran":true,"passed":false,"passes":1,"repeats":3,"first_failure":"test.sh:4: total 41 != 42"},
    "changed_files":["src/q.c"],"tokens_in":10,"tokens_out":2,"cost_usd":0.1,"duration_ms":5,
    "events":[{"event_id":41,"span_id":"ab","type":"tool.call.failed","summary":"Bash: make test <failed> & more"}],
    "findings":[{"priority":"important","text":"a finding"}]}],
    "observations":[{"id":"O-0007","priority":"important","count":3,"text":"the race is in flush()"}]})j");
}

std::string shipped_template(const std::string& name) { return read(fs::path(HARNESS_SOURCE_DIR) / "templates" / name); }

TEST(AdvisorPrompt, TheObserverTemplateShowsEveryAgentEventAndObservationVerbatim) {
  std::string prompt = render_advisor_prompt(shipped_template("observer_llm.mustache"), sample_digest(),
                                             observer_answer_schema());
  for (const char* want : {"Generation 2 has just finished", "## g02-a01 (strategy bisect): completed, exit 0",
                           "failed (1 of 3 repeats passed): test.sh:4: total 41 != 42", "Changed files: src/q.c",
                           "g02-a01#e41 tool.call.failed: Bash: make test <failed> & more", "[important] a finding",
                           "O-0007 [important] x3: the race is in flush()"})
    EXPECT_NE(prompt.find(want), std::string::npos) << want << "\n" << prompt;
  EXPECT_EQ(prompt.find("previous answer was refused"), std::string::npos);
  Json retry = sample_digest();
  retry["previous_error"] = "observations[0].text: expected a non-empty string";
  prompt = render_advisor_prompt(shipped_template("observer_llm.mustache"), retry, observer_answer_schema());
  EXPECT_NE(prompt.find("Your previous answer was refused: observations[0].text: expected a non-empty string"),
            std::string::npos);
}

TEST(AdvisorPrompt, TheMetaTemplateShowsStrategiesObservationsAndTheLastGeneration) {
  Json input = Json::parse(R"j({"protocol":"harness.meta/1","generation":3,"slots":4,
    "strategies":[{"name":"bisect","params":{"approach":"bisect","instructions":"use git bisect"},
                   "description":"Find the commit","trials":2,"mean_score":0.25},
                  {"name":"minimal-fix","params":{},"description":"Smallest change"}],
    "observations":[{"id":"O-0007","priority":"important","count":3,"text":"the race is in flush()"}]})j");
  input["digest"] = sample_digest();
  std::string prompt = render_advisor_prompt(shipped_template("meta_agent.mustache"), input, meta_answer_schema());
  for (const char* want : {"generation 3, 4", "1 to 4 strategies", "- bisect: 2 agents, mean progress score 0.25",
                           "approach bisect; use git bisect", "- minimal-fix\n", "O-0007 [important] x3",
                           "What each agent of generation 2 did",
                           "g02-a01 (strategy bisect): completed; verify failed: test.sh:4: total 41 != 42; changed src/q.c"})
    EXPECT_NE(prompt.find(want), std::string::npos) << want << "\n" << prompt;
}

// A stand-in for `claude`: records its arguments and stdin, counts its runs, prints the captured real output with
// a secret in it.
std::string fake_claude(const std::string& dir) {
  std::string path = dir + "/claude";
  std::ofstream out(path);
  out << "#!/bin/sh\n"
      << "echo run >> '" << dir << "/runs'\n"
      << "printf '%s\\n' \"$@\" > '" << dir << "/args'\n"
      << "cat > '" << dir << "/stdin'\n"
      << "echo '{\"type\":\"assistant\",\"message\":{\"id\":\"msg_x\",\"role\":\"assistant\",\"model\":\"m\","
         "\"content\":[{\"type\":\"text\",\"text\":\"key sk-ant-api03-" << std::string(40, 'A') << "\"}]},"
         "\"session_id\":\"fa5da18b-cacc-4168-b687-684d96bd2595\"}'\n"
      << "cat '" << data("claude-structured.jsonl").string() << "'\n";
  out.close();
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

TEST(Advisor, AsksTracesRecordsAndReplaysWithoutAskingAgain) {
  TempDir tmp;
  std::string run_dir = tmp.path + "/run";
  fs::create_directories(run_dir);
  auto store = trace::open_trace_dir(run_dir, true);
  std::string bin = fake_claude(tmp.path);
  ::setenv("CLAUDE_BIN", bin.c_str(), 1);
  AdvisorSetup s;
  s.role = "observer";
  s.cli = ModelCli::claude_code;
  s.model = "claude-test";
  s.template_text = "Digest of generation {{generation}}: {{#agents}}{{agent}}{{/agents}}";
  s.schema = observer_answer_schema();
  s.timeout_s = 30;
  s.store = store.get();
  s.run_dir = run_dir;
  s.trace_id = "0123456789abcdef0123456789abcdef";
  std::vector<std::string> began, ended;
  s.begin = [&](const std::string& span, const std::string& folder, int generation) {
    began.push_back(span + " " + folder + " " + std::to_string(generation));
    return std::map<std::string, std::string>{{"ADVISOR_TEST", "1"}};
  };
  s.end = [&](const std::string& span) { ended.push_back(span); };
  Advisor advisor(s);
  AdvisorOutcome o = advisor.ask(2, sample_digest(), 1);
  ::unsetenv("CLAUDE_BIN");
  ASSERT_EQ(o.error, "");
  EXPECT_FALSE(o.replayed);
  EXPECT_EQ(Json::parse(o.output)["observations"][0]["text"], "the race is in flush");
  EXPECT_EQ(read(tmp.path + "/stdin"), "Digest of generation 2: g02-a01");
  std::string args = read(tmp.path + "/args");
  for (const char* want : {"--json-schema\n", "--tools\n\n", "--model\nclaude-test\n", "stream-json\n"})
    EXPECT_NE(args.find(want), std::string::npos) << want << " in " << args;
  EXPECT_EQ(began, std::vector<std::string>{o.span_id + " observer-g02.1 2"});
  EXPECT_EQ(ended, std::vector<std::string>{o.span_id});

  auto span = store->span(o.span_id);
  ASSERT_TRUE(span);
  EXPECT_EQ(span->parent_span_id, observer_span_id(2));
  EXPECT_EQ(span->kind, trace::SpanKind::observer);
  EXPECT_EQ(span->status, trace::SpanStatus::ok);
  trace::SubtreeTotals totals = trace::subtree_totals(*store, o.span_id);
  EXPECT_EQ(totals.usage.input_tokens, 500);
  EXPECT_EQ(totals.usage.output_tokens, 40);
  EXPECT_GE(totals.llm_calls, 1);
  EXPECT_EQ(read(run_dir + "/advisors/observer-g02.1/prompt.md"), "Digest of generation 2: g02-a01");
  EXPECT_FALSE(fs::exists(run_dir + "/advisors/observer-g02.1/session.jsonl"));
  // The raw copy under raw/ is redacted.
  bool raw_found = false;
  for (const auto& f : fs::directory_iterator(run_dir + "/raw")) {
    raw_found = true;
    std::string text = read(f.path());
    EXPECT_EQ(text.find(std::string(40, 'A')), std::string::npos);
    EXPECT_NE(text.find("structured_output"), std::string::npos);
  }
  EXPECT_TRUE(raw_found);

  // Asked again (a resumed run): answered from run.db, the CLI not run, nothing begun.
  AdvisorOutcome again = advisor.ask(2, sample_digest(), 1);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.output, o.output);
  EXPECT_EQ(read(tmp.path + "/runs"), "run\n");
  EXPECT_EQ(began.size(), 1u);
  EXPECT_NE(advisor_span_id(s.trace_id, "observer", 2, 2), o.span_id);
}

TEST(Advisor, ACliThatCannotStartOrFailsIsAnErrorOnTheSpan) {
  TempDir tmp;
  auto store = trace::open_trace_dir(tmp.path, true);
  ::setenv("CODEX_BIN", "/nonexistent/codex", 1);
  AdvisorSetup s;
  s.role = "meta-agent";
  s.cli = ModelCli::codex;
  s.template_text = "plan";
  s.schema = meta_answer_schema();
  s.store = store.get();
  s.run_dir = tmp.path;
  s.trace_id = "0123456789abcdef0123456789abcdef";
  AdvisorOutcome o = Advisor(s).ask(1, Json::object(), 1);
  ::unsetenv("CODEX_BIN");
  EXPECT_EQ(o.error.rfind("exited with status 127", 0), 0u) << o.error;
  auto span = store->span(o.span_id);
  ASSERT_TRUE(span);
  EXPECT_EQ(span->status, trace::SpanStatus::error);
}

}  // namespace
}  // namespace harness
