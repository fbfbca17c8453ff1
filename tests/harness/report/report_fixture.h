// Filled run directories for report tests, the report benchmark and the browser check: a run.db written directly
// through RunState and Store (no agents run), config.yaml, patch.diff files and, optionally, an `observations`
// table. Header-only so bench/ can use it without linking the test sources. Tests only; not thread-safe.
#pragma once

#include <array>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "harness/report/report_data.h"
#include "harness/state/run_dir.h"
#include "harness/state/run_state.h"
#include "trace/ids.h"
#include "trace/store.h"

namespace harness_test {

constexpr int64_t kSecond = 1'000'000'000;

class RunBuilder {
 public:
  RunBuilder(const std::string& dir, const std::string& run_id, int64_t created_ns) : dir_{dir} {
    std::filesystem::create_directories(dir);
    store_ = trace::Store::open(dir_.store());
    state_ = std::make_unique<harness::RunState>(*store_);
    run_.id = run_id;
    run_.trace_id = trace::derive_trace_id(run_id);
    run_.span_id = trace::derive_span_id(run_.trace_id, "run");
    run_.config_hash = "c0ffee";
    run_.seed = 7;
    run_.created_ns = created_ns;
    state_->save_run(run_);
    trace::Span span;
    span.trace_id = run_.trace_id;
    span.span_id = run_.span_id;
    span.kind = trace::SpanKind::run;
    span.name = "run " + run_id;
    span.start_ns = created_ns;
    store_->put_span(span);
  }

  trace::Store& store() { return *store_; }
  harness::RunState& state() { return *state_; }
  const harness::RunDir& dir() const { return dir_; }

  void config(const std::string& yaml) { write(dir_.config(), yaml); }

  // A generation record and its span; `observations` = {total, new, new important} as the loop records them.
  std::string generation(int number, const std::string& status, int64_t start_ns, int64_t end_ns,
                         std::optional<std::array<int, 3>> observations) {
    harness::GenerationRecord g{number, harness::generation_status_from(status), trace::derive_span_id(run_.trace_id, fmt::format("generation:{}", number)),
                                start_ns, end_ns};
    state_->save_generation(g);
    trace::Span span = make_span(run_.span_id, g.span_id, trace::SpanKind::generation, fmt::format("generation {}", number),
                                 start_ns, end_ns);
    span.attributes["harness.generation"] = number;
    if (observations) {
      span.attributes["harness.total_observations"] = (*observations)[0];
      span.attributes["harness.new_observations"] = (*observations)[1];
      span.attributes["harness.new_important_observations"] = (*observations)[2];
    }
    store_->put_span(span);
    return g.span_id;
  }

  // An agent attempt: its record, its agent span under the generation's span, and its patch.diff when given.
  std::string agent(harness::AgentRecord a, const std::string& patch = "") {
    a.id = harness::agent_id(a.generation, a.slot);
    a.span_id = trace::derive_span_id(run_.trace_id, fmt::format("agent:{}:{}", a.id, a.attempt));
    state_->save_agent(a);
    trace::Span span = make_span(trace::derive_span_id(run_.trace_id, fmt::format("generation:{}", a.generation)),
                                 a.span_id, trace::SpanKind::agent, a.id, a.started_ns, a.finished_ns);
    store_->put_span(span);
    if (!patch.empty()) {
      std::string folder = dir_.agent(a.generation, a.slot, a.attempt);
      std::filesystem::create_directories(folder);
      write(folder + "/patch.diff", patch);
    }
    return a.span_id;
  }

  // A span under `parent`; returns its id. `key` makes the id unique within the run.
  std::string span(const std::string& parent, trace::SpanKind kind, const std::string& name, int64_t start_ns,
                   int64_t end_ns, nlohmann::json attributes = nlohmann::json::object(), trace::Usage usage = {},
                   trace::SpanStatus status = trace::SpanStatus::ok) {
    trace::Span s = make_span(parent, trace::derive_span_id(run_.trace_id, fmt::format("span:{}", ++spans_)), kind,
                              name, start_ns, end_ns);
    s.attributes = std::move(attributes);
    s.usage = usage;
    s.status = status;
    store_->put_span(s);
    return s.span_id;
  }

