// The malformed-input corpus of the decoders (issue 18), through the API `harness import` uses: each real
// input (HARNESS_FIXTURES, tests/trace/data) mutated many ways (tests/support/corpus/mutations.h) and
// imported, in forked children (tests/support/corpus/corpus_runner.h), so a crash or hang is counted against
// its case. Every case must end in success, or in a clear error: decode errors counted (and recorded as
// decode.error events), or an ImportError / StoreError with a message; anything else thrown is an unclear
// failure. The session usage appliers (claude-usage, codex-rollout) get their files mutated over an intact
// stream.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/corpus/mutations.h"
#include "trace/import.h"
#include "trace/session_usage.h"

namespace trace {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
std::string fixture(const std::string& rel) { return std::string(HARNESS_FIXTURES) + "/" + rel; }
std::string source(const std::string& rel) { return std::string(HARNESS_SOURCE_DIR) + "/" + rel; }

// A temporary folder removed with the object (one per child: cases and stores live under it). In /dev/shm
// when there is one: thousands of stores are created, and a disk would flush each.
struct Scratch {
  std::string dir;
  Scratch() {
    fs::path base = ::access("/dev/shm", W_OK) == 0 ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string pattern = (base / "trace-corpus-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// The generic JSONL protocol has no real capture: its documented example is the seed.
std::string jsonl_seed() {
  std::string doc = read_file(source("docs/trace-protocol.md"));
  size_t at = doc.find("```json\n");
  size_t end = doc.find("```", at + 8);
  return at == std::string::npos ? "" : doc.substr(at + 8, end - at - 8);
}

// One JSON document a line: the OTLP fixtures are pretty-printed documents.
std::string compact_lines(const std::vector<std::string>& files) {
  std::string out;
  for (const auto& f : files) out += nlohmann::json::parse(read_file(f)).dump() + "\n";
  return out;
}

// The cases of one line-based input: byte-level mutations of the whole file, then JSON-level mutations of one
// line of each kind, each placed among the lines before it (up to 30) and the two after it, so the decoder
// sees it in the state a real stream would have put it in.
void add_file_cases(std::vector<corpus::Case>& out, const std::string& label, const std::string& seed,
                    size_t line_kinds, size_t max_paths, bool heavy) {
  corpus::add_byte_mutations(out, label, seed, true, 1, heavy);
  auto lines = corpus::split_lines(seed);
  size_t n = 0;
  for (size_t i : corpus::lines_of_each_kind(lines, line_kinds)) {
    size_t from = i > 30 ? i - 30 : 0;
    std::string before, after;
    for (size_t k = from; k < i; ++k) before += lines[k] + "\n";
    for (size_t k = i + 1; k < std::min(lines.size(), i + 3); ++k) after += lines[k] + "\n";
    // The big ones (deep nesting, huge strings) in the first two kinds of line only.
    for (auto& m : corpus::json_mutations(lines[i], max_paths, heavy && n < 2))
      out.push_back(
          {label + ": line " + std::to_string(i + 1) + " " + m.name, before + m.text + "\n" + after, ""});
    ++n;
  }
}

// The check of a decoder: each case imported as `harness import --format F` does (import_one_with_companions,
// the step import_files takes per file, into one store per child: a store made per case would cost most of
// the time); every fourth through import_files itself with the format sniffed, as --format auto does, into a
// store of its own, and every eighth of those then rebuilt from its raw copy, as `trace rebuild` does.
corpus::MakeCheck import_check(Format format, const std::string& extension) {
  return [format, extension]() -> corpus::Check {
    auto scratch = std::make_shared<Scratch>();
    auto count = std::make_shared<int64_t>(0);
    std::shared_ptr<Store> shared = open_trace_dir(scratch->dir + "/shared", true);
    shared->batch_size = kImportBatchRows;
    fs::create_directories(scratch->dir + "/shared/raw");
    return [=](const corpus::Case& c) -> corpus::Verdict {
      int64_t n = (*count)++;
      std::string file = scratch->dir + "/case-" + std::to_string(n) + extension;
      std::string out = scratch->dir + "/out-" + std::to_string(n);
      std::ofstream(file, std::ios::binary) << c.bytes;
      corpus::Verdict v;
      try {
        std::vector<ImportedFile> imported;
        bool own_store = n % 4 == 3;
        if (own_store)
          imported = import_files({file}, std::nullopt, out);
        else
          imported = import_one_with_companions(*shared, scratch->dir + "/shared", trace_id_of(*shared), file,
                                                format, "");
        int64_t errors = 0, recorded = 0;
        for (const auto& f : imported) errors += f.stats.errors;
        if (errors > 0) {
          auto count_in = [&](Store& store) {
            for (const auto& f : imported)
              store.for_each_event([&](const Event&) { ++recorded; },
                                   "type = 'decode.error' AND raw_id = " + std::to_string(f.raw_id));
          };
          if (own_store)
            count_in(*open_trace_dir(out, false));
          else
            count_in(*shared);
          v = recorded >= 1 ? corpus::error()
                            : corpus::failure("decode errors counted but no decode.error event");
        } else {
          v = corpus::ok();
        }
        if (n % 32 == 31) rebuild(out);
      } catch (const ImportError& e) {
        v = std::string(e.what()).empty() ? corpus::failure("ImportError without a message")
                                          : corpus::error();
      } catch (const StoreError& e) {
        v = corpus::error(e.what());
      } catch (const std::exception& e) {
        v = corpus::failure(std::string("unexpected exception: ") + e.what());
      }
      std::error_code ec;
      fs::remove(file, ec);
      fs::remove_all(out, ec);
      return v;
    };
  };
}

void expect_clean(const corpus::Tally& t) {
  corpus::print(t);
  EXPECT_TRUE(t.clean()) << t.summary();
  EXPECT_GT(t.inputs, 0);
}

TEST(DecoderCorpus, ClaudeStream) {
  std::vector<corpus::Case> cases;
  add_file_cases(cases, "hive-mind",
                 read_file(fixture("claude-stream-json/hive-mind_issue-2301_background-disabled.jsonl")), 8,
                 30, true);
  add_file_cases(cases, "stream-subagent",
                 read_file(source("tests/trace/data/claude-2.1.330/stream-subagent.jsonl")), 4, 30, false);
  expect_clean(corpus::run_cases("claude-stream", cases, import_check(Format::claude_stream, ".jsonl")));
}

TEST(DecoderCorpus, ClaudeTranscript) {
  std::vector<corpus::Case> cases;
  add_file_cases(cases, "short", read_file(fixture("claude-transcripts/short.jsonl")), 6, 30, true);
  add_file_cases(cases, "tool_heavy", read_file(fixture("claude-transcripts/tool_heavy.jsonl")), 4, 30,
                 false);
  std::string subagent = read_file(fixture("claude-transcripts/subagent.jsonl"));
  corpus::add_byte_mutations(cases, "subagent", subagent, true, 7, false);
  expect_clean(
      corpus::run_cases("claude-transcript", cases, import_check(Format::claude_transcript, ".jsonl")));
}

// A session transcript brings its subagents/ folder along: the session intact, each subagent file mutated.
TEST(DecoderCorpus, ClaudeTranscriptCompanions) {
  std::string session = fixture("claude-transcripts/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl");
  std::string sub_dir = fixture("claude-transcripts/ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents");
  std::vector<std::string> subs;
  for (const auto& e : fs::directory_iterator(sub_dir))
    if (e.path().extension() == ".jsonl") subs.push_back(e.path().string());
  std::sort(subs.begin(), subs.end());
  ASSERT_FALSE(subs.empty());
  std::vector<corpus::Case> cases;
  std::vector<corpus::Case> one;
  corpus::add_byte_mutations(one, "subagent", read_file(subs[0]), true, 3, false);
  for (size_t i = 0; i < one.size(); i += 8)
    cases.push_back(one[i]);  // an eighth of them: the session is large
  std::string session_text = read_file(session), sub_name = fs::path(subs[0]).filename().string();
  auto check = [session_text, sub_name]() -> corpus::Check {
    auto scratch = std::make_shared<Scratch>();
    auto count = std::make_shared<int64_t>(0);
    return [=](const corpus::Case& c) -> corpus::Verdict {
      std::string base = scratch->dir + "/c" + std::to_string((*count)++);
      fs::create_directories(base + "/s/subagents");
      std::ofstream(base + "/s.jsonl", std::ios::binary) << session_text;
      std::ofstream(base + "/s/subagents/" + sub_name, std::ios::binary) << c.bytes;
      corpus::Verdict v = corpus::ok();
      try {
        auto imported = import_files({base + "/s.jsonl"}, Format::claude_transcript, base + "/out");
        for (const auto& f : imported)
          if (f.stats.errors > 0) v = corpus::error();
      } catch (const ImportError&) {
        v = corpus::error();
      } catch (const StoreError&) {
        v = corpus::error();
      } catch (const std::exception& e) {
        v = corpus::failure(std::string("unexpected exception: ") + e.what());
      }
      std::error_code ec;
      fs::remove_all(base, ec);
      return v;
    };
  };
  expect_clean(corpus::run_cases("claude-transcript+subagents", cases, check));
}

TEST(DecoderCorpus, Codex) {
  std::vector<corpus::Case> cases;
  add_file_cases(
      cases, "unauthenticated",
      read_file(fixture("codex-exec-json/hive-mind_issue-2136_live-attempt-unauthenticated.stdout.ndjson")),
      8, 30, true);
  add_file_cases(cases, "streaming", read_file(fixture("codex-exec-json/agent-wrappers_streaming.jsonl")), 6,
                 30, false);
  add_file_cases(cases, "codex-0.169", read_file(source("tests/trace/data/codex-0.169.0/exec.jsonl")), 6, 30,
                 false);
  expect_clean(corpus::run_cases("codex", cases, import_check(Format::codex, ".jsonl")));
}

TEST(DecoderCorpus, Otlp) {
  std::vector<std::string> files;
  for (const char* f : {"trace.json", "logs.json", "events.json", "metrics.json"})
    files.push_back(fixture(std::string("otlp-json/") + f));
  std::vector<corpus::Case> cases;
  // Pretty-printed documents (as the examples are), byte-level; one document a line, JSON-level too.
  corpus::add_byte_mutations(cases, "trace.json", read_file(files[0]), false, 11);
  corpus::add_byte_mutations(cases, "logs.json", read_file(files[1]), false, 12, false);
  add_file_cases(cases, "otlp-lines", compact_lines(files), 4, 50, true);
  expect_clean(corpus::run_cases("otlp", cases, import_check(Format::otlp, ".json")));
}

TEST(DecoderCorpus, Jsonl) {
  std::string seed = jsonl_seed();
  ASSERT_NE(seed.find("session.start"), std::string::npos);
  std::vector<corpus::Case> cases;
  add_file_cases(cases, "protocol-example", seed, 11, 20, true);
  expect_clean(corpus::run_cases("jsonl", cases, import_check(Format::jsonl, ".jsonl")));
}

// A session usage file laid over an intact stream (what transcript pickup and `trace rebuild` do), mutated.
corpus::MakeCheck usage_check(Format stream_format, std::string stream_text, std::string format) {
  return [=]() -> corpus::Check {
    auto scratch = std::make_shared<Scratch>();
    auto count = std::make_shared<int64_t>(0);
    return [=](const corpus::Case& c) -> corpus::Verdict {
      std::string base = scratch->dir + "/u" + std::to_string((*count)++);
      fs::create_directories(base);
      std::ofstream(base + "/stream.jsonl", std::ios::binary) << stream_text;
      std::ofstream(base + "/usage.jsonl", std::ios::binary) << c.bytes;
      corpus::Verdict v = corpus::ok();
      try {
        import_files({base + "/stream.jsonl"}, stream_format, base + "/out");
        auto store = open_trace_dir(base + "/out", true);
        std::string session;
        store->for_each_span(
            [&](const Span& s) {
              if (session.empty()) session = s.span_id;
            },
            "kind = 'session'");
        import_session_usage(*store, base + "/out", trace_id_of(*store), base + "/usage.jsonl", format,
                             session);
        store.reset();
        if (*count % 4 == 0) rebuild(base + "/out");
      } catch (const ImportError&) {
        v = corpus::error();
      } catch (const StoreError&) {
        v = corpus::error();
      } catch (const std::exception& e) {
        v = corpus::failure(std::string("unexpected exception: ") + e.what());
      }
      std::error_code ec;
      fs::remove_all(base, ec);
      return v;
    };
  };
}

TEST(DecoderCorpus, SessionUsage) {
  std::string claude_dir = source("tests/trace/data/claude-2.1.330/session-subagent/");
  std::string codex_dir = source("tests/trace/data/codex-0.169.0/");
  std::vector<corpus::Case> claude, codex;
  add_file_cases(claude, "transcript", read_file(claude_dir + "d13af8c7-ca8f-4cad-9e64-7496a50f62bb.jsonl"),
                 2, 10, false);
  add_file_cases(
      codex, "rollout",
      read_file(codex_dir + "rollout-2026-12-02T07-24-13-01a235a3-bdc7-74d1-9bbb-f23d0a0ed958.jsonl"), 4, 12,
      false);
  expect_clean(corpus::run_cases(
      "claude-usage", claude,
      usage_check(Format::claude_stream, read_file(claude_dir + "stream.jsonl"), kClaudeUsageFormat)));
  expect_clean(corpus::run_cases(
      "codex-rollout", codex,
      usage_check(Format::codex, read_file(codex_dir + "exec.jsonl"), kCodexRolloutFormat)));
}

}  // namespace
}  // namespace trace
