// Benchmark: rule extraction over 25 agents x 5,000 events each (the target: under 1 s) as the generation
// loop does it (load_agent_traces: one scan for the generation), against a baseline measured in the same run: the
// same rules over traces loaded one agent at a time (load_agent_trace: an index walk per agent).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "observer/observation_set.h"
#include "observer/rules.h"
#include "trace/ids.h"
#include "trace/store.h"

namespace {

constexpr int kAgents = 25;
constexpr int kEventsPerAgent = 5000;

struct Writer {
  trace::Store& store;
  int64_t clock = 1'700'000'000'000'000'000;
  int64_t events = 0;
  trace::Span span(trace::SpanKind kind, const std::string& name, const std::string& parent, const std::string& key,
                   const std::string& session) {
    trace::Span s;
    s.trace_id = "0123456789abcdef0123456789abcdef";
    s.span_id = trace::derive_span_id("bench", key);
    s.parent_span_id = parent;
    s.session_id = session.empty() ? s.span_id : session;
    s.kind = kind;
    s.name = name;
    s.start_ns = ++clock;
    s.end_ns = clock + 1000;
    return s;
  }
  void event(const std::string& span_id, const std::string& type, trace::Json payload) {
    trace::Event e;
    e.span_id = span_id;
    e.time_ns = ++clock;
    e.type = type;
    e.payload = std::move(payload);
    store.put_event(e);
    ++events;
  }
};

// One agent's trace shaped like a real session: tool calls (started + completed/failed), file reads and writes,
// assistant messages, LLM calls. Returns the agent span id.
std::string write_agent(Writer& w, int agent, const std::string& ws) {
  std::string id = fmt::format("g01-a{:02}", agent);
  trace::Span a = w.span(trace::SpanKind::agent, id, "", "agent:" + id, "");
  w.store.put_span(a);
  trace::Span s = w.span(trace::SpanKind::session, "session", a.span_id, "session:" + id, "");
  w.store.put_span(s);
  int64_t start = w.events;
  for (int i = 0; w.events - start < kEventsPerAgent; ++i) {
    if (i % 5 == 0) {
      trace::Span l = w.span(trace::SpanKind::llm, "chat model", s.span_id, fmt::format("llm:{}:{}", id, i), s.span_id);
      l.usage = {1200, 300, 0, 0, 0.01};
      w.store.put_span(l);
    }
    bool failed = i % 13 == 0;
    std::string cmd = i % 3 == 0 ? "pytest -x tests/test_queue.py" : fmt::format("grep -n lock src/file{}.c", i % 40);
    trace::Span t = w.span(trace::SpanKind::tool, "Bash", s.span_id, fmt::format("tool:{}:{}", id, i), s.span_id);
    t.attributes = {{"gen_ai.tool.name", "Bash"}, {"gen_ai.tool.call.arguments", trace::Json{{"command", cmd}}.dump()}};
    t.status = failed ? trace::SpanStatus::error : trace::SpanStatus::ok;
    std::string err = fmt::format("Exit code 1\nFAILED tests/test_queue.py::test_drain - AssertionError: {} != {}\n"
                                  "1 failed in {}.{}s", i, i + 1, i % 7, i % 10);
    if (failed) t.attributes["error.message"] = err;
    w.store.put_span(t);
    w.event(t.span_id, "tool.call.started", {{"tool", "Bash"}, {"input", cmd}});
    w.event(t.span_id, failed ? "tool.call.failed" : "tool.call.completed",
            failed ? trace::Json{{"tool", "Bash"}, {"error", err}} : trace::Json{{"tool", "Bash"}, {"output", "ok"}});
    if (i % 4 == 0) w.event(t.span_id, "file.read", {{"path", fmt::format("{}/src/file{}.c", ws, i % 60)}, {"session", s.span_id}});
    if (i % 50 == 0) w.event(t.span_id, "file.write", {{"path", fmt::format("{}/src/file{}.c", ws, i % 7)}, {"session", s.span_id}});
    if (i % 10 == 0)
      w.event(s.span_id, "message",
              {{"role", "assistant"}, {"text", fmt::format("Checking run {}.\nHypothesis: the lock in file{}.c is "
                                                           "released early", i, i % 5)}});
  }
  return a.span_id;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

// Usage: bench_observer_extract [--keep]   (--keep leaves run.db in the temporary folder for inspection)
int main(int argc, char** argv) {
  bool keep = argc > 1 && std::string(argv[1]) == "--keep";
  std::string dir = (std::filesystem::temp_directory_path() / "bench-observer-XXXXXX").string();
  if (!::mkdtemp(dir.data())) return 1;
  double extract_s = 0, baseline_s = 0, merge_s = 0, load_s = 0;
  size_t found = 0, merged = 0;
  int64_t events = 0;
  {
    auto store = trace::Store::open(dir + "/run.db");
    Writer w{*store};
    std::vector<observer::AgentOutcome> outcomes;
    for (int a = 1; a <= kAgents; ++a) {
      observer::AgentOutcome o;
      o.agent_id = fmt::format("g01-a{:02}", a);
      o.generation = 1;
      o.workspace = "/runs/bench/workspaces/" + o.agent_id;
      o.agent_span_id = write_agent(w, a, o.workspace);
      o.strategy = a % 2 ? "bisect" : "minimal-fix";
      o.verify = {true, false, 0, 3, "tests/test_queue.py:41: AssertionError", ""};
      o.changed_files = {"src/file1.c"};
      outcomes.push_back(o);
    }
    store->flush();
    events = w.events;

    // Baseline: one agent at a time through the parent index (load_agent_trace), then the rules.
    auto t0 = std::chrono::steady_clock::now();
    size_t baseline_found = 0;
    for (const auto& o : outcomes) baseline_found += observer::extract_observations(*store, o).size();
    baseline_s = seconds_since(t0);

    // Measured: the generation's traces in one scan (load_agent_traces), then the same rules.
    auto t1 = std::chrono::steady_clock::now();
    std::vector<std::string> spans;
    for (const auto& o : outcomes) spans.push_back(o.agent_span_id);
    std::vector<observer::AgentTrace> traces = observer::load_agent_traces(*store, spans);
    load_s = seconds_since(t1);
    std::vector<observer::Observation> all;
    int64_t seen = 0;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      seen += static_cast<int64_t>(traces[i].events.size());
      auto got = observer::extract_observations(traces[i], outcomes[i]);
      all.insert(all.end(), got.begin(), got.end());
    }
    extract_s = seconds_since(t1);
    found = all.size();
    if (seen != events || baseline_found != found)
      fmt::print(stderr, "mismatch: scanned {} of {} events; {} vs {} observations\n", seen, events, found,
                 baseline_found);

    auto t2 = std::chrono::steady_clock::now();
    observer::ObservationSet set;
    set.add(1, all);
    set.save(*store);
    merge_s = seconds_since(t2);
    merged = set.size();
  }
  if (keep) {
    fmt::print("kept {}/run.db\n", dir);
  } else {
    std::filesystem::remove_all(dir);
  }
  fmt::print("agents: {}  events: {} ({} per agent)\n", kAgents, events, events / kAgents);
  fmt::print("baseline, per-agent index walk + rules: {:.3f} s\n", baseline_s);
  fmt::print("extraction, one scan + rules:           {:.3f} s  -> {} observations ({:.0f} events/s)\n", extract_s,
             found, events / extract_s);
  fmt::print("  of which loading (one scan):          {:.3f} s\n", load_s);
  fmt::print("merge + save to run.db:                 {:.3f} s  -> {} distinct observations\n", merge_s, merged);
  fmt::print("ratio baseline/extraction: {:.1f}x faster; target < 1 s: {}\n", baseline_s / extract_s,
             extract_s < 1.0 ? "met" : "MISSED");
  return 0;
}
