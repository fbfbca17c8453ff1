// The dashboard's JSON views (dashboard_views.h). Every figure the report also shows comes from the report's own
// loader (load_report_data, summary.json's renderer), so the page and report.html never disagree; only the live
// figures of attempts still running are read here, from their spans.
#include "harness/dashboard/dashboard_views.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "harness/config/config.h"
#include "harness/report/report.h"
#include "harness/report/report_data.h"
#include "harness/state/run_dir.h"
#include "harness/state/run_state.h"
#include "trace/query_format.h"
#include "trace/query_replay.h"
#include "trace/query_sessions.h"
#include "trace/store.h"

namespace fs = std::filesystem;

namespace harness::dashboard {
namespace {

using Json = nlohmann::json;

std::unique_ptr<trace::Store> open_run(const std::string& run_dir) {
  return trace::Store::open(RunDir{run_dir}.store(), trace::Store::Mode::read_only);
}

// Per agent span id: the figures of every session below it, from one GROUP BY over the spans.
std::map<std::string, trace::SessionTotals> totals_by_agent(const trace::SessionGraph& g) {
  std::map<std::string, trace::SessionTotals> out;
  for (const trace::SessionNode& n : g.nodes) {
    if (!n.is_session()) continue;
    int up = n.parent;
    for (int guard = 0; up >= 0 && guard < 64 && g.nodes[up].span.kind != trace::SpanKind::agent; ++guard)
      up = g.nodes[up].parent;
    if (up >= 0 && g.nodes[up].span.kind == trace::SpanKind::agent) out[g.nodes[up].span.span_id].add(n.own);
  }
  return out;
}

// The newest event anywhere under `span_id` (its tool and llm spans included): {type, time, detail}, or null.
Json last_event(trace::Store& store, const std::string& span_id) {
  Json out = nullptr;
  store.query(
      "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION ALL SELECT s.span_id FROM spans s JOIN sub ON s.parent_span_id = "
      "sub.id) SELECT e.type, e.time_ns, substr(e.payload, 1, 200) FROM events e WHERE e.span_id IN (SELECT id FROM "
      "sub) ORDER BY e.id DESC LIMIT 1",
      {span_id}, [&](const trace::Row& r) {
        out = {{"type", r.text(0)}, {"time", trace::format_utc_ns(r.int64(1))}, {"detail", r.text(2)}};
      });
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Json budget_of(const std::string& run_dir) {
  LoadResult loaded = load_config(RunDir{run_dir}.config());
  if (!loaded.config) return nullptr;  // a snapshot that no longer checks (its repo moved): no budget shown
  auto b = [](const Budget& x) { return Json{{"tokens", x.tokens}, {"usd", x.usd}}; };
  const Config& c = *loaded.config;
  return {{"run", b(c.run_budget)}, {"generation", b(c.generation_budget)}, {"agent", b(c.agent_budget)}};
}

const AgentRecord* latest_attempt(const std::vector<AgentRecord>& agents, const std::string& id) {
  const AgentRecord* found = nullptr;
  for (const auto& a : agents)
    if (a.id == id && (!found || a.attempt > found->attempt)) found = &a;
  return found;
}

}  // namespace

std::vector<ServedRun> find_runs(const std::string& dir) {
  std::vector<ServedRun> out;
  if (fs::exists(fs::path(dir) / "run.db")) return {{".", dir}};
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_directory(ec) && fs::exists(it->path() / "run.db"))
      out.push_back({it->path().filename().string(), it->path().string()});
  std::sort(out.begin(), out.end(), [](const ServedRun& a, const ServedRun& b) { return a.name < b.name; });
  return out;
}

Json runs_view(const std::vector<ServedRun>& runs) {
  Json out = Json::array();
  for (const ServedRun& r : runs) {
    try {
      auto store = open_run(r.path);
      RunState state(*store);
      auto run = state.run();
      if (!run) {
        out.push_back({{"name", r.name}, {"error", "no run record yet"}});
        continue;
      }
      // The latest attempt of each agent id (latest_attempts() is per generation: slots repeat across them).
      std::map<std::string, AgentRecord> latest;
      for (const auto& a : state.agents())
        if (!latest.count(a.id) || latest[a.id].attempt < a.attempt) latest[a.id] = a;
      int fixes = 0;
      for (const auto& [id, a] : latest) fixes += is_validated_fix(a);
      out.push_back({{"name", r.name},
                     {"run_id", run->id},
                     {"status", std::string(to_string(run->status))},
                     {"generations", state.generations().size()},
                     {"validated_fixes", fixes}});
    } catch (const std::exception& e) {
      out.push_back({{"name", r.name}, {"error", e.what()}});
    }
  }
  return {{"runs", out}};
}

nlohmann::ordered_json run_view(const std::string& run_dir) {
  auto store = open_run(run_dir);
  ReportData data = load_report_data(run_dir, *store, std::nullopt, EarlierRuns::named);
  nlohmann::ordered_json out = summary_json(data);
  trace::SessionGraph graph = trace::load_session_graph(*store, true);
  auto totals = totals_by_agent(graph);
  RunDir dir{run_dir};
  // By (id, attempt): the rows of summary.json's agents are data.attempts in its order.
  std::map<std::pair<std::string, int>, const AgentRecord*> by_attempt;
  for (const auto& r : data.attempts) by_attempt[{r.id, r.attempt}] = &r;
  for (auto& a : out["agents"]) {
    auto found = by_attempt.find({a.value("id", ""), a.value("attempt", 0)});
    if (found == by_attempt.end()) continue;
    const AgentRecord* rec = found->second;
    nlohmann::ordered_json live = {{"span_id", rec->span_id}};
    auto t = totals.find(rec->span_id);
    const bool running = rec->status == AttemptStatus::running;
    // A running attempt's record is written when it ends: its spans so far are the live figures.
    if (t != totals.end()) {
      live["tool_calls"] = running ? t->second.tool_calls : std::max(rec->tool_calls, t->second.tool_calls);
      live["tool_errors"] = running ? t->second.tool_errors : std::max(rec->tool_errors, t->second.tool_errors);
      live["tokens"] = running ? t->second.usage.input_tokens + t->second.usage.output_tokens
                               : rec->input_tokens + rec->output_tokens;
    } else {
      live["tool_calls"] = rec->tool_calls;
      live["tool_errors"] = rec->tool_errors;
      live["tokens"] = rec->input_tokens + rec->output_tokens;
    }
    // Only while it runs: a finished attempt says why it ended (end_reason), and one query per attempt of a night's
    // 1000 would cost the first state ~200 ms.
    live["last_event"] = rec->span_id.empty() || !running ? nlohmann::ordered_json(nullptr)
                                                          : nlohmann::ordered_json(last_event(*store, rec->span_id));
    live["has_patch"] = fs::exists(dir.agent(rec->generation, rec->slot, rec->attempt) + "/patch.diff");
    a["live"] = std::move(live);
  }
  out["budget"] = nlohmann::ordered_json(budget_of(run_dir));
  out["chart_svg"] = render_convergence_svg(data);
  out["now"] = trace::format_utc_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
  return out;
}

Json agent_view(const std::string& run_dir, const std::string& agent) {
  auto store = open_run(run_dir);
  RunState state(*store);
  auto agents = state.agents();
  const AgentRecord* rec = latest_attempt(agents, agent);
  if (!rec) throw std::invalid_argument(fmt::format("no agent '{}' in this run", agent));
  trace::SessionGraph graph = trace::load_session_graph(*store, true);
  Json tree = Json::array(), sessions = Json::array();
  auto node = graph.by_span_id.find(rec->span_id);
  if (node != graph.by_span_id.end()) {
    for (int i : graph.sessions_under(node->second)) {
      const trace::SessionNode& n = graph.nodes[i];
      tree.push_back({{"span_id", n.span.span_id},
                      {"depth", n.depth},
                      {"kind", std::string(trace::to_string(n.span.kind))},
                      {"name", n.label()},
                      {"status", n.status_text()},
                      {"duration_ms", n.duration_ms()},
                      {"tool_calls", n.own.tool_calls},
                      {"tool_errors", n.own.tool_errors},
                      {"tokens", n.own.usage.input_tokens + n.own.usage.output_tokens}});
      if (n.depth != 1) continue;  // subagents are inlined in their session's replay
      trace::ReplayOptions opts;
      opts.session = n.span.span_id;
      opts.expand_subagents = true;
      auto replayed = trace::replay(*store, opts);
      if (!replayed) continue;
      Json replayed_json = trace::replay_to_json(*replayed);  // kept: a range over a temporary's member dangles
      for (Json& s : replayed_json["sessions"]) sessions.push_back(std::move(s));
    }
  }
  return {{"agent", agent},
          {"attempt", rec->attempt},
          {"status", std::string(to_string(rec->status))},
          {"tree", tree},
          {"replay", {{"sessions", sessions}}}};
}

std::optional<std::string> agent_patch(const std::string& run_dir, const std::string& agent) {
  auto store = open_run(run_dir);
  RunState state(*store);
  auto agents = state.agents();
  const AgentRecord* rec = latest_attempt(agents, agent);
  if (!rec) return std::nullopt;
  std::string path = RunDir{run_dir}.agent(rec->generation, rec->slot, rec->attempt) + "/patch.diff";
  if (!fs::exists(path)) return std::nullopt;
  return read_file(path);
}

std::string change_stamp(const std::string& run_dir) {
  std::string out;
  RunDir dir{run_dir};
  for (const std::string& p : {dir.store(), dir.store() + "-wal", dir.observations()}) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0)
      out += fmt::format("{}:{}.{};", st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    else
      out += "-;";
  }
  return out;
}

}  // namespace harness::dashboard
