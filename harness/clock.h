// Time for the harness: wall time for records, a steady clock for timeouts. An interface so tests can make time
// jump (a fake clock) without sleeping. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace harness {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t wall_ns() const = 0;    // unix epoch nanoseconds, for spans and records
  virtual int64_t steady_ms() const = 0;  // monotonic milliseconds, for timeouts
};

class SystemClock : public Clock {
 public:
  int64_t wall_ns() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t steady_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace harness
