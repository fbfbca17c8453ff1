// Shared state of one extraction (observer/rules.cpp): what the rule functions read and where they add findings.
// Internal to observer/; not thread-safe (one context per agent).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "observer/rules.h"

namespace observer::rules_detail {

struct RuleContext {
  const AgentTrace& trace;
  const AgentOutcome& outcome;
  const RuleOptions& options;
  std::vector<Observation> found;

  // Adds a finding: the text loses the workspace root, becomes one line and is clipped.
  void add(Kind kind, std::string_view text, std::vector<Evidence> evidence, int64_t count = 1);
  // Evidence for a span: its first event of type `prefer` (any type when none matches or `prefer` is empty).
  Evidence span_evidence(const trace::Span& span, std::string_view prefer = "") const;
  // Evidence for an event.
  Evidence event_evidence(const trace::Event& event) const;
  // Evidence for the agent as a whole: the first event on the agent span whose type starts with `prefer`, else the
  // last event of the trace (its last activity).
  Evidence agent_evidence(std::string_view prefer = "agent.") const;
  // "Bash `pytest -x tests/`", "Read src/queue.c", "Grep \"lock\" in src/": what a tool call did, for texts.
  std::string tool_target(const trace::Span& tool) const;
  // A path relative to the workspace; "" when it lies outside a known workspace (scratch files, /tmp).
  std::string workspace_path(std::string_view path) const;
  // "produced a validated fix", "crashed", "made a fix that failed verify", ...: how the agent ended, as a verb
  // phrase that follows "the agent" in texts.
  std::string ending() const;
  // The last tool span of the trace (its last action), or nullptr.
  const trace::Span* last_tool() const;
  int tool_calls() const;
  int llm_calls() const;
};

std::string json_text(const trace::Json& value);  // a string's value, or the JSON text of anything else
// obj[key] as text when obj is an object holding it (json_text), else `fallback`. Never throws on odd input.
std::string field_text(const trace::Json& obj, const char* key, std::string fallback = "");

void tool_error_rules(RuleContext& ctx);
void retry_storm_rule(RuleContext& ctx);
void hypothesis_rule(RuleContext& ctx);
void file_rules(RuleContext& ctx);  // files_edited, refactor, dead_end
void outcome_rules(RuleContext& ctx);  // crash, stuck, budget_exhausted, failed_fix, partial_fix
void informational_rules(RuleContext& ctx);  // goal, usage, duration

}  // namespace observer::rules_detail
