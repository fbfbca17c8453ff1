// Timing helpers of the C++ benchmarks: elapsed milliseconds, and the best of several rounds (the least disturbed
// measurement on a shared machine).
#pragma once

#include <algorithm>
#include <chrono>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

template <typename Fn>
double best_ms(int rounds, Fn&& fn) {
  double best = 1e300;
  for (int i = 0; i < rounds; ++i) {
    auto t = Clock::now();
    fn();
    best = std::min(best, ms_since(t));
  }
  return best;
}

}  // namespace bench
