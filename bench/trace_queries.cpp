// Query latency on a 1M-event store: a fleet of generated sessions (bench/trace_gen.h) decoded into one run store,
// then `trace stats` (all sessions, with subagents, one session), `trace tree`, `replay` of one session, `why` of
// the last event and `audit`, each timed (best of 3, first run shown too). Baselines measured in the same run: a
// plain `SELECT count(*) FROM events`, and one full scan of the spans and events tables (every row's text read).
// Targets: stats and tree < 1 s.
// Usage: bench_trace_queries [events] [work dir]   (a work dir given is kept, to look at the store afterwards)
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include <fmt/format.h>

#include "bench/trace_gen.h"
#include "trace/audit.h"
#include "trace/store_internal.h"
#include "trace/decoder.h"
#include "trace/import.h"
#include "trace/query_replay.h"
#include "trace/query_stats.h"
#include "trace/query_tree.h"
#include "trace/query_why.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Timing {
  double first = 0, best = 1e9;
};

Timing time_it(const std::function<size_t()>& fn, size_t& sink) {
  Timing t;
  for (int i = 0; i < 3; ++i) {
    auto t0 = Clock::now();
    sink += fn();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (i == 0) t.first = s;
    t.best = std::min(t.best, s);
  }
  return t;
}

int64_t count(trace::Store& store, const char* sql) {
  trace::Statement st(trace::internal::db(store), sql);
  st.step();
  return st.int64(0);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t target_events = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  fs::path work = argc > 2 ? fs::path(argv[2]) : fs::temp_directory_path() / "harness-bench-queries";
  fs::remove_all(work);
  fs::create_directories(work);

  // Build the store: each generated session decoded as its own input (one agent = one file), as `import` would.
  auto build0 = Clock::now();
  int sessions = 0;
  {
    auto store = trace::open_trace_dir(work.string(), true);
    store->batch_size = 100'000;
    std::string trace_id = trace::trace_id_of(*store);
    int64_t events = 0;
    while (events < target_events) {
      trace::DecodeContext ctx;
      ctx.sink = store.get();
      ctx.trace_id = trace_id;
      ctx.scope = fmt::format("bench:{}", sessions);
      ctx.label = fmt::format("g{:02}-a{:02}", 1 + sessions / 100, sessions % 100);
      auto decoder = trace::make_decoder(trace::Format::jsonl, ctx);
      int64_t line_no = 0;
      bench::SessionWriter writer(
          [&](std::string_view line) { decoder->feed_checked(line.substr(0, line.size() - 1), ++line_no); },
          1000 + sessions, 0.2);
      writer.session("main", 200);
      decoder->finish();
      events += decoder->stats().events;
      ++sessions;
    }
    store->flush();
  }
  double build_s = std::chrono::duration<double>(Clock::now() - build0).count();
  auto store = trace::open_trace_dir(work.string(), false);
  int64_t spans = count(*store, "SELECT count(*) FROM spans"), events = count(*store, "SELECT count(*) FROM events");
  fmt::print("store            {} sessions, {} spans, {} events, {:.0f} MB (built in {:.1f} s)\n", sessions, spans,
             events, fs::file_size(work / "run.db") / 1e6, build_s);

  size_t sink = 0;
  Timing scan = time_it(
      [&] {
        return static_cast<size_t>(count(*store, "SELECT count(*) + sum(length(attributes)) FROM spans") +
                                   count(*store, "SELECT count(*) + sum(length(payload)) FROM events"));
      },
      sink);
  // The cheapest look at every event: SQLite counts the rows of the smallest index.
  Timing count_events = time_it([&] { return static_cast<size_t>(count(*store, "SELECT count(*) FROM events")); }, sink);
  auto report = [&](const char* name, const Timing& t, bool targeted) {
    fmt::print("{:<34} {:7.3f} s (first {:.3f} s)  {:6.2f}x a full scan  {:6.1f}x count(*){}\n", name, t.best, t.first,
               t.best / scan.best, t.best / count_events.best,
               targeted ? (t.best < 1.0 ? "  target < 1 s: ok" : "  target < 1 s: MISSED") : "");
  };
  report("baseline: SELECT count(*) events", count_events, false);
  report("baseline: full scan spans+events", scan, false);

  report("stats", time_it([&] { return trace::format_stats(trace::compute_stats(*store, {}).value()).size(); }, sink), true);
  report("stats --include-subagents",
         time_it([&] { return trace::format_stats(trace::compute_stats(*store, {"", true}).value()).size(); }, sink),
         true);
  trace::TraceTree tree = trace::build_tree(*store);
  std::string one = tree.graph.nodes[tree.graph.roots[tree.graph.roots.size() / 2]].span.span_id;
  report("stats --session (one)",
         time_it([&] { return trace::format_stats(trace::compute_stats(*store, {one, true}).value()).size(); }, sink),
         true);
  std::string tree_text;
  report("tree", time_it([&] { return (tree_text = trace::format_tree(trace::build_tree(*store))).size(); }, sink),
         true);
  report("tree --json", time_it([&] { return trace::tree_to_json(trace::build_tree(*store)).dump().size(); }, sink),
         true);
  report("replay (one session, expanded)",
         time_it([&] { return trace::format_replay(trace::replay(*store, {one, true}).value()).size(); }, sink), false);
  std::string last = std::to_string(events);
  report("why (last event)", time_it([&] { return trace::format_why(trace::explain_event(*store, last).value()).size(); }, sink),
         false);
  auto policy = trace::parse_audit_policy(
      "files: {write: {deny: ['/etc/**']}, read: {allow: ['src/**']}}\ncommands: {allow: [cd, python]}\n", "bench");
  report("audit (every event)",
         time_it([&] { return trace::format_audit(trace::run_audit(*store, policy.value())).size(); }, sink), false);
  fmt::print("tree output      {} lines\n", std::count(tree_text.begin(), tree_text.end(), '\n'));
  store.reset();
  if (argc <= 2) fs::remove_all(work);
  return sink == 0;  // keeps the work observable to the optimizer
}
