// The built-in advisors of a run: the LLM observer (observer.llm) and the meta-agent (strategies.meta), each a real
// model CLI (model_cli.h) given a prompt rendered from a Mustache template (templates/observer_llm.mustache,
// templates/meta_agent.mustache) out of the protocol's input document (docs/observer-protocol.md), and asked for an
// answer fitting a JSON schema (advisor_schemas.h). The caller validates the answer as it validates a command's.
//
// Each question is a span of the run (kind observer, "advisor.<role>") under the observed generation's observer
// span; the CLI's session is imported below it (its llm spans, tokens and dollars, as an agent's), and the answer
// is recorded on it (event advisor.answered) before it is used: asked again after a resume, the same question is
// answered from run.db, never from the model. Not thread-safe (the loop's thread asks).
#pragma once

#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/advisor/model_cli.h"
#include "trace/store.h"

namespace harness {

struct AdvisorSetup {
  std::string role;            // "observer" | "meta-agent": names spans, folders and messages
  ModelCli cli = ModelCli::claude_code;
  std::string model;           // "" = the CLI's default
  std::string template_text;   // the prompt (Mustache; prompt_data() is its data)
  nlohmann::json schema;       // what the CLI's answer must fit
  // The CLI's answer -> the protocol's output document (the meta-agent's preset answer names params flat).
  std::function<nlohmann::json(const nlohmann::json&)> to_protocol;
  double timeout_s = 120;
  std::map<std::string, std::string> env;  // over the harness's environment
  trace::Store* store = nullptr;
  std::string run_dir, trace_id;
  // Around each question the CLI really gets: `begin` returns env laid over `env` (the proxy's token for the span),
  // `folder` is its folder under <run dir>/advisors/ (meta-agent-g02.1); `end` runs once its session is in the store (settles what it cost into the run's budget). Either may be empty.
  std::function<std::map<std::string, std::string>(const std::string& span_id, const std::string& folder,
                                                   int generation)>
      begin;
  std::function<void(const std::string& span_id)> end;
  std::function<bool()> stop;  // an interrupt: the CLI is ended and its (non-)answer not recorded
};

struct AdvisorOutcome {
  std::string output;     // the protocol's output document (JSON text) when error is empty
  std::string error;      // why there is no answer: the CLI failed, or printed nothing that fits
  std::string span_id;
  bool replayed = false;  // answered from run.db (a resumed run)
};

// The observer span of generation `generation` (observer/observe_generation.cpp derives it the same way).
std::string observer_span_id(int generation);
std::string advisor_span_id(const std::string& trace_id, const std::string& role, int generation, int attempt);

// The Mustache data of a protocol input document: every key as it is (objects as sections, arrays as lists,
// scalars as text), `has_<key>` beside every array, `input_json` (the whole document, indented), `schema_json`,
// and on a retry `previous_error` / `previous_answer` with `retry` set.
std::string render_advisor_prompt(const std::string& template_text, const nlohmann::json& input,
                                  const nlohmann::json& schema);

class Advisor {
 public:
  explicit Advisor(AdvisorSetup setup) : setup_(std::move(setup)) {}
  // One question about `generation` (the one observed; its observer span is the parent). `attempt` counts from 1;
  // a retry carries previous_error / previous_answer in `input`.
  AdvisorOutcome ask(int generation, const nlohmann::json& input, int attempt);
  const AdvisorSetup& setup() const { return setup_; }

 private:
  AdvisorSetup setup_;
};

}  // namespace harness
