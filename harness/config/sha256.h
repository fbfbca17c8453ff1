// SHA-256 of a byte string, as lower-case hex: a stable fingerprint of a config snapshot (resume compares it).
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace harness {

std::string sha256_hex(std::string_view data);

}  // namespace harness
