// The harness's own records in run.db: the run, its generations and agents. This is the checkpoint: an agent's
// row is written in the same transaction as its final span and events, so a crash loses at most agents in flight,
// which `harness resume` re-runs as new attempts. Thread-safe through the Store's lock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trace/store.h"

namespace harness {

// How an agent's process ended. `interrupted`: the harness stopped (Ctrl-C, crash) before it finished;
// `killed_loop`: caught repeating itself (runner.on_loop: kill, observer/loop_detector.h).
enum class AgentOutcome { none, completed, crashed, killed_stuck, killed_timeout, killed_budget, killed_loop,
                          launch_failed, interrupted };
std::string_view to_string(AgentOutcome o);
AgentOutcome agent_outcome_from(std::string_view s);

// Where an attempt, a generation and the run stand; stored in run.db and shown by status and the reports under
// the names to_string() gives (a name the store does not know reads as the first value).
enum class AttemptStatus { pending, running, completed, interrupted };
enum class GenerationStatus { running, completed };
enum class RunStatus { running, interrupted, completed, failed };
std::string_view to_string(AttemptStatus s);
std::string_view to_string(GenerationStatus s);
std::string_view to_string(RunStatus s);
AttemptStatus attempt_status_from(std::string_view s);
GenerationStatus generation_status_from(std::string_view s);
RunStatus run_status_from(std::string_view s);

struct VerifyResult {
  bool ran = false;
  int passes = 0;
  int repeats = 0;
  std::string first_failure;  // the first line of the verify output that looks like a failure
  bool passed() const { return ran && repeats > 0 && passes == repeats; }
  bool partial() const { return ran && passes > 0 && passes < repeats; }
  std::string label() const;  // passed | failed | partial | not_run
};

struct AgentRecord {
  std::string id;  // g01-a02
  int generation = 0;
  int slot = 0;     // 1-based within the generation
  int attempt = 1;  // >1 when an interrupted attempt was re-run by resume
  std::string strategy;
  nlohmann::json strategy_json = nlohmann::json::object();
  AttemptStatus status = AttemptStatus::pending;
  AgentOutcome outcome = AgentOutcome::none;
  std::string exit_description;
  VerifyResult verify;
  int64_t input_tokens = 0, output_tokens = 0;
  double cost_usd = 0;
  int64_t tool_calls = 0, tool_errors = 0;
  int64_t started_ns = 0, finished_ns = 0;
  std::string span_id;
  std::string external_id;  // pid:123 or slurm:456
  std::vector<std::string> changed_files;
  std::string end_reason;   // human text: "exit 0", "no output for 30s (idle timeout)", ...
};

// The one definition of a validated fix: the attempt completed and every verify repeat passed; a partial fix
// passed some repeats.
inline bool is_validated_fix(const AgentRecord& a) { return a.status == AttemptStatus::completed && a.verify.passed(); }
inline bool is_partial_fix(const AgentRecord& a) { return a.status == AttemptStatus::completed && a.verify.partial(); }

struct GenerationRecord {
  int number = 0;
  GenerationStatus status = GenerationStatus::running;
  std::string span_id;
  int64_t started_ns = 0, finished_ns = 0;
};

struct RunRecord {
  std::string id;
  RunStatus status = RunStatus::running;
  std::string config_hash;
  std::string trace_id;
  std::string span_id;
  uint64_t seed = 0;
  int64_t created_ns = 0, finished_ns = 0;
  int exit_code = -1;
};

// The latest attempt of each slot among `agents`, by slot.
std::map<int, AgentRecord> latest_attempts(const std::vector<AgentRecord>& agents);

class RunState {
 public:
  explicit RunState(trace::Store& store);  // creates the harness tables when missing
  trace::Store& store() { return store_; }

  std::optional<RunRecord> run();
  void save_run(const RunRecord& run);

  std::vector<GenerationRecord> generations();
  std::optional<GenerationRecord> generation(int number);
  void save_generation(const GenerationRecord& gen);

  // Every attempt of every agent, ordered by generation, slot, attempt.
  std::vector<AgentRecord> agents(std::optional<int> generation = std::nullopt);
  void save_agent(const AgentRecord& agent);

 private:
  trace::Store& store_;
};

}  // namespace harness
