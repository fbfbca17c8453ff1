// Account balances of the transfer service. Accounts are opened during setup; after that every member may be
// called from any worker thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace ledger {

class Ledger {
 public:
  int open_account(int64_t initial_balance);
  // Moves `amount` from one account to another; false (and nothing moved) when the transfer is refused.
  bool apply(int from, int to, int64_t amount);
  void deposit(int account, int64_t amount);
  int64_t balance(int account) const;
  int64_t total() const;
  size_t accounts() const;

 private:
  static bool passes_risk_check(int from, int to, int64_t amount);

  mutable std::mutex mu_;
  std::vector<int64_t> balances_;
};

}  // namespace ledger
