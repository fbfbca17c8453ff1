#include "processor.h"

#include <chrono>

#include "config.h"

namespace ledger {

void Processor::run(const std::vector<Attempt>& transfers) {
  unsettled_.store(static_cast<int>(transfers.size()));
  if (transfers.empty()) return;
  for (Attempt attempt : transfers) {
    attempt.request_id = next_request_id_.fetch_add(1);
    queue_.push(attempt);
  }
  start();
  for (auto& worker : workers_) worker.join();
}

std::vector<uint64_t> Processor::applied_log() const {
  std::lock_guard<std::mutex> lock(seen_mu_);
  return applied_log_;
}

void Processor::start() {
  for (int i = 0; i < worker_count_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void Processor::worker_loop() {
  while (auto attempt = queue_.pop()) {
    handle(*attempt);
  }
}

void Processor::handle(Attempt attempt) {
  if (network_.request_lost(attempt)) return retry(attempt);  // the request never reached us
  if (!already_applied(attempt)) {
    ledger_.apply(attempt.from, attempt.to, attempt.amount);
    record(attempt);
    stats_.applied.fetch_add(1, std::memory_order_relaxed);
  }
  if (network_.ack_lost(attempt)) return retry(attempt);  // applied, but the client never heard back
  settle();
}

void Processor::retry(Attempt attempt) {
  if (attempt.number >= kMaxRetries) {
    stats_.gave_up.fetch_add(1, std::memory_order_relaxed);
    return settle();
  }
  std::this_thread::sleep_for(std::chrono::microseconds(kRetryBackoffUs));
  stats_.retries.fetch_add(1, std::memory_order_relaxed);
  attempt.number += 1;
  attempt.request_id = next_request_id_.fetch_add(1);
  queue_.push(attempt);
}

void Processor::settle() {
  if (unsettled_.fetch_sub(1) == 1) queue_.close();
}

bool Processor::already_applied(const Attempt& attempt) const {
  std::lock_guard<std::mutex> lock(seen_mu_);
  return seen_.count(attempt.request_id) > 0;
}

void Processor::record(const Attempt& attempt) {
  std::lock_guard<std::mutex> lock(seen_mu_);
  seen_.insert(attempt.request_id);
  applied_log_.push_back(attempt.transfer_id);
}

}  // namespace ledger
