#include "observer/observation.h"

#include <algorithm>
#include <array>
#include <utility>

#include "observer/fingerprint.h"

namespace observer {
namespace {

constexpr std::array<std::pair<Kind, std::string_view>, 16> kKinds = {{
    {Kind::tool_error, "tool_error"},   {Kind::crash, "crash"},
    {Kind::stuck, "stuck"},             {Kind::failed_fix, "failed_fix"},
    {Kind::retry_storm, "retry_storm"}, {Kind::budget_exhausted, "budget_exhausted"},
    {Kind::files_edited, "files_edited"}, {Kind::refactor, "refactor"},
    {Kind::hypothesis, "hypothesis"},   {Kind::partial_fix, "partial_fix"},
    {Kind::goal, "goal"},               {Kind::usage, "usage"},
    {Kind::dead_end, "dead_end"},       {Kind::duration, "duration"},
    {Kind::loop, "loop"},               {Kind::llm, "llm"},
}};

}  // namespace

std::string_view to_string(Priority priority) {
  switch (priority) {
    case Priority::important: return "important";
    case Priority::possible: return "possible";
    case Priority::informational: return "informational";
  }
  return "informational";
}

std::string_view to_string(Kind kind) {
  for (const auto& [k, name] : kKinds)
    if (k == kind) return name;
  return "llm";
}

std::optional<Priority> priority_from(std::string_view name) {
  for (Priority p : {Priority::important, Priority::possible, Priority::informational})
    if (to_string(p) == name) return p;
  return std::nullopt;
}

std::optional<Kind> kind_from(std::string_view name) {
  for (const auto& [k, n] : kKinds)
    if (n == name) return k;
  return std::nullopt;
}

Priority default_priority(Kind kind) {
  switch (kind) {
    case Kind::tool_error:
    case Kind::crash:
    case Kind::stuck:
    case Kind::failed_fix:
    case Kind::retry_storm:
    case Kind::budget_exhausted:
    case Kind::loop: return Priority::important;
    case Kind::files_edited:
    case Kind::refactor:
    case Kind::hypothesis:
    case Kind::partial_fix:
    case Kind::llm: return Priority::possible;
    case Kind::goal:
    case Kind::usage:
    case Kind::dead_end:
    case Kind::duration: return Priority::informational;
  }
  return Priority::informational;
}

std::string Evidence::label() const {
  if (event_id > 0) return agent + "#e" + std::to_string(event_id);
  if (!span_id.empty()) return agent + "#s" + span_id;
  return agent;
}

Observation make_observation(Kind kind, std::string text, const std::string& agent, int generation,
                             std::vector<Evidence> evidence, int64_t count) {
  Observation o;
  o.kind = kind;
  o.priority = default_priority(kind);
  o.fingerprint = fingerprint(kind, text);
  o.text = std::move(text);
  if (evidence.size() > kMaxEvidence) evidence.resize(kMaxEvidence);
  o.evidence = std::move(evidence);
  if (!agent.empty()) o.agents.push_back(agent);
  o.first_gen = o.last_gen = generation;
  o.count = count;
  return o;
}

void absorb(Observation& into, const Observation& more) {
  into.count += more.count;
  if (static_cast<int>(more.priority) < static_cast<int>(into.priority)) into.priority = more.priority;
  for (const auto& agent : more.agents)
    if (std::find(into.agents.begin(), into.agents.end(), agent) == into.agents.end()) into.agents.push_back(agent);
  for (const auto& e : more.evidence) {
    if (into.evidence.size() >= kMaxEvidence) break;
    if (std::find(into.evidence.begin(), into.evidence.end(), e) == into.evidence.end()) into.evidence.push_back(e);
  }
  // Generation 0 is what a run inherited (harness run --from): seen before any of its own generations.
  into.first_gen = std::min(into.first_gen, more.first_gen);
  into.last_gen = std::max(into.last_gen, more.last_gen);
}

}  // namespace observer
