#include "telemetry/spend_ledger.h"

#include <fmt/format.h>

#include <algorithm>

namespace telemetry {
namespace {

std::string what_of(const SpendLimit& limit, const Spend& spent) {
  if (limit.tokens > 0 && spent.tokens >= limit.tokens)
    return fmt::format("{} tokens ({} used)", limit.tokens, spent.tokens);
  return fmt::format("${:.4f} (${:.4f} used)", limit.usd, spent.usd);
}

}  // namespace

std::string Refusal::message() const {
  std::string whose = scope == "agent" ? "this agent's" : scope == "generation" ? "this generation's" : "the run's";
  return fmt::format("harness budget used up: {} budget of {}; the harness refuses further model calls",
                     whose, what_of(limit, spent));
}

Spend SpendLedger::Entry::spend() const {
  if (!open) return settled;
  return Spend{std::max(proxy.tokens, reported.tokens), std::max(proxy.usd, reported.usd)};
}

void SpendLedger::seed(int generation, Spend settled) {
  std::lock_guard lock(mu_);
  seeded_[generation] += settled;
}

void SpendLedger::open_agent(const std::string& id, int generation) {
  std::lock_guard lock(mu_);
  Entry e;
  e.generation = generation;
  agents_[id] = e;
}

void SpendLedger::report_live(const std::string& id, Spend reported) {
  std::lock_guard lock(mu_);
  if (auto it = agents_.find(id); it != agents_.end() && it->second.open) it->second.reported = reported;
}

void SpendLedger::add_call(const std::string& id, Spend call) {
  std::lock_guard lock(mu_);
  auto it = agents_.find(id);
  if (it == agents_.end()) return;  // an agent the loop never opened (a test's proxy without a loop)
  it->second.proxy += call;
  ++it->second.calls;
}

void SpendLedger::settle(const std::string& id, Spend settled) {
  std::lock_guard lock(mu_);
  auto it = agents_.find(id);
  if (it == agents_.end()) return;
  // What the proxy saw stays a floor: a trace that lost a call must not give its dollars back to the budget.
  it->second.settled = Spend{std::max(settled.tokens, it->second.proxy.tokens), std::max(settled.usd, it->second.proxy.usd)};
  it->second.open = false;
}

std::optional<Refusal> SpendLedger::admit(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = agents_.find(id);
  if (it == agents_.end()) return std::nullopt;
  Entry& e = it->second;
  std::optional<Refusal> r;
  if (Spend s = e.spend(); limits_.agent.reached_by(s)) {
    r = Refusal{"agent", s, limits_.agent};
  } else if (Spend g = generation_locked(e.generation); limits_.generation.reached_by(g)) {
    r = Refusal{"generation", g, limits_.generation};
  } else if (Spend all = run_locked(); limits_.run.reached_by(all)) {
    r = Refusal{"run", all, limits_.run};
  }
  if (r && !e.refusal) e.refusal = r;
  return r;
}

std::optional<Refusal> SpendLedger::refused(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = agents_.find(id);
  return it == agents_.end() ? std::nullopt : it->second.refusal;
}

Spend SpendLedger::agent(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = agents_.find(id);
  return it == agents_.end() ? Spend{} : it->second.spend();
}

int64_t SpendLedger::proxy_calls(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = agents_.find(id);
  return it == agents_.end() ? 0 : it->second.calls;
}

Spend SpendLedger::generation(int g) const {
  std::lock_guard lock(mu_);
  return generation_locked(g);
}

Spend SpendLedger::run() const {
  std::lock_guard lock(mu_);
  return run_locked();
}

Spend SpendLedger::generation_locked(int g) const {
  Spend s;
  if (auto it = seeded_.find(g); it != seeded_.end()) s += it->second;
  for (const auto& [id, e] : agents_)
    if (e.generation == g) s += e.spend();
  return s;
}

Spend SpendLedger::run_locked() const {
  Spend s;
  for (const auto& [g, seeded] : seeded_) s += seeded;
  for (const auto& [id, e] : agents_) s += e.spend();
  return s;
}

}  // namespace telemetry
