// The agent's prompt: a Mustache template (templates/agent_prompt.mustache or the config's prompt_template) rendered
// with kainjow mustache from the bug, the strategy, the generation and the observations chosen for the prompt.
// Values are inserted verbatim (no HTML escaping). Thread-safe (no shared state).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "observer/observation_set.h"

namespace observer {

struct PromptInputs {
  std::string bug;             // the bug description
  std::string verify_command;  // how a fix is checked
  int generation = 1;
  int generations = 0;         // planned in total (0: unknown)
  std::string agent_id;        // "g02-a03"
  std::string strategy_name;
  nlohmann::json strategy_params = nlohmann::json::object();
  std::string model;
  std::vector<std::string> partial_fixes;  // one line each (partial_fix_texts())
  std::vector<Observation> observations;   // ObservationSet::select_for_prompt(budget), in that order
  size_t total_observations = 0;           // ObservationSet::size(): the prompt says "N of M"
};

// Template variables (all strings unless said):
//   bug, verify_command, has_verify_command (bool), generation, generations, has_generations (bool), agent_id,
//   model, has_model (bool), first_generation (bool),
//   strategy.name, strategy.params (list of {key, value}), strategy.has_params (bool),
//   partial_fixes (list of {text}), has_partial_fixes (bool),
//   observations (the render_line() lines, newline-separated), has_observations (bool), observation_count,
//   total_observations, observation_list (list of {line, id, priority, kind, text, count}).
class PromptTemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "" when `template_text` parses; else kainjow's message. For checking a config's template before a run starts.
std::string prompt_template_error(const std::string& template_text);
// Throws PromptTemplateError for a template that does not parse (prompt_template_error() first avoids it).
std::string render_prompt(const std::string& template_text, const PromptInputs& inputs);

// Texts of the partial-fix observations, most seen first: what PromptInputs::partial_fixes expects.
std::vector<std::string> partial_fix_texts(const ObservationSet& observations);

}  // namespace observer
