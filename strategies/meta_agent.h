// The optional meta-agent (strategies.meta_command): given the generation's digest, the observations and the
// strategies known so far on stdin (JSON), it proposes the next generation's strategies as JSON on stdout
// (docs/observer-protocol.md, "Meta-agent"). Its answer is validated; on any failure the policy's allocation is
// used and the error is returned for the harness to record. Running the command is the caller's: it passes a
// CommandRunner (the harness wraps observer::run_shell_command), so this layer stays free of processes and tests
// use fakes. Thread-safe (no shared state).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "strategies/allocation.h"
#include "strategies/strategy.h"

namespace strategies {

constexpr const char* kMetaProtocol = "harness.meta/1";

struct CommandOutcome {
  std::string output;  // the command's stdout
  std::string error;   // "" on success; else why it failed ("timed out after 120s (killed)", "exited with status 1")
};
// Runs `command` with `stdin_text` on its stdin, bounded in time and output.
using CommandRunner = std::function<CommandOutcome(const std::string& command, const std::string& stdin_text)>;

struct MetaAgentRequest {
  std::string command;
  int generation = 0;  // the generation to plan
  int slots = 0;       // agents in it
  nlohmann::json digest = nlohmann::json::object();        // observer::build_digest of the last generation
  nlohmann::json observations = nlohmann::json::array();   // current observations (ranked)
  std::vector<Strategy> known;       // pool and strategies tried so far (Allocator: pool() + stats())
  std::vector<StrategyStats> stats;  // their results so far
  // Answers that fail validation are asked again this many times, with the error and the answer in the input
  // ("previous_error", "previous_answer"): the built-in presets retry once, a user's command never.
  int retries = 0;
  std::string label = "meta.command";  // names the meta-agent in errors ("meta-agent claude-code")
};

// The JSON written to the meta-agent's stdin.
nlohmann::json meta_agent_input(const MetaAgentRequest& request);

// What the meta-agent said about one strategy it chose: recorded in the run (event meta.proposed) and shown in
// the report's convergence path.
struct MetaProposal {
  std::string name;
  bool is_new = false;                    // not in the pool nor tried before
  std::string based_on;                   // the known strategy a new one started from ("" when none)
  std::string why;                        // clipped to 600 bytes
  std::vector<std::string> observations;  // ids it answers (each one known)
};

struct MetaPlan {
  std::vector<Strategy> strategies;  // exactly `slots` entries
  bool from_meta_agent = false;      // false: the fallback was used
  std::string error;                 // why the fallback was used ("" when it was not)
  std::vector<MetaProposal> proposals;  // one per strategy the meta-agent gave (the rest are the policy's)
  int attempts = 0;                  // answers asked for (2 after a retry)
  std::string retried_error;         // why the first answer was refused, when it was retried
};

// Validates the meta-agent's stdout: {"strategies":[{"name", "params"?, "model"?, "based_on"?, "why"?,
// "observations"?}, ...]} with 1..slots entries. A known name starts from that strategy (given params overlay its
// params); an unknown name starts from `based_on` (a known name) or from nothing, and needs params. Fewer entries
// than slots: the rest come from `fallback` (slot order). `observation_ids`, when given, are the ids an answer may
// cite. On error, strategies is empty.
MetaPlan parse_meta_agent_output(std::string_view output, int slots, const std::vector<Strategy>& known,
                                 const std::vector<Strategy>& fallback,
                                 const std::vector<std::string>* observation_ids = nullptr);

// Asks the meta-agent; `fallback` (the policy's allocation for this generation, `slots` entries) is returned on
// any failure. Never throws for the command's behaviour.
MetaPlan plan_with_meta_agent(const MetaAgentRequest& request, const CommandRunner& run,
                              const std::vector<Strategy>& fallback);

}  // namespace strategies
