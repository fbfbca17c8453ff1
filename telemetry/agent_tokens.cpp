#include "telemetry/agent_tokens.h"

#include <random>

#include <fmt/format.h>

namespace telemetry {
namespace {

std::string random_token() {
  // random_device is the OS's entropy source: tokens must not be guessable by another local process.
  static std::mutex mu;
  static std::random_device rd;
  std::lock_guard lock(mu);
  std::string out;
  for (int i = 0; i < 4; ++i) out += fmt::format("{:08x}", static_cast<uint32_t>(rd()));
  return out;
}

}  // namespace

std::shared_ptr<AgentTelemetryEntry> AgentTokens::add(const TelemetryTarget& target) {
  auto entry = std::make_shared<AgentTelemetryEntry>();
  entry->target = target;
  std::lock_guard lock(mu_);
  do {
    entry->token = random_token();
  } while (by_token_.count(entry->token));
  by_token_[entry->token] = entry;
  return entry;
}

std::shared_ptr<AgentTelemetryEntry> AgentTokens::find(const std::string& token) const {
  if (token.empty()) return nullptr;
  std::lock_guard lock(mu_);
  auto it = by_token_.find(token);
  return it == by_token_.end() ? nullptr : it->second;
}

std::shared_ptr<AgentTelemetryEntry> AgentTokens::remove(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = by_token_.find(token);
  if (it == by_token_.end()) return nullptr;
  auto entry = it->second;
  by_token_.erase(it);
  return entry;
}

}  // namespace telemetry
