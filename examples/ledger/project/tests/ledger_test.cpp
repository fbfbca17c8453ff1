// End-to-end check of the transfer service: many rounds of concurrent transfers over the lossy network.
// Money must be conserved, and every transfer must reach the ledger exactly once however often it is retried.
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ledger.h"
#include "processor.h"

namespace {

constexpr int kRounds = 12;
constexpr int kAccounts = 8;
constexpr int kTransfersPerRound = 4000;
constexpr int64_t kOpeningBalance = 1000000;

struct Check {
  std::string name;
  int failed_rounds = 0;
  std::string first_failure;
  void fail(int round, const std::string& what) {
    if (failed_rounds++ == 0) first_failure = "round " + std::to_string(round) + ": " + what;
  }
};

std::vector<ledger::Attempt> make_transfers(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> account(0, kAccounts - 1);
  std::uniform_int_distribution<int64_t> amount(1, 100);
  std::vector<ledger::Attempt> transfers;
  for (int i = 0; i < kTransfersPerRound; ++i) {
    ledger::Attempt t;
    t.transfer_id = static_cast<uint64_t>(i) + 1;
    t.client_id = static_cast<uint32_t>(i % 16);
    t.from = account(rng);
    do t.to = account(rng); while (t.to == t.from);
    t.amount = amount(rng);
    transfers.push_back(t);
  }
  return transfers;
}

}  // namespace

int main() {
  Check conservation{"conservation", 0, ""}, exactly_once{"exactly-once", 0, ""};
  std::printf("ledger_test: %d rounds x %d transfers, %d accounts\n", kRounds, kTransfersPerRound, kAccounts);
  for (int round = 1; round <= kRounds; ++round) {
    std::mt19937_64 rng(static_cast<uint64_t>(round));
    ledger::Ledger book;
    for (int a = 0; a < kAccounts; ++a) book.open_account(kOpeningBalance);
    auto transfers = make_transfers(rng);
    ledger::Processor processor(book, static_cast<uint64_t>(round) * 7919);
    processor.run(transfers);

    const int64_t expected_total = kOpeningBalance * kAccounts;
    if (book.total() != expected_total)
      conservation.fail(round, "total " + std::to_string(book.total()) + " != " + std::to_string(expected_total));

    std::map<uint64_t, int> times_applied;
    for (uint64_t id : processor.applied_log()) ++times_applied[id];
    for (const auto& t : transfers) {
      int n = times_applied[t.transfer_id];
      if (n != 1) {
        exactly_once.fail(round, "transfer " + std::to_string(t.transfer_id) + " applied " + std::to_string(n) +
                                     " times");
        break;
      }
    }
  }
  int failed = 0;
  for (const Check* c : {&conservation, &exactly_once}) {
    if (c->failed_rounds == 0) {
      std::printf("PASS %s (%d/%d rounds)\n", c->name.c_str(), kRounds, kRounds);
    } else {
      ++failed;
      std::printf("FAIL %s: %d/%d rounds failed; first: %s\n", c->name.c_str(), c->failed_rounds, kRounds,
                  c->first_failure.c_str());
    }
  }
  std::printf("%d checks, %d failed\n", 2, failed);
  return failed == 0 ? 0 : 1;
}
