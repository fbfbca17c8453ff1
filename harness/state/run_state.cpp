#include "harness/state/run_state.h"

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

constexpr std::array<std::string_view, 9> kOutcomeNames = {
    "none",          "completed",    "crashed",       "killed_stuck", "killed_timeout",
    "killed_budget", "killed_loop", "launch_failed", "interrupted"};

constexpr std::array<std::string_view, 4> kAttemptStatusNames = {"pending", "running", "completed", "interrupted"};
constexpr std::array<std::string_view, 2> kGenerationStatusNames = {"running", "completed"};
constexpr std::array<std::string_view, 4> kRunStatusNames = {"running", "interrupted", "completed", "failed"};

template <class Enum, size_t N>
Enum from_name(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<Enum>(i);
  return static_cast<Enum>(0);
}

}  // namespace

std::string_view to_string(AttemptStatus s) { return kAttemptStatusNames[static_cast<size_t>(s)]; }
std::string_view to_string(GenerationStatus s) { return kGenerationStatusNames[static_cast<size_t>(s)]; }
std::string_view to_string(RunStatus s) { return kRunStatusNames[static_cast<size_t>(s)]; }
AttemptStatus attempt_status_from(std::string_view s) { return from_name<AttemptStatus>(kAttemptStatusNames, s); }
GenerationStatus generation_status_from(std::string_view s) {
  return from_name<GenerationStatus>(kGenerationStatusNames, s);
}
RunStatus run_status_from(std::string_view s) { return from_name<RunStatus>(kRunStatusNames, s); }

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
  std::optional<RunRecord> out;
  store_.query("SELECT id, status, config_hash, trace_id, span_id, seed, created_ns, finished_ns, exit_code "
               "FROM harness_run LIMIT 1",
               {}, [&](const trace::Row& row) {
                 RunRecord& r = out.emplace();
                 r.id = row.text(0);
                 r.status = run_status_from(row.text(1));
                 r.config_hash = row.text(2);
                 r.trace_id = row.text(3);
                 r.span_id = row.text(4);
                 r.seed = static_cast<uint64_t>(row.int64(5));
                 r.created_ns = row.int64(6);
                 r.finished_ns = row.int64(7);
                 r.exit_code = static_cast<int>(row.int64(8));
               });
  return out;
}

void RunState::save_run(const RunRecord& r) {
  store_.execute("INSERT OR REPLACE INTO harness_run(id, status, config_hash, trace_id, span_id, seed, "
                 "created_ns, finished_ns, exit_code) VALUES(?,?,?,?,?,?,?,?,?)",
                 {r.id, std::string(to_string(r.status)), r.config_hash, r.trace_id, r.span_id, static_cast<int64_t>(r.seed), r.created_ns,
                  r.finished_ns, static_cast<int64_t>(r.exit_code)});
}

std::vector<GenerationRecord> RunState::generations() {
  std::vector<GenerationRecord> out;
  store_.query("SELECT number, status, span_id, started_ns, finished_ns FROM harness_generations ORDER BY number", {},
               [&](const trace::Row& st) {
                 out.push_back({(int)st.int64(0), generation_status_from(st.text(1)), st.text(2), st.int64(3), st.int64(4)});
               });
  return out;
}

std::optional<GenerationRecord> RunState::generation(int number) {
  for (auto& g : generations())
    if (g.number == number) return g;
  return std::nullopt;
}

void RunState::save_generation(const GenerationRecord& g) {
  store_.execute("INSERT OR REPLACE INTO harness_generations(number, status, span_id, started_ns, finished_ns) "
                 "VALUES(?,?,?,?,?)",
                 {static_cast<int64_t>(g.number), std::string(to_string(g.status)), g.span_id, g.started_ns, g.finished_ns});
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
  std::string sql =
      "SELECT generation, slot, attempt, id, strategy, strategy_json, status, outcome, exit_description, "
      "verify_ran, verify_passes, verify_repeats, verify_first_failure, input_tokens, output_tokens, cost_usd, "
      "tool_calls, tool_errors, started_ns, finished_ns, span_id, external_id, changed_files, end_reason "
      "FROM harness_agents";
  if (generation) sql += " WHERE generation=" + std::to_string(*generation);
  sql += " ORDER BY generation, slot, attempt";
  std::vector<AgentRecord> out;
  store_.query(sql, {}, [&](const trace::Row& row) {
    AgentRecord a;
    a.generation = (int)row.int64(0);
    a.slot = (int)row.int64(1);
    a.attempt = (int)row.int64(2);
    a.id = row.text(3);
    a.strategy = row.text(4);
    a.strategy_json = nlohmann::json::parse(row.text(5), nullptr, false);
    a.status = attempt_status_from(row.text(6));
    a.outcome = agent_outcome_from(row.text(7));
    a.exit_description = row.text(8);
    a.verify = {row.int64(9) != 0, (int)row.int64(10), (int)row.int64(11), row.text(12)};
    a.input_tokens = row.int64(13);
    a.output_tokens = row.int64(14);
    a.cost_usd = row.real(15);
    a.tool_calls = row.int64(16);
    a.tool_errors = row.int64(17);
    a.started_ns = row.int64(18);
    a.finished_ns = row.int64(19);
    a.span_id = row.text(20);
    a.external_id = row.text(21);
    auto files = nlohmann::json::parse(row.text(22), nullptr, false);
    if (files.is_array())
      for (auto& f : files)
        if (f.is_string()) a.changed_files.push_back(f);
    a.end_reason = row.text(23);
    out.push_back(std::move(a));
  });
  return out;
}

void RunState::save_agent(const AgentRecord& a) {
  auto json_text = [](const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
  store_.execute(
      "INSERT OR REPLACE INTO harness_agents(generation, slot, attempt, id, strategy, strategy_json, status, "
      "outcome, exit_description, verify_ran, verify_passes, verify_repeats, verify_first_failure, input_tokens, "
      "output_tokens, cost_usd, tool_calls, tool_errors, started_ns, finished_ns, span_id, external_id, "
      "changed_files, end_reason) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      {static_cast<int64_t>(a.generation), static_cast<int64_t>(a.slot), static_cast<int64_t>(a.attempt), a.id,
       a.strategy, json_text(a.strategy_json), std::string(to_string(a.status)), std::string(to_string(a.outcome)), a.exit_description,
       static_cast<int64_t>(a.verify.ran), static_cast<int64_t>(a.verify.passes),
       static_cast<int64_t>(a.verify.repeats), a.verify.first_failure, a.input_tokens, a.output_tokens, a.cost_usd,
       a.tool_calls, a.tool_errors, a.started_ns, a.finished_ns, a.span_id, a.external_id,
       json_text(nlohmann::json(a.changed_files)), a.end_reason});
}

}  // namespace harness
