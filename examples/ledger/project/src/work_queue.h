// A blocking multi-producer multi-consumer queue. pop() waits until an item arrives or the queue is closed.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace ledger {

template <typename T>
class WorkQueue {
 public:
  void push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    items_.push_back(std::move(item));
    lock.unlock();
    cv_.notify_one();
  }

  // nullopt once the queue is closed and drained.
  std::optional<T> pop() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  void close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace ledger
