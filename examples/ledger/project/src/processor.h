// Applies clients' transfers to a Ledger on a pool of worker threads. Between clients and workers is a lossy
// network: a request can be lost before it reaches the ledger, or its acknowledgement lost after the transfer was
// applied. Either way the client times out and sends the transfer again. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "ledger.h"
#include "work_queue.h"

namespace ledger {

struct Attempt {
  uint64_t request_id = 0;   // one per message sent
  uint64_t transfer_id = 0;  // assigned by the client
  uint32_t client_id = 0;
  int number = 0;            // 0 for the first attempt
  int from = 0;
  int to = 0;
  int64_t amount = 0;
};

// Decides which messages get lost; the test's implementation is deterministic. Must be thread-safe.
class Network {
 public:
  virtual ~Network() = default;
  virtual bool request_lost(const Attempt& attempt) const = 0;
  virtual bool ack_lost(const Attempt& attempt) const = 0;
};

struct Stats {
  std::atomic<long> applied{0};
  std::atomic<long> retries{0};
  std::atomic<long> gave_up{0};
};

class Processor {
 public:
  Processor(Ledger& ledger, const Network& network, int workers)
      : ledger_(ledger), network_(network), worker_count_(workers) {}
  // Processes every transfer until each is acknowledged or given up, then returns.
  void run(const std::vector<Attempt>& transfers);
  // The transfer id of every transfer the ledger was asked to apply, in order.
  std::vector<uint64_t> applied_log() const;
  const Stats& stats() const { return stats_; }

 private:
  void start();
  void worker_loop();
  void handle(Attempt attempt);
  void retry(Attempt attempt);
  void settle();
  bool already_applied(const Attempt& attempt) const;
  void record(const Attempt& attempt);

  Ledger& ledger_;
  const Network& network_;
  const int worker_count_;
  WorkQueue<Attempt> queue_;
  std::vector<std::thread> workers_;
  std::atomic<int> unsettled_{0};
  std::atomic<uint64_t> next_request_id_{1};
  mutable std::mutex seen_mu_;
  std::unordered_set<uint64_t> seen_;
  std::vector<uint64_t> applied_log_;
  Stats stats_;
};

}  // namespace ledger
