#include "harness/run_state.h"

#include <array>

namespace harness {
namespace {

constexpr int kHarnessSchema = 1;
const char* kDdl = R"sql(
CREATE TABLE IF NOT EXISTS harness_run(
  id TEXT PRIMARY KEY, status TEXT NOT NULL, config_hash TEXT NOT NULL, trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL, seed INTEGER NOT NULL, created_ns INTEGER NOT NULL, finished_ns INTEGER NOT NULL,
  exit_code INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS harness_generations(
  number INTEGER PRIMARY KEY, status TEXT NOT NULL, span_id TEXT NOT NULL, started_ns INTEGER NOT NULL,
  finished_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS harness_agents(
  generation INTEGER NOT NULL, slot INTEGER NOT NULL, attempt INTEGER NOT NULL, id TEXT NOT NULL,
  strategy TEXT NOT NULL, strategy_json TEXT NOT NULL, status TEXT NOT NULL, outcome TEXT NOT NULL,
  exit_description TEXT NOT NULL, verify_ran INTEGER NOT NULL, verify_passes INTEGER NOT NULL,
  verify_repeats INTEGER NOT NULL, verify_first_failure TEXT NOT NULL, input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, tool_calls INTEGER NOT NULL, tool_errors INTEGER NOT NULL,
  started_ns INTEGER NOT NULL, finished_ns INTEGER NOT NULL, span_id TEXT NOT NULL, external_id TEXT NOT NULL,
  changed_files TEXT NOT NULL, end_reason TEXT NOT NULL,
  PRIMARY KEY(generation, slot, attempt));
)sql";

constexpr std::array<std::string_view, 8> kOutcomeNames = {
    "none", "completed", "crashed", "killed_stuck", "killed_timeout", "killed_budget", "launch_failed", "interrupted"};

}  // namespace

std::string_view to_string(AgentOutcome o) { return kOutcomeNames[static_cast<size_t>(o)]; }
AgentOutcome agent_outcome_from(std::string_view s) {
  for (size_t i = 0; i < kOutcomeNames.size(); ++i)
    if (kOutcomeNames[i] == s) return static_cast<AgentOutcome>(i);
  return AgentOutcome::none;
}

std::string VerifyResult::label() const {
  if (!ran) return "not_run";
  if (passed()) return "passed";
  if (partial()) return "partial";
  return "failed";
}

RunState::RunState(trace::Store& store) : store_(store) { store_.ensure_schema("harness", kHarnessSchema, kDdl); }

std::optional<RunRecord> RunState::run() {
  std::lock_guard lock(store_.mutex());
  store_.flush();
  trace::Statement st(store_.db(),
                      "SELECT id, status, config_hash, trace_id, span_id, seed, created_ns, finished_ns, exit_code "
                      "FROM harness_run LIMIT 1");
  if (!st.step()) return std::nullopt;
  RunRecord r;
  r.id = st.text(0);
  r.status = st.text(1);
  r.config_hash = st.text(2);
  r.trace_id = st.text(3);
  r.span_id = st.text(4);
  r.seed = static_cast<uint64_t>(st.int64(5));
  r.created_ns = st.int64(6);
  r.finished_ns = st.int64(7);
  r.exit_code = static_cast<int>(st.int64(8));
  return r;
}

void RunState::save_run(const RunRecord& r) {
  std::lock_guard lock(store_.mutex());
  trace::Statement st(store_.db(),
                      "INSERT OR REPLACE INTO harness_run(id, status, config_hash, trace_id, span_id, seed, "
                      "created_ns, finished_ns, exit_code) VALUES(?,?,?,?,?,?,?,?,?)");
  st.bind(1, r.id).bind(2, r.status).bind(3, r.config_hash).bind(4, r.trace_id).bind(5, r.span_id);
  st.bind(6, static_cast<int64_t>(r.seed)).bind(7, r.created_ns).bind(8, r.finished_ns);
  st.bind(9, static_cast<int64_t>(r.exit_code));
  st.step();
}

std::vector<GenerationRecord> RunState::generations() {
  std::lock_guard lock(store_.mutex());
  store_.flush();
  std::vector<GenerationRecord> out;
  trace::Statement st(store_.db(),
                      "SELECT number, status, span_id, started_ns, finished_ns FROM harness_generations ORDER BY number");
  while (st.step()) out.push_back({(int)st.int64(0), st.text(1), st.text(2), st.int64(3), st.int64(4)});
  return out;
}

std::optional<GenerationRecord> RunState::generation(int number) {
  for (auto& g : generations())
    if (g.number == number) return g;
  return std::nullopt;
}

void RunState::save_generation(const GenerationRecord& g) {
  std::lock_guard lock(store_.mutex());
  trace::Statement st(store_.db(),
                      "INSERT OR REPLACE INTO harness_generations(number, status, span_id, started_ns, finished_ns) "
                      "VALUES(?,?,?,?,?)");
  st.bind(1, static_cast<int64_t>(g.number)).bind(2, g.status).bind(3, g.span_id).bind(4, g.started_ns);
  st.bind(5, g.finished_ns);
  st.step();
}

std::map<int, AgentRecord> latest_attempts(const std::vector<AgentRecord>& agents) {
  std::map<int, AgentRecord> latest;
  for (const auto& a : agents) {
    auto it = latest.find(a.slot);
    if (it == latest.end() || it->second.attempt < a.attempt) latest[a.slot] = a;
  }
  return latest;
}

std::vector<AgentRecord> RunState::agents(std::optional<int> generation) {
  std::lock_guard lock(store_.mutex());
  store_.flush();
  std::string sql =
      "SELECT generation, slot, attempt, id, strategy, strategy_json, status, outcome, exit_description, "
      "verify_ran, verify_passes, verify_repeats, verify_first_failure, input_tokens, output_tokens, cost_usd, "
      "tool_calls, tool_errors, started_ns, finished_ns, span_id, external_id, changed_files, end_reason "
      "FROM harness_agents";
  if (generation) sql += " WHERE generation=" + std::to_string(*generation);
  sql += " ORDER BY generation, slot, attempt";
  trace::Statement st(store_.db(), sql);
  std::vector<AgentRecord> out;
  while (st.step()) {
    AgentRecord a;
    a.generation = (int)st.int64(0);
    a.slot = (int)st.int64(1);
    a.attempt = (int)st.int64(2);
    a.id = st.text(3);
    a.strategy = st.text(4);
    a.strategy_json = nlohmann::json::parse(st.text(5), nullptr, false);
    a.status = st.text(6);
    a.outcome = agent_outcome_from(st.text(7));
    a.exit_description = st.text(8);
    a.verify = {st.int64(9) != 0, (int)st.int64(10), (int)st.int64(11), st.text(12)};
    a.input_tokens = st.int64(13);
    a.output_tokens = st.int64(14);
    a.cost_usd = st.real(15);
    a.tool_calls = st.int64(16);
    a.tool_errors = st.int64(17);
    a.started_ns = st.int64(18);
    a.finished_ns = st.int64(19);
    a.span_id = st.text(20);
    a.external_id = st.text(21);
    auto files = nlohmann::json::parse(st.text(22), nullptr, false);
    if (files.is_array())
      for (auto& f : files)
        if (f.is_string()) a.changed_files.push_back(f);
    a.end_reason = st.text(23);
    out.push_back(std::move(a));
  }
  return out;
}

void RunState::save_agent(const AgentRecord& a) {
  std::lock_guard lock(store_.mutex());
  trace::Statement st(
      store_.db(),
      "INSERT OR REPLACE INTO harness_agents(generation, slot, attempt, id, strategy, strategy_json, status, "
      "outcome, exit_description, verify_ran, verify_passes, verify_repeats, verify_first_failure, input_tokens, "
      "output_tokens, cost_usd, tool_calls, tool_errors, started_ns, finished_ns, span_id, external_id, "
      "changed_files, end_reason) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  st.bind(1, static_cast<int64_t>(a.generation)).bind(2, static_cast<int64_t>(a.slot));
  st.bind(3, static_cast<int64_t>(a.attempt)).bind(4, a.id).bind(5, a.strategy);
  st.bind(6, a.strategy_json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)).bind(7, a.status).bind(8, std::string(to_string(a.outcome)));
  st.bind(9, a.exit_description).bind(10, static_cast<int64_t>(a.verify.ran));
  st.bind(11, static_cast<int64_t>(a.verify.passes)).bind(12, static_cast<int64_t>(a.verify.repeats));
  st.bind(13, a.verify.first_failure).bind(14, a.input_tokens).bind(15, a.output_tokens).bind(16, a.cost_usd);
  st.bind(17, a.tool_calls).bind(18, a.tool_errors).bind(19, a.started_ns).bind(20, a.finished_ns);
  st.bind(21, a.span_id).bind(22, a.external_id).bind(23, nlohmann::json(a.changed_files).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  st.bind(24, a.end_reason);
  st.step();
}

}  // namespace harness
