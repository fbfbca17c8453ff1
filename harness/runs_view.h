// `harness runs DIR`: the runs under a folder side by side, to compare nights: target, config hash, generations,
// agents, validated fixes, the generation and the agent runs to the first fix, tokens and dollars (and per
// validated fix), the runs each started from, and the failures they share (important observations of equal
// fingerprint seen by two runs or more). Read-only: every run.db is opened read-only, a running run included.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace harness {

// Every immediate subfolder of `folder` holding a run.db (and `folder` itself when it does), by name. Throws
// UsageError when there is none; a folder whose run.db cannot be read is listed with its error.
nlohmann::json build_runs(const std::string& folder);
std::string format_runs(const nlohmann::json& runs);

}  // namespace harness
