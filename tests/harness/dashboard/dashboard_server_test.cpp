// The dashboard's server on a generated run dir: the token, read-only, the JSON views the page reads, and the
// event stream pushing a change the run writes.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <sys/wait.h>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "harness/dashboard/dashboard_server.h"
#include "harness/dashboard/dashboard_views.h"
#include "harness/state/run_state.h"
#include "trace/ids.h"
#include "tests/harness/report/report_fixture.h"

namespace fs = std::filesystem;
using harness::dashboard::DashboardServer;

namespace {

// The synthetic run's sessions carry no events: give one agent a session as a decoder writes it (session id set, a
// failing tool call with its events). Returns the id of the error event, the one an evidence label names.
int64_t add_traced_session(const std::string& dir, const std::string& agent) {
  auto store = trace::Store::open(dir + "/run.db");
  harness::RunState state(*store);
  std::string agent_span;
  for (const auto& a : state.agents())
    if (a.id == agent) agent_span = a.span_id;
  auto parent = store->span(agent_span);
  EXPECT_TRUE(parent) << agent;
  trace::Span session;
  session.trace_id = parent->trace_id;
  session.span_id = trace::random_span_id();
  session.parent_span_id = agent_span;
  session.session_id = session.span_id;
  session.kind = trace::SpanKind::session;
  session.name = "claude-code";
  session.start_ns = parent->start_ns;
  session.end_ns = parent->start_ns + 5'000'000'000;
  session.status = trace::SpanStatus::ok;
  store->put_span(session);
  trace::Span tool = session;
  tool.span_id = trace::random_span_id();
  tool.parent_span_id = session.span_id;
  tool.kind = trace::SpanKind::tool;
  tool.name = "Bash";
  tool.status = trace::SpanStatus::error;
  tool.attributes = {{"gen_ai.tool.name", "Bash"}, {"gen_ai.tool.call.arguments", R"({"command":"make test"})"}};
  store->put_span(tool);
  store->put_event({0, tool.span_id, 1, session.start_ns + 1'000'000'000, "tool.call.started", {{"name", "Bash"}}});
  return store->put_event({0, tool.span_id, 2, session.start_ns + 2'000'000'000, "tool.error",
                           {{"error", "make: *** [test] Error 1"}}});
}

class DashboardServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / fmt::format("dashboard-test-{}-{}", ::getpid(), counter_++)).string();
    fs::remove_all(dir_);
    harness_test::fill_synthetic_run(dir_, 3, 4, true, 3);
    server_ = std::make_unique<DashboardServer>(harness::dashboard::ServeOptions{dir_, "127.0.0.1", 0, "tok123"});
    url_ = server_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  void TearDown() override {
    server_->stop();
    fs::remove_all(dir_);
  }
  nlohmann::json get_json(const std::string& path, int want_status = 200) {
    auto res = client_->Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return nullptr;
    EXPECT_EQ(res->status, want_status) << path << ": " << res->body;
    return nlohmann::json::parse(res->body);
  }
  static inline int counter_ = 0;
  std::string dir_, url_;
  std::unique_ptr<DashboardServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(DashboardServerTest, EveryPathNeedsTheTokenAndOnlyGetIsServed) {
  EXPECT_EQ(url_, fmt::format("http://127.0.0.1:{}/?token=tok123", server_->port()));
  for (const char* path : {"/", "/api/runs", "/api/run?run=.", "/api/events?run=.", "/api/agent?run=.&agent=g01-a01"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 401) << path;
    res = client_->Get(std::string(path) + (std::string(path).find('?') == std::string::npos ? "?" : "&") + "token=tok12");
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 401) << path << " with a wrong token";
  }
  auto post = client_->Post("/api/run?run=.&token=tok123", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  auto page = client_->Get("/?token=tok123");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<!doctype html>"), std::string::npos);
  EXPECT_NE(page->body.find("new EventSource"), std::string::npos);
  EXPECT_EQ(page->body.find("http://"), std::string::npos) << "the page loads no outside asset";
}

TEST_F(DashboardServerTest, TheRunsStateHoldsTheReportsFiguresAndLiveOnes) {
  auto runs = get_json("/api/runs?token=tok123");
  ASSERT_EQ(runs["runs"].size(), 1u);
  EXPECT_EQ(runs["runs"][0]["name"], ".");
  EXPECT_EQ(runs["runs"][0]["validated_fixes"], 1);
  add_traced_session(dir_, "g01-a01");
  auto state = get_json("/api/run?run=.&token=tok123");
  EXPECT_EQ(state["schema"], "harness.summary");
  EXPECT_EQ(state["generations"].size(), 3u);
  ASSERT_EQ(state["agents"].size(), 12u);
  const auto& a = state["agents"][0];
  ASSERT_TRUE(a.contains("live")) << a.dump();
  EXPECT_EQ(a["id"], "g01-a01");
  EXPECT_EQ(a["live"]["tool_calls"], a["tool_calls"]) << "a finished agent: its record's figures";
  EXPECT_TRUE(a["live"]["last_event"].is_null()) << "a finished attempt shows why it ended, not a last event";
  EXPECT_EQ(a["live"]["tool_calls"], 3) << "the fixture gives each agent 3 tool calls";
  EXPECT_EQ(state["agents"].back()["live"]["has_patch"], false);
  int patches = 0;
  for (const auto& x : state["agents"]) patches += x["live"]["has_patch"].get<bool>();
  EXPECT_EQ(patches, 1) << "the fix left the one patch.diff";
  EXPECT_NE(state["chart_svg"].get<std::string>().find("<svg"), std::string::npos);
  EXPECT_FALSE(state["observations"].empty());
  get_json("/api/run?run=other&token=tok123", 404);
}

TEST_F(DashboardServerTest, AnAgentsTraceHasItsTreeAndReplayWithEventIds) {
  int64_t error_event = add_traced_session(dir_, "g02-a03");
  auto agent = get_json("/api/agent?run=.&agent=g02-a03&token=tok123");
  EXPECT_EQ(agent["agent"], "g02-a03");
  ASSERT_EQ(agent["tree"].size(), 2u) << agent["tree"].dump() << ": the fixture's session and the traced one";
  ASSERT_EQ(agent["replay"]["sessions"].size(), 2u);
  bool has_error_event = false;
  for (const auto& s : agent["replay"]["sessions"])
    for (const auto& l : s["lines"]) has_error_event |= l.value("event_id", int64_t{0}) == error_event;
  EXPECT_TRUE(has_error_event) << "the page opens an evidence label g02-a03#e" << error_event << " at this line";
  auto patch = client_->Get("/api/patch?run=.&agent=g03-a01&token=tok123");
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->status, 200);
  EXPECT_NE(patch->body.find("+locked"), std::string::npos);
  get_json("/api/agent?run=.&agent=g09-a09&token=tok123", 404);
  get_json("/api/patch?run=.&agent=g01-a01&token=tok123", 404);
}

TEST_F(DashboardServerTest, ServingWritesNothingToTheRunDir) {
  // SQLite's WAL readers create run.db-wal and run.db-shm when no writer has (a finished run): its coordination
  // files, empty of data. Every other file, run.db itself included, must stay as it was.
  auto listing = [&] {
    std::map<std::string, std::pair<uintmax_t, fs::file_time_type>> out;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      std::string name = e.path().filename().string();
      if (e.is_regular_file() && name != "run.db-wal" && name != "run.db-shm")
        out[e.path().string()] = {e.file_size(), e.last_write_time()};
    }
    return out;
  };
  auto before = listing();
  get_json("/api/run?run=.&token=tok123");
  get_json("/api/agent?run=.&agent=g01-a02&token=tok123");
  get_json("/api/runs?token=tok123");
  EXPECT_EQ(listing(), before);
  std::error_code ec;
  EXPECT_EQ(fs::file_size(dir_ + "/run.db-wal", ec), 0u) << "nothing written through the WAL either";
}

