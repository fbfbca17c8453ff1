// Import robustness: a corpus of broken input (truncated lines, wrong types, binary garbage, a 50 MB line,
// unknown types) imports without a crash and with every bad line counted exactly; and planted secrets are found
// nowhere in the trace directory afterwards (run.db, its WAL, the raw copies), even after a rebuild.
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "query_fixture.h"
#include "trace/import.h"
#include "trace/store_internal.h"

namespace trace {
namespace {

namespace fs = std::filesystem;

int64_t count_events(Store& store, const std::string& type) {
  Statement st(trace::internal::db(store), "SELECT count(*) FROM events WHERE type = ?");
  st.bind(1, type);
  st.step();
  return st.int64(0);
}

TEST(ImportRobustness, BrokenCorpusIsCountedNotFatal) {
  std::string dir = testing::temp_dir("corpus");
  std::string path = dir + "/corpus.jsonl";
  int64_t expected_errors = 0, expected_lines = 0;
  {
    std::ofstream out(path, std::ios::binary);
    auto good = [&](const std::string& line) { out << line << '\n', ++expected_lines; };
    auto bad = [&](const std::string& line) { out << line << '\n', ++expected_lines, ++expected_errors; };
    good(R"({"type":"session.start","session":"s","ts":"2026-01-31T12:00:00Z"})");
    good(R"({"type":"message","session":"s","role":"user","text":"hi"})");
    out << "\n\n";  // empty lines are not lines of input
    // Truncated lines.
    bad(R"({"type":"tool.start","session":"s","id":"x)");
    bad(R"({"type":"message","text":"unterminated)");
    bad(R"({"type":)");
    // Wrong types: each is one decode error, whatever field the decoder trips on.
    bad(R"({"type":5})");
    bad(R"({"type":"file.write","session":"s","path":42})");
    bad(R"({"type":"llm.call","session":"s","model":5})");
    bad(R"({"type":"tool.start","session":"s","id":"t9","tool":["array"]})");
    bad(R"({"type":"message","session":"s","text":{"nested":true}})");
    bad(R"({"type":"error","session":"s","message":["not","text"]})");
    bad(R"([1,2,3])");
    bad(R"("just a string")");
    good(R"({"type":"llm.call","session":"s","id":"m1","input_tokens":"many"})");  // a number field tolerated
    // Binary garbage: 20 lines of random bytes (no newline, no carriage return).
    std::mt19937 rng(42);
    for (int i = 0; i < 20; ++i) {
      std::string line(1 + rng() % 500, '\0');
      for (char& c : line) {
        do c = static_cast<char>(rng() & 0xFF);
        while (c == '\n' || c == '\r');
      }
      bad(line);
    }
    bad("{\"type\":\"message\",\"session\":\"s\",\"text\":\"bad \xff\xfe utf-8\"}");
    // One 50 MB line: longer than the splitter's 8 MiB limit, skipped in bounded memory.
    out << R"({"type":"message","session":"s","text":")";
    std::string chunk(1 << 20, 'a');
    for (int i = 0; i < 50; ++i) out << chunk;
    out << "\"}\n";
    ++expected_lines, ++expected_errors;
    // Unknown types.
    bad(R"({"type":"frobnicate","session":"s"})");
    bad(R"({"type":"tool.progress","session":"s","id":"x"})");
    // The decoder is still in step after all that.
    good(R"({"type":"session.end","session":"s","status":"ok","ts":"2026-01-31T12:00:05Z"})");
  }
  std::vector<ImportedFile> imported;
  ASSERT_NO_THROW(imported = import_files({path}, Format::jsonl, dir + "/trace"));
  ASSERT_EQ(imported.size(), 1u);
  EXPECT_EQ(expected_errors, 35);
  // The JSONL decoder reads a wrongly typed optional field as absent (it never throws), so 4 of the wrong-type
  // lines are decoded rather than refused: 31 errors, 8 decoded.
  constexpr int kTolerated = 4;
  expected_errors -= kTolerated;
  EXPECT_EQ(imported[0].stats.errors, expected_errors);
  EXPECT_EQ(imported[0].stats.lines, expected_lines);
  EXPECT_EQ(imported[0].stats.decoded, 4 + kTolerated);
  auto store = open_trace_dir(dir + "/trace", false);
  EXPECT_EQ(count_events(*store, "decode.error"), expected_errors);
  // The session closed normally, with its last line.
  SessionGraph g = load_session_graph(*store, false);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].span.status, SpanStatus::ok);
  EXPECT_EQ(g.nodes[0].duration_ms(), 5000);
  // The raw copy keeps a marker for the 50 MB line, not the line.
  uint64_t raw_bytes = 0;
  for (const auto& f : fs::directory_iterator(dir + "/trace/raw")) raw_bytes += f.file_size();
  EXPECT_LT(raw_bytes, 64u * 1024);
  store.reset();
  fs::remove_all(dir);
}

struct Secret {
  std::string planted;  // how it appears in the input
  std::string needle;   // a part of the secret value that must appear nowhere after import
};

// Every file under `dir`, read whole, searched for every needle. Returns "file: needle" for each hit.
std::vector<std::string> find_needles(const std::string& dir, const std::vector<Secret>& secrets) {
  std::vector<std::string> hits;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const auto& s : secrets)
      if (bytes.find(s.needle) != std::string::npos) hits.push_back(entry.path().string() + ": " + s.needle);
  }
  return hits;
}

