// What the built-in advisors must answer, as JSON schemas both CLIs enforce (strict: every property required,
// no other property, so Codex's Responses API accepts them as they are), and the meta-agent's answer turned into
// the protocol's output document (docs/observer-protocol.md). Pure functions.
#pragma once

#include <nlohmann/json.hpp>

namespace harness {

// {"observations":[{"priority","kind","text","evidence":[label]}]}: the protocol's output itself.
nlohmann::json observer_answer_schema();
// {"strategies":[{"name","based_on","approach","instructions","model","budget_steps","why","observations":[id]}]}
nlohmann::json meta_answer_schema();
// -> {"strategies":[{"name","params"?,"model"?,"based_on"?,"why","observations"}]}: approach, instructions and
// budget_steps become params when given ("" and 0 mean "keep the strategy's own"). Anything else is passed on as
// it is, for the protocol's validation to judge.
nlohmann::json meta_answer_to_protocol(const nlohmann::json& answer);

}  // namespace harness
