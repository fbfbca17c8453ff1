// The optional LLM observer (observer.command): a JSON digest of the generation goes to its stdin, observations
// come back as JSON on its stdout (protocol: docs/observer-protocol.md). Its output is validated strictly; any
// failure (crash, hang, garbage, wrong schema, too much output) is returned as an error value for the harness to
// record, never thrown, so the run goes on. Thread-safe (no shared state).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "observer/observation_set.h"
#include "observer/rules.h"
#include "trace/store.h"

namespace observer {

constexpr const char* kObserverProtocol = "harness.observer/1";

struct DigestOptions {
  size_t events_per_agent = 40;        // the agent's telling events (failures, errors, hypotheses, writes, verify)
  size_t observations = 200;           // current observations, ranked as for a prompt
  size_t text_bytes = 400;             // each text field clipped to this
};

// The digest: {"protocol","generation","agents":[...],"observations":[...]} (fields in docs/observer-protocol.md).
nlohmann::json build_digest(trace::Store& store, int generation, const std::vector<AgentOutcome>& outcomes,
                            const ObservationSet& observations, const DigestOptions& options = {});
// The same from traces already loaded (traces[i] belongs to outcomes[i]).
nlohmann::json build_digest(const std::vector<AgentTrace>& traces, int generation,
                            const std::vector<AgentOutcome>& outcomes, const ObservationSet& observations,
                            const DigestOptions& options = {});

// What a built-in observer (observer.llm: a model CLI, harness/advisor/) answered: the protocol's output document,
// or why there is none.
struct AskedAnswer {
  std::string output;
  std::string error;
};

struct LlmObserverOptions {
  std::string command;               // run with /bin/sh -c
  // Instead of `command` when set: asked with the input document (JSON text), answers as the command would print.
  std::function<AskedAnswer(const std::string& input)> ask;
  std::string label = "observer.command";  // names the observer in errors ("observer.llm claude-code")
  // Answers that fail validation are asked again this many times with "previous_error" and "previous_answer" in
  // the input (the presets: once; a command: never).
  int retries = 0;
  double timeout_s = 120;
  size_t max_output_bytes = 1 << 20;
  size_t max_observations = 200;     // more in one answer is refused as a wrong answer
  size_t max_text_bytes = 300;       // longer texts are clipped (not refused)
  std::string cwd;
};

struct LlmObserverResult {
  std::vector<Observation> observations;  // kind/priority/text/evidence set, fingerprint computed, generation set
  // "" on success; else "observer.command <what failed>", e.g. "observer.command timed out after 2s (killed)",
  // "observer.command output is not JSON: ...", "observer.command output: observations[0].priority: ...".
  std::string error;
  std::string stderr_tail;
  int attempts = 0;            // answers asked for (2 after a retry)
  std::string retried_error;   // why the first answer was refused, when it was retried
  bool ok() const { return error.empty(); }
};

// Validates an observer's stdout against the protocol. Pure; used by run_llm_observer.
LlmObserverResult parse_llm_observations(std::string_view output, int generation, const LlmObserverOptions& options);
// Runs the command (or asks the preset) with the digest on stdin and parses its answer.
LlmObserverResult run_llm_observer(const LlmObserverOptions& options, const nlohmann::json& digest);

}  // namespace observer