TEST_F(DashboardServerTest, TheEventStreamPushesAChangeTheRunWrites) {
  httplib::Client streamer("127.0.0.1", server_->port());
  streamer.set_read_timeout(60, 0);
  std::mutex m;
  std::vector<nlohmann::json> states;
  std::string buffer;
  std::thread reader([&] {
    streamer.Get("/api/events?run=.&token=tok123", [&](const char* data, size_t n) {
      buffer.append(data, n);
      for (size_t end; (end = buffer.find("\n\n")) != std::string::npos; buffer.erase(0, end + 2)) {
        std::string msg = buffer.substr(0, end);
        auto at = msg.find("data: ");
        if (msg.rfind("event: state", 0) != 0 || at == std::string::npos) continue;
        std::lock_guard<std::mutex> lock(m);
        states.push_back(nlohmann::json::parse(msg.substr(at + 6)));
        if (states.size() >= 2) return false;
      }
      return true;
    });
  });
  auto count = [&] {
    std::lock_guard<std::mutex> lock(m);
    return states.size();
  };
  for (int i = 0; i < 600 && count() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(count(), 1u);
  {
    auto writer = trace::Store::open(dir_ + "/run.db");
    harness::RunState state(*writer);
    auto agents = state.agents();
    harness::AgentRecord a = agents.front();
    a.tool_calls = 4242;
    state.save_agent(a);
  }
  reader.join();  // ends once the second state came (or the read timeout failed it)
  ASSERT_EQ(states.size(), 2u);
  EXPECT_NE(states[0]["agents"][0]["tool_calls"], 4242);
  EXPECT_EQ(states[1]["agents"][0]["tool_calls"], 4242);
}

TEST(DashboardRuns, AFolderOfRunDirsListsEachByName) {
  std::string dir = (fs::temp_directory_path() / fmt::format("dashboard-runs-{}", ::getpid())).string();
  fs::remove_all(dir);
  harness_test::fill_synthetic_run(dir + "/night-b", 1, 2, false, 1);
  harness_test::fill_synthetic_run(dir + "/night-a", 1, 2, true, 1);
  fs::create_directories(dir + "/not-a-run");
  auto runs = harness::dashboard::find_runs(dir);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].name, "night-a");
  EXPECT_EQ(runs[1].name, "night-b");
  auto view = harness::dashboard::runs_view(runs);
  EXPECT_EQ(view["runs"][0]["validated_fixes"], 1);
  EXPECT_EQ(view["runs"][1]["validated_fixes"], 0);
  fs::remove_all(dir);
}

}  // namespace

namespace {

// `harness serve` from the command line: a bad folder or port is a usage error (exit 2) naming the value.
std::pair<int, std::string> run_harness(const std::string& args) {
  std::string out;
  FILE* p = ::popen((std::string(HARNESS_BINARY) + " " + args + " 2>&1").c_str(), "r");
  char buf[4096];
  for (size_t n; p && (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int status = p ? ::pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(DashboardCli, BadFoldersAndPortsAreUsageErrors) {
  auto [rc, out] = run_harness("serve /nonexistent/runs");
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("/nonexistent/runs: no such folder"), std::string::npos) << out;
  std::string dir = (fs::temp_directory_path() / fmt::format("dashboard-cli-{}", ::getpid())).string();
  fs::create_directories(dir);
  std::tie(rc, out) = run_harness("serve " + dir + " --port 70000");
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("--port 70000: expected 0 (any free port) to 65535"), std::string::npos) << out;
  fs::remove_all(dir);
}

}  // namespace
