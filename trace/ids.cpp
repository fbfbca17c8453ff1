#include "trace/ids.h"

#include <cstdint>
#include <random>

#include <fmt/format.h>

namespace trace {
namespace {
// FNV-1a then a splitmix finaliser: cheap, stable across platforms and releases (std::hash is neither).
uint64_t mix(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}
uint64_t hash64(std::string_view a, std::string_view b, uint64_t seed) {
  uint64_t h = 1469598103934665603ULL ^ seed;
  for (unsigned char c : a) h = (h ^ c) * 1099511628211ULL;
  h = (h ^ 0xff) * 1099511628211ULL;  // separator so ("ab","c") != ("a","bc")
  for (unsigned char c : b) h = (h ^ c) * 1099511628211ULL;
  return mix(h);
}
uint64_t random64() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}
}  // namespace

std::string derive_span_id(std::string_view scope, std::string_view key) {
  uint64_t h = hash64(scope, key, 0);
  if (h == 0) h = 1;  // an all-zero span id is invalid in OTLP
  return fmt::format("{:016x}", h);
}

std::string derive_trace_id(std::string_view key) {
  return fmt::format("{:016x}{:016x}", hash64("trace", key, 1), hash64("trace", key, 2));
}

std::string random_trace_id() { return fmt::format("{:016x}{:016x}", random64(), random64()); }
std::string random_span_id() { return fmt::format("{:016x}", random64() | 1); }

bool is_hex_id(std::string_view s, size_t length) {
  if (s.size() != length) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace trace
