// Fingerprints: the same finding from many agents and generations must hash the same, so everything that varies
// from run to run (numbers, temp paths, workspace roots, agent ids, hex ids, uuids, timestamps, durations) is
// replaced by a placeholder before hashing. A single hand-written pass (no std::regex: extraction must stay fast).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "observer/observation.h"

namespace observer {

// Lower-cases, collapses whitespace and replaces the varying parts:
//   /tmp/x/y.py, /var/folders/..  -> <tmp>      .../workspaces/g01-a02/src/q.c -> <ws>/src/q.c
//   g01-a02 -> <agent>   0x7f3a, 3f9c2e1d0b -> <hex>   123e4567-e89b-12d3-a456-426614174000 -> <uuid>
//   2024-05-01T10:00:00Z, 10:00:03.5 -> <time>   250ms, 1.5 s, 3 minutes -> <dur>   42, 3.14, 12,345 -> <n>
// Numbers glued to a preceding letter or underscore (python3, test_x0, v1.2) are part of a name and are kept.
std::string normalise_for_fingerprint(std::string_view text);

// 16 hex chars: FNV-1a 64 of the kind's name and the normalised text (stable across builds and platforms).
std::string fingerprint(Kind kind, std::string_view text);

}  // namespace observer
