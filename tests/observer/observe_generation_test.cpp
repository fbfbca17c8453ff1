// The whole observer step of the generation loop: rules + LLM observer merged, saved, observations.md written,
// convergence stored, an observer span recorded; a broken LLM observer is recorded and the step completes.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "observer/observe_generation.h"
#include "temp_dir.h"
#include "trace_builder.h"

namespace observer {
namespace {

using observer_test::TempDir;
using observer_test::TraceBuilder;

struct RunFixture {
  TempDir dir;
  std::unique_ptr<trace::Store> store = trace::Store::open(dir.file("run.db"));
  TraceBuilder b{*store};
  ObservationSet set;

  std::vector<AgentOutcome> generation(int gen, int agents) {
    std::vector<AgentOutcome> out;
    for (int a = 1; a <= agents; ++a) {
      AgentOutcome o;
      o.agent_id = fmt::format("g{:02}-a{:02}", gen, a);
      o.generation = gen;
      o.agent_span_id = b.agent(o.agent_id);
      o.strategy = "bisect";
      b.tool("Bash", R"({"command":"make check"})", true, "queue.c:" + std::to_string(40 + a) + ": error: race", "2");
      o.tokens_in = 100;
      o.tokens_out = 10;
      out.push_back(o);
    }
    store->flush();
    return out;
  }
  ObserveOptions options(const std::string& command = "") {
    ObserveOptions opt;
    opt.llm.command = command;
    opt.llm.timeout_s = 20;
    opt.markdown_path = dir.file("observations.md");
    opt.trace_id = "0123456789abcdef0123456789abcdef";
    opt.parent_span_id = "00000000000000ff";
    opt.wall_ms = 1234;
    return opt;
  }
  std::string markdown() {
    std::ifstream in(dir.file("observations.md"));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

TEST(ObserveGeneration, MergesRulesAndLlmObserverAndRecordsEverything) {
  RunFixture run;
  auto gen1 = run.generation(1, 2);
  std::string answer = R"({"observations":[{"priority":"important","text":"make check races on queue.c",)"
                       R"("evidence":["g01-a02#e3"]}]})";
  ObserveResult r = observe_generation(*run.store, 1, gen1, run.set, run.options("echo '" + answer + "'"));
  EXPECT_EQ(r.llm_error, "");
  EXPECT_EQ(r.write_error, "");
  const Observation* err = run.set.find("O-0001");
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->text, "Bash `make check` failed (exit 2): queue.c:41: error: race");
  EXPECT_EQ(err->count, 2);
  const Observation* llm = run.set.find(r.new_ids.back());
  ASSERT_NE(llm, nullptr);
  EXPECT_EQ(llm->text, "make check races on queue.c");
  EXPECT_EQ(llm->kind, Kind::llm);
  // The LLM observer got the digest, built after the rules' findings were merged.
  EXPECT_EQ(r.digest["generation"], 1);
  EXPECT_EQ(r.digest["agents"].size(), 2u);
  ASSERT_EQ(r.digest["observations"].size(), run.set.size() - 1);  // all but the LLM observer's own
  for (const auto& o : r.digest["observations"]) EXPECT_NE(o["text"], llm->text);
  EXPECT_EQ(r.record.generation, 1);
  EXPECT_EQ(r.record.agents, 2);
  EXPECT_EQ(r.record.new_important, 2);
  EXPECT_EQ(r.record.new_observations, static_cast<int>(r.new_ids.size()));
  EXPECT_EQ(r.record.tokens, 220);
  EXPECT_EQ(r.record.wall_ms, 1234);
  EXPECT_EQ(load_convergence(*run.store), std::vector<GenerationRecord>{r.record});
  EXPECT_EQ(run.markdown(), run.set.render_markdown());
  EXPECT_EQ(ObservationSet::load(*run.store).render_markdown(), run.set.render_markdown());
  std::string span_id = trace::derive_span_id("observer", "generation:1");
  auto span = run.store->span(span_id);
  ASSERT_TRUE(span);
  EXPECT_EQ(span->kind, trace::SpanKind::observer);
  EXPECT_EQ(span->status, trace::SpanStatus::ok);
  EXPECT_EQ(span->attributes["harness.observations.total"], run.set.size());
}

TEST(ObserveGeneration, BrokenLlmObserverIsRecordedAndTheStepCompletes) {
  RunFixture run;
  observe_generation(*run.store, 1, run.generation(1, 1), run.set, run.options());
  ObserveResult r = observe_generation(*run.store, 2, run.generation(2, 1), run.set,
                                       run.options("echo 'not json'; echo 'model down' >&2"));
  EXPECT_EQ(r.llm_error, "observer.command output is not JSON: \"not json\"");
  // The rules' findings of generation 2 are merged all the same.
  EXPECT_EQ(run.set.find("O-0001")->last_gen, 2);
  EXPECT_EQ(run.set.find("O-0001")->count, 2);
  auto span = run.store->span(trace::derive_span_id("observer", "generation:2"));
  ASSERT_TRUE(span);
  EXPECT_EQ(span->status, trace::SpanStatus::error);
  EXPECT_EQ(span->attributes["error.message"], r.llm_error);
  int failures = 0;
  run.store->for_each_event([&](const trace::Event& e) {
    if (e.type != "observer.command.failed") return;
    ++failures;
    EXPECT_EQ(e.payload["error"], r.llm_error);
    EXPECT_EQ(e.payload["stderr_tail"], "model down\n");
  });
  EXPECT_EQ(failures, 1);
  EXPECT_EQ(load_convergence(*run.store).size(), 2u);
  EXPECT_NE(run.markdown().find("- Generation 2: "), std::string::npos);
}

// The assessment (rules and observer.command) only reads run.db: while the command runs, another connection
// commits a write, as the receiver and proxy threads must be able to. The command waits for that commit, so a
// held write lock would end in the command's timeout, not in a slow pass.
TEST(ObserveGeneration, AssessmentWritesNothingAndHoldsNoLockWhileTheCommandRuns) {
  RunFixture run;
  auto outcomes = run.generation(1, 2);
  auto count = [&](const char* table) {
    int64_t n = 0;
    run.store->query(std::string("SELECT COUNT(*) FROM ") + table, {}, [&](const trace::Row& r) { n = r.int64(0); });
    return n;
  };
  int64_t spans = count("spans"), events = count("events");
  std::string marker = run.dir.file("other-writer-committed");
  std::thread other([&] {
    auto writer = trace::Store::open(run.dir.file("run.db"));
    writer->transaction([&] {
      trace::Event e;
      e.span_id = outcomes[0].agent_span_id;
      e.type = "proxy.call";
      writer->put_event(e);
    });
    std::ofstream(marker) << "done";
  });
  std::string answer = R"({"observations":[{"priority":"possible","text":"seen after the other write"}]})";
  ObserveOptions opt = run.options("while [ ! -e '" + marker + "' ]; do sleep 0.01; done; echo '" + answer + "'");
  opt.llm.timeout_s = 60;
  Assessment a = assess_generation(*run.store, 1, outcomes, run.set, opt);
  other.join();
  EXPECT_EQ(a.llm_error, "");
  EXPECT_EQ(count("spans"), spans) << "nothing written by the assessment";
  EXPECT_EQ(count("events"), events + 1) << "only the other connection's event";
  EXPECT_EQ(ObservationSet::load(*run.store).size(), 0u);
  EXPECT_FALSE(std::ifstream(run.dir.file("observations.md")).good());

  ObserveResult r = record_generation(*run.store, std::move(a), outcomes, run.set, opt);
  EXPECT_EQ(ObservationSet::load(*run.store).render_markdown(), run.set.render_markdown());
  EXPECT_NE(run.markdown().find("seen after the other write"), std::string::npos);
  EXPECT_EQ(r.record.new_observations, static_cast<int>(r.new_ids.size()));
  EXPECT_TRUE(run.store->span(trace::derive_span_id("observer", "generation:1")));
}

TEST(ObserveGeneration, UnwritableMarkdownIsReportedNotThrown) {
  RunFixture run;
  ObserveOptions opt = run.options();
  opt.markdown_path = run.dir.file("missing/observations.md");
  ObserveResult r = observe_generation(*run.store, 1, run.generation(1, 1), run.set, opt);
  EXPECT_EQ(r.write_error, opt.markdown_path + ".tmp." + std::to_string(::getpid()) +
                               ": cannot create: No such file or directory");
  EXPECT_EQ(ObservationSet::load(*run.store).size(), run.set.size());  // run.db still has everything
}

}  // namespace
}  // namespace observer
