// End-to-end check of the transfer service: many rounds of concurrent transfers over the lossy network.
// Money must be conserved, and every transfer must reach the ledger exactly once however often it is retried.
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ledger.h"
#include "processor.h"

namespace {

constexpr int kRounds = 12;
constexpr int kAccounts = 8;
constexpr int kTransfersPerRound = 4000;
constexpr int64_t kOpeningBalance = 1000000;
constexpr int kWorkers = 4;
constexpr uint64_t kLossPercent = 5;  // of requests, and of acknowledgements

// Loses messages by a hash of the transfer and the attempt: the same losses in every run, whatever the timing.
class LossyNetwork : public ledger::Network {
 public:
  explicit LossyNetwork(uint64_t seed) : seed_(seed) {}
  bool request_lost(const ledger::Attempt& a) const override { return lost(a, 0x5eed); }
  bool ack_lost(const ledger::Attempt& a) const override { return lost(a, 0xac4); }

 private:
  bool lost(const ledger::Attempt& a, uint64_t salt) const {
    uint64_t h = seed_ ^ (a.transfer_id * 0x9e3779b97f4a7c15ull) ^ (salt << 32) ^ static_cast<uint64_t>(a.number);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return h % 100 < kLossPercent;
  }
  uint64_t seed_;
};

struct Check {
  std::string name;
  int failed_rounds = 0;
  std::string first_failure;
  int last_round = 0;
  void fail(int round, const std::string& what) {
    if (last_round == round) return;  // one failure a round is enough
    last_round = round;
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

// Worker threads moving money straight through the ledger, as the processor's workers do.
void transfer_concurrently(ledger::Ledger& book, const std::vector<ledger::Attempt>& transfers) {
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&book, &transfers, w] {
      for (size_t i = static_cast<size_t>(w); i < transfers.size(); i += kWorkers)
        book.apply(transfers[i].from, transfers[i].to, transfers[i].amount);
    });
  }
  for (auto& t : threads) t.join();
}

int main() {
  Check conservation{"conservation", 0, "", 0}, exactly_once{"exactly-once", 0, "", 0};
  std::printf("ledger_test: %d rounds x %d transfers, %d accounts, %d workers\n", kRounds, kTransfersPerRound,
              kAccounts, kWorkers);
  const int64_t expected_total = kOpeningBalance * kAccounts;
  for (int round = 1; round <= kRounds; ++round) {
    std::mt19937_64 rng(static_cast<uint64_t>(round));
    auto transfers = make_transfers(rng);

    // Money is only ever moved, so the total must not change: straight through the ledger, then end to end.
    ledger::Ledger direct;
    for (int a = 0; a < kAccounts; ++a) direct.open_account(kOpeningBalance);
    transfer_concurrently(direct, transfers);
    if (direct.total() != expected_total)
      conservation.fail(round, "direct transfers: total " + std::to_string(direct.total()) + " != " +
                                   std::to_string(expected_total));

    ledger::Ledger book;
    for (int a = 0; a < kAccounts; ++a) book.open_account(kOpeningBalance);
    LossyNetwork network(static_cast<uint64_t>(round) * 7919);
    ledger::Processor processor(book, network, kWorkers);
    processor.run(transfers);
    if (book.total() != expected_total)
      conservation.fail(round, "processed transfers: total " + std::to_string(book.total()) + " != " +
                                   std::to_string(expected_total));

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
