// Import throughput: a ~100 MB Claude Code stream-json capture (bench/claude_stream_gen.h) through `import_files`
// (split, redact, keep the raw copy, decode, store), in MB/s, events/s and the peak RSS of the process that
// imports (a child, so the generator and the baseline's row buffers do not count). Then, in the same run, the
// raw SQLite insert rate of the very rows the import stored: a fresh store with the same schema and indexes,
// prepared plain INSERTs, rows in the same interleaving of spans and events, committed every kImportBatchRows
// rows as the import does. Import and baseline alternate twice and the best of each counts (other work on a
// shared machine slows whichever runs at that moment). Prints the ratio import/raw (target >= 1/3) and whether
// peak RSS stayed < 200 MB.
// Usage: bench_trace_import [MB] [work dir]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <sqlite3.h>

#include "bench/claude_stream_gen.h"
#include "trace/import.h"
#include "trace/store_internal.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds (user + system) of this process or of its waited-for children: less sensitive than wall time to
// other work on a shared machine.
double cpu_seconds(int who) {
  rusage ru{};
  getrusage(who, &ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

struct SpanRow {
  std::string text[8];  // span_id, trace_id, parent_span_id, session_id, kind, name, status, attributes
  int64_t num[7];       // start_ns, end_ns, input, output, cache_read, cache_creation tokens, raw_id
  double cost;
};
struct EventRow {
  std::string span_id, type, payload;
  int64_t seq, time_ns, raw_id;
};

void check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    fmt::print(stderr, "{}: {}\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

// The raw insert rate of `spans` and `events` into a fresh store at `path`; returns seconds.
double raw_insert(const std::string& path, const std::vector<SpanRow>& spans, const std::vector<EventRow>& events) {
  auto store = trace::Store::open(path);  // the same schema and indexes as the import's store
  sqlite3* db = trace::internal::db(*store);
  sqlite3_stmt* ins_span = nullptr;
  sqlite3_stmt* ins_event = nullptr;
  check(db,
        sqlite3_prepare_v2(db,
                           "INSERT INTO spans(span_id, trace_id, parent_span_id, session_id, kind, name, status, "
                           "attributes, start_ns, end_ns, input_tokens, output_tokens, cache_read_tokens, "
                           "cache_creation_tokens, raw_id, cost_usd) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,"
                           "?13,?14,?15,?16)",
                           -1, &ins_span, nullptr),
        "prepare");
  check(db,
        sqlite3_prepare_v2(db, "INSERT INTO events(span_id, seq, time_ns, type, payload, raw_id) "
                               "VALUES(?1,?2,?3,?4,?5,?6)", -1, &ins_event, nullptr),
        "prepare");
  auto t0 = Clock::now();
  size_t in_batch = 0;
  auto after_row = [&] {
    if (++in_batch < trace::kImportBatchRows) return;
    check(db, sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr), "commit");
    in_batch = 0;
  };
  check(db, sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), "begin");
  // Interleaved as the import writes them: about one span per (events / spans) events.
  size_t si = 0;
  for (size_t ei = 0; ei <= events.size(); ++ei) {
    while (si < spans.size() && (events.empty() || si * events.size() <= ei * spans.size())) {
      const SpanRow& r = spans[si++];
      for (int i = 0; i < 8; ++i)
        sqlite3_bind_text(ins_span, i + 1, r.text[i].data(), (int)r.text[i].size(), SQLITE_STATIC);
      for (int i = 0; i < 7; ++i) sqlite3_bind_int64(ins_span, 9 + i, r.num[i]);
      sqlite3_bind_double(ins_span, 16, r.cost);
      check(db, sqlite3_step(ins_span), "insert span");
      sqlite3_reset(ins_span);
      after_row();
    }
    if (ei == events.size()) break;
    const EventRow& r = events[ei];
    sqlite3_bind_text(ins_event, 1, r.span_id.data(), (int)r.span_id.size(), SQLITE_STATIC);
    sqlite3_bind_int64(ins_event, 2, r.seq);
    sqlite3_bind_int64(ins_event, 3, r.time_ns);
    sqlite3_bind_text(ins_event, 4, r.type.data(), (int)r.type.size(), SQLITE_STATIC);
    sqlite3_bind_text(ins_event, 5, r.payload.data(), (int)r.payload.size(), SQLITE_STATIC);
    sqlite3_bind_int64(ins_event, 6, r.raw_id);
    check(db, sqlite3_step(ins_event), "insert event");
    sqlite3_reset(ins_event);
    after_row();
  }
  check(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit");
  double s = seconds_since(t0);
  sqlite3_finalize(ins_span);
  sqlite3_finalize(ins_event);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  double target_mb = argc > 1 ? std::atof(argv[1]) : 100.0;
  fs::path work = argc > 2 ? fs::path(argv[2]) : fs::temp_directory_path() / "harness-bench-import";
  fs::remove_all(work);
  fs::create_directories(work);
  std::string input = (work / "claude-stream.jsonl").string();

  // 1. Generate one long `claude -p` session (bounded memory: written line by line).
  {
    std::FILE* f = std::fopen(input.c_str(), "wb");
    if (!f) return fmt::print(stderr, "cannot write {}\n", input), 1;
    bench::ClaudeStreamWriter writer([f](std::string_view l) { std::fwrite(l.data(), 1, l.size(), f); }, 7);
    writer.init();
    while (writer.bytes() < target_mb * 1e6) writer.turn();
    writer.result();
    std::fclose(f);
  }
  double mb = static_cast<double>(fs::file_size(input)) / 1e6;

  // 2. Import in a child process (its peak RSS is the import's own), then 3. the baseline: the rows the import
  // stored, inserted raw into a fresh store. Alternated, best of `kRounds` each: other work on the machine slows
  // whichever runs at that moment, and the ratio should not depend on which one it hit.
  constexpr int kRounds = 2;
  double import_s = 1e9, raw_s = 1e9, import_cpu = 1e9, raw_cpu = 1e9;
  long rss_kb = 0;
  std::vector<SpanRow> span_rows;
  std::vector<EventRow> event_rows;
  for (int round = 0; round < kRounds; ++round) {
    fs::path out = work / fmt::format("trace-{}", round);
    std::fflush(stdout);
    double children_cpu0 = cpu_seconds(RUSAGE_CHILDREN);
    auto t0 = Clock::now();
    pid_t pid = fork();
    if (pid == 0) {
      try {
        auto imported = trace::import_files({input}, trace::Format::claude_stream, out.string());
        const auto& st = imported.at(0).stats;
        if (round == 0)
          fmt::print("input            {:.1f} MB, {} lines ({} decoded, {} ignored, {} decode errors)\n", mb,
                     st.lines, st.decoded, st.ignored, st.errors);
        std::fflush(stdout);
        _exit(0);
      } catch (const std::exception& e) {
        fmt::print(stderr, "import failed: {}\n", e.what());
        _exit(1);
      }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    double s = seconds_since(t0);
    double s_cpu = cpu_seconds(RUSAGE_CHILDREN) - children_cpu0;
    import_cpu = std::min(import_cpu, s_cpu);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fmt::print(stderr, "import child failed\n"), 1;
    if (round == 0) {
      // The first child only: later ones are forked from a parent holding the baseline's rows, pages they share.
      rusage ru{};
      getrusage(RUSAGE_CHILDREN, &ru);
      rss_kb = ru.ru_maxrss;
    }
    import_s = std::min(import_s, s);

    if (round == 0) {
      auto store = trace::open_trace_dir(out.string(), false);
      trace::Statement q(trace::internal::db(*store),
                         "SELECT span_id, trace_id, parent_span_id, session_id, kind, name, status, attributes, "
                         "start_ns, end_ns, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, "
                         "raw_id, cost_usd FROM spans ORDER BY rowid");
      while (q.step()) {
        SpanRow r;
        for (int i = 0; i < 8; ++i) r.text[i] = q.text(i);
        for (int i = 0; i < 7; ++i) r.num[i] = q.int64(8 + i);
        r.cost = q.real(15);
        span_rows.push_back(std::move(r));
      }
      trace::Statement e(trace::internal::db(*store), "SELECT span_id, type, payload, seq, time_ns, raw_id FROM events ORDER BY id");
      while (e.step()) event_rows.push_back({e.text(0), e.text(1), e.text(2), e.int64(3), e.int64(4), e.int64(5)});
    }
    fs::path raw_dir = work / fmt::format("raw-insert-{}", round);
    fs::create_directories(raw_dir);
    double self_cpu0 = cpu_seconds(RUSAGE_SELF);
    double r = raw_insert((raw_dir / "run.db").string(), span_rows, event_rows);
    double r_cpu = cpu_seconds(RUSAGE_SELF) - self_cpu0;
    raw_s = std::min(raw_s, r);
    raw_cpu = std::min(raw_cpu, r_cpu);
    fmt::print("round {}          import {:.2f} s ({:.2f} s CPU), raw insert {:.2f} s ({:.2f} s CPU)\n", round + 1, s,
               s_cpu, r, r_cpu);
  }

  int64_t spans = span_rows.size(), events = event_rows.size(), rows = spans + events;
  double import_rows_s = rows / import_s, raw_rows_s = rows / raw_s, ratio = import_rows_s / raw_rows_s;
  fmt::print("store            {} spans + {} events = {} rows\n", spans, events, rows);
  fmt::print("import (best)     {:.2f} s: {:.1f} MB/s, {:.0f} events/s, {:.0f} rows/s\n", import_s, mb / import_s,
             events / import_s, import_rows_s);
  fmt::print("peak RSS         {:.1f} MB in the importing process (target < 200 MB): {}\n", rss_kb / 1024.0,
             rss_kb < 200 * 1024 ? "ok" : "MISSED");
  fmt::print("raw insert (best) {:.2f} s: {:.0f} rows/s (same rows and indexes, prepared, {} rows per commit)\n", raw_s,
             raw_rows_s, trace::kImportBatchRows);
  fmt::print("ratio            import/raw = {:.2f} (target >= 0.33): {}\n", ratio, ratio >= 1.0 / 3 ? "ok" : "MISSED");
  fmt::print("ratio (CPU time) import/raw = {:.2f}: {:.2f} s CPU to import, {:.2f} s CPU to insert raw\n",
             raw_cpu / import_cpu, import_cpu, raw_cpu);
  if (argc <= 2) fs::remove_all(work);
  return 0;
}