TEST(ImportRedaction, PlantedSecretsAreNowhereInTheTraceDirectory) {
  const std::vector<Secret> secrets = {
      {"sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA", "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA"},
      {"sk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56", "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56"},
      {"ghp_R4nd0mT0k3nV4lu3F0rT3st1ng0123456", "R4nd0mT0k3nV4lu3F0rT3st1ng0123456"},
      {"AKIAZ7Q3EXAMPLEKEY42", "Z7Q3EXAMPLEKEY42"},
      {"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl", "eyJzdWIiOiJ0ZXN0In0"},
      {"API_KEY=pl4nt3dV4lu3N0tR34l", "pl4nt3dV4lu3N0tR34l"},
      {"MY_SECRET: hunter2hunter2xyz", "hunter2hunter2xyz"},
      {"\\nsk-ant-api03-Esc4p3dN3wl1n3S3cr3tV4lu3", "Esc4p3dN3wl1n3S3cr3tV4lu3"},
      {"\\tghp_T4bS3p4r4t3dT0k3nV4lu3XYZ123", "T4bS3p4r4t3dT0k3nV4lu3XYZ123"},
      {"\\nAKIAQWERTYUIOPASDF12", "QWERTYUIOPASDF12"},
      {"/tmp/sk-ant-api03-P4thS3cr3tV4lu3Xyz/out", "P4thS3cr3tV4lu3Xyz"},
      {"Authorization: Bearer abcDEF123ghiJKL456mnoPQR", "abcDEF123ghiJKL456mnoPQR"},
  };
  const std::string json_token_needle = "t0k3nFr0mJs0nObj3ct";
  const std::string undecodable_needle = "Und3c0d4bl3L1n3T0k3n000000000";
  const std::string oversize_needle = "0v3rs1z3L1n3S3cr3tABC";
  auto s = [&](size_t i) { return secrets[i].planted; };
  std::string dir = testing::temp_dir("secrets");
  std::string path = dir + "/leaky.jsonl";
  {
    std::ofstream out(path, std::ios::binary);
    out << R"({"type":"session.start","session":"main","ts":"2026-01-31T12:00:00Z"})" << '\n';
    out << R"({"type":"message","session":"main","role":"user","text":"use )" << s(0) << " and " << s(5) << "\"}\n";
    out << R"({"type":"tool.start","session":"main","id":"t1","tool":"Bash","input":{"command":"curl -H 'x: )" << s(1)
        << "' -H '" << s(4) << R"(' https://api.example.com","env":{"GITHUB_TOKEN": ")" << json_token_needle
        << "\"}}}\n";
    out << R"({"type":"tool.end","session":"main","id":"t1","status":"ok","output":")" << s(2) << " " << s(6)
        << " first line" << s(7) << " col" << s(8) << s(9) << "\"}\n";
    out << R"({"type":"error","session":"main","message":"denied for )" << s(3) << "\"}\n";
    out << R"({"type":"file.write","session":"main","path":")" << s(10) << "\"}\n";
    out << R"({"type":"llm.call","session":"main","id":"m1","model":"m","text":")" << s(11) << "\"}\n";
    out << R"({"type":"message","session":"main","text":"ghp_)" << undecodable_needle << '\n';  // truncated JSON
    out << R"({"type":"message","session":"main","text":"sk-ant-api03-)" << oversize_needle << ' '
        << std::string(9u << 20, 'x') << "\"}\n";
    out << R"({"type":"session.end","session":"main","ts":"2026-01-31T12:00:01Z"})" << '\n';
  }
  std::vector<Secret> needles = secrets;
  needles.push_back({"", json_token_needle});
  needles.push_back({"", undecodable_needle});
  needles.push_back({"", oversize_needle});
  // The input itself holds every needle: the search below can find them.
  EXPECT_EQ(find_needles(dir, needles).size(), needles.size());
  fs::create_directories(dir + "/in");
  fs::rename(path, dir + "/in/leaky.jsonl");
  std::string out_dir = dir + "/trace";
  {
    // A second connection held open keeps run.db-wal on disk through the import, so it is searched too.
    auto holder = open_trace_dir(out_dir, true);
    auto imported = import_files({dir + "/in/leaky.jsonl"}, Format::jsonl, out_dir);
    ASSERT_EQ(imported.size(), 1u);
    EXPECT_EQ(imported[0].stats.errors, 2);  // the truncated line and the oversize line
    EXPECT_TRUE(fs::exists(out_dir + "/run.db-wal"));
    EXPECT_EQ(find_needles(out_dir, needles), std::vector<std::string>{});
    // Positive control: the lines were decoded, with their secrets replaced.
    Statement st(trace::internal::db(*holder), "SELECT payload FROM events WHERE type = 'message' ORDER BY id LIMIT 1");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.text(0), R"({"role":"user","text":"use [REDACTED:anthropic_key] and API_KEY=[REDACTED:secret]"})");
  }
  EXPECT_EQ(find_needles(out_dir, needles), std::vector<std::string>{});
  rebuild(out_dir);
  EXPECT_EQ(find_needles(out_dir, needles), std::vector<std::string>{});
  fs::remove_all(dir);
}

}  // namespace
}  // namespace trace
