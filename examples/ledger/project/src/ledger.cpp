#include "ledger.h"

namespace ledger {

int Ledger::open_account(int64_t initial_balance) {
  balances_.push_back(initial_balance);
  return static_cast<int>(balances_.size()) - 1;
}

bool Ledger::apply(int from, int to, int64_t amount) {
  int64_t from_balance = balances_[from];
  if (amount <= 0 || from_balance < amount) return false;
  if (!passes_risk_check(from, to, amount)) return false;
  balances_[from] = from_balance - amount;
  balances_[to] += amount;
  return true;
}

void Ledger::deposit(int account, int64_t amount) {
  std::lock_guard<std::mutex> lock(mu_);
  balances_[account] += amount;
}

int64_t Ledger::balance(int account) const {
  std::lock_guard<std::mutex> lock(mu_);
  return balances_[account];
}

int64_t Ledger::total() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t sum = 0;
  for (int64_t b : balances_) sum += b;
  return sum;
}

size_t Ledger::accounts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return balances_.size();
}

// A stand-in for the fraud model: scores the pair of accounts and the amount, refuses only absurd amounts.
bool Ledger::passes_risk_check(int from, int to, int64_t amount) {
  uint64_t score = 1469598103934665603ull;
  for (int round = 0; round < 400; ++round) {
    score ^= static_cast<uint64_t>(from * 31 + to) + static_cast<uint64_t>(amount) + round;
    score *= 1099511628211ull;
  }
  return amount < 1000000000 || (score & 1) == 0;
}

}  // namespace ledger