  void target(const std::string& repo, const std::string& base_commit);

  // Event run.inherited on the run span, as harness/inherit_runs.cpp records a run started --from `runs`.
  void inherited(const std::vector<harness::ReportInherited>& runs) {
    nlohmann::json listed = nlohmann::json::array();
    for (const auto& r : runs)
      listed.push_back({{"run_id", r.run_id}, {"dir", r.dir}, {"observations", r.observations},
                        {"other_target", r.other_target}, {"target_note", r.target_note}});
    trace::Event e;
    e.span_id = run_.span_id;
    e.time_ns = run_.created_ns;
    e.type = "run.inherited";
    e.payload = {{"runs", listed}};
    store_->put_event(e);
  }

  // The observer's table as this branch guesses it (see harness/report/report_observations.cpp); an observation
  // without a fingerprint gets one of its own id.
  void observations_table(const std::vector<harness::ReportObservation>& observations) {
    store_->execute("CREATE TABLE IF NOT EXISTS observations(id TEXT PRIMARY KEY, priority TEXT, kind TEXT, text TEXT,"
                    " fingerprint TEXT, count INTEGER, first_gen INTEGER, last_gen INTEGER, evidence TEXT)");
    for (const auto& o : observations)
      store_->execute("INSERT INTO observations VALUES(?,?,?,?,?,?,?,?,?)",
                      {o.id, o.priority, o.kind, o.text, o.fingerprint.empty() ? "fp-" + o.id : o.fingerprint,
                       int64_t{o.count}, int64_t{o.first_gen}, int64_t{o.last_gen},
                       nlohmann::json(o.evidence).dump()});
  }

  void finish(const std::string& status, int exit_code, int64_t finished_ns, const std::string& stop_reason) {
    run_.status = harness::run_status_from(status);
    run_.exit_code = exit_code;
    run_.finished_ns = status == "completed" ? finished_ns : 0;
    state_->save_run(run_);
    auto span = store_->span(run_.span_id);
    if (!stop_reason.empty()) span->attributes["harness.stop_reason"] = stop_reason;
    span->end_ns = run_.finished_ns;
    store_->put_span(*span);
    store_->flush();
  }

 private:
  trace::Span make_span(const std::string& parent, const std::string& id, trace::SpanKind kind, const std::string& name,
                        int64_t start_ns, int64_t end_ns) {
    trace::Span s;
    s.trace_id = run_.trace_id;
    s.span_id = id;
    s.parent_span_id = parent;
    s.kind = kind;
    s.name = name;
    s.start_ns = start_ns;
    s.end_ns = end_ns;
    return s;
  }
  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  harness::RunDir dir_;
  std::unique_ptr<trace::Store> store_;
  std::unique_ptr<harness::RunState> state_;
  harness::RunRecord run_;
  int spans_ = 0;
};

// What `harness run` records on the run span of `run_id` (a RunBuilder's): the target's repository and base
// commit (harness/state/run_target.h).
inline void record_target(trace::Store& store, const std::string& run_id, const std::string& repo,
                          const std::string& base_commit) {
  auto span = store.span(trace::derive_span_id(trace::derive_trace_id(run_id), "run"));
  span->attributes["harness.target.repo"] = repo;
  span->attributes["harness.target.base_commit"] = base_commit;
  store.put_span(*span);
}

inline void RunBuilder::target(const std::string& repo, const std::string& base_commit) {
  record_target(*store_, run_.id, repo, base_commit);
}

inline harness::AgentRecord make_agent(int generation, int slot, const std::string& strategy, harness::AgentOutcome outcome,
                                       int64_t start_ns, int64_t seconds, int64_t in_tokens, int64_t out_tokens,
                                       double cost, const std::string& end_reason) {
  harness::AgentRecord a;
  a.generation = generation;
  a.slot = slot;
  a.strategy = strategy;
  a.strategy_json = {{"name", strategy}};
  a.status = harness::AttemptStatus::completed;
  a.outcome = outcome;
  a.started_ns = start_ns;
  a.finished_ns = start_ns + seconds * kSecond;
  a.input_tokens = in_tokens;
  a.output_tokens = out_tokens;
  a.cost_usd = cost;
  a.end_reason = end_reason;
  a.exit_description = end_reason;
  return a;
}

// A generated run of `generations` × `population` agents, each with a session of LLM and tool spans; the one agent
// in the last generation's first slot finds the fix when `with_fix`. For the benchmark and the browser check.
inline void fill_synthetic_run(const std::string& dir, int generations, int population, bool with_fix,
                               int tools_per_agent = 8) {
  const int64_t t0 = 1'700'000'000 * kSecond;
  RunBuilder run(dir, fmt::format("synthetic-{}x{}", generations, population), t0);
  run.config(fmt::format("name: synthetic\ngenerations: {}\npopulation: {}\nverify:\n  command: make test\n  repeat: 3\n",
                         generations, population));
  const std::vector<std::string> strategies = {"bisect-first", "trace-first", "minimal-patch", "add-logging",
                                               "rewrite-locking"};
  std::vector<harness::ReportObservation> observations;
  run.store().transaction([&] {
    for (int g = 1; g <= generations; ++g) {
      const int64_t gen_start = t0 + (g - 1) * 1000 * kSecond;
      for (int i = 0; i < 3; ++i) {
        int n = static_cast<int>(observations.size()) + 1;
        observations.push_back({fmt::format("O-{:04}", n), i == 0 ? "important" : i == 1 ? "possible" : "informational",
                                i == 0 ? "failed_fix" : "file_created",
                                fmt::format("generation {} finding {}: <verify> & \"retry\" in src/pool_{}.c", g, i, n % 7),
                                1 + n % 4, g, std::min(generations, g + n % 3),
                                {fmt::format("g{:02}-a{:02}#e{}", g, 1 + n % population, 10 * n)}});
      }
      run.generation(g, "completed", gen_start, gen_start + 900 * kSecond,
                     std::array<int, 3>{3 * g, 3, 1});
      for (int s = 1; s <= population; ++s) {
        bool fix = with_fix && g == generations && s == 1;
        auto outcome = s % 7 == 3 ? harness::AgentOutcome::killed_stuck
                       : s % 11 == 5 ? harness::AgentOutcome::crashed : harness::AgentOutcome::completed;
        auto a = make_agent(g, s, strategies[(g + s) % strategies.size()], outcome, gen_start + s * kSecond,
                            300 + (g * 37 + s * 11) % 500, 10000 + 97 * s, 1500 + 13 * g, 0.05 + 0.001 * s,
                            outcome == harness::AgentOutcome::killed_stuck ? "no output for 300s (idle timeout)" : "exit 0");
        a.changed_files = {fmt::format("src/pool_{}.c", s % 7), "src/ledger.c"};
        if (outcome != harness::AgentOutcome::killed_stuck)
          a.verify = {true, fix ? 3 : (s % 4 == 0 ? 1 : 0), 3, fix ? "" : "FAIL: test_transfer: balance mismatch"};
        a.tool_calls = tools_per_agent;
        std::string agent_span = run.agent(a, fix ? "--- a/src/ledger.c\n+++ b/src/ledger.c\n@@ -1 +1 @@\n-racy\n+locked\n" : "");
        std::string session = run.span(agent_span, trace::SpanKind::session, "session", a.started_ns, a.finished_ns);
        for (int k = 0; k < tools_per_agent; ++k) {
          int64_t at = a.started_ns + k * 10 * kSecond;
          run.span(session, trace::SpanKind::llm, "chat model-x", at, at + 4 * kSecond, {}, {1000, 150, 0, 0, 0.004});
          run.span(session, trace::SpanKind::tool, "Bash", at + 5 * kSecond, at + 9 * kSecond,
                   {{"gen_ai.tool.call.arguments", R"({"command":"make test"})"}}, {},
                   k % 3 == 2 ? trace::SpanStatus::error : trace::SpanStatus::ok);
        }
      }
    }
  });
  run.observations_table(observations);
  int64_t end = t0 + generations * 1000 * kSecond;
  run.finish("completed", with_fix ? 0 : 1, end, with_fix ? "1 validated fix found" : fmt::format("{} generations done", generations));
}

}  // namespace harness_test
