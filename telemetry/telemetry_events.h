// Recording what the run's telemetry servers refused: every rejected request becomes a `telemetry.rejected` event
// (on the agent span when the token was valid, on the run span otherwise), so a bad exporter or a misconfigured
// agent shows in the trace instead of vanishing. Thread-safe (the store is).
#pragma once

#include <cstdint>
#include <string>

#include "trace/store.h"

namespace telemetry {

struct Rejection {
  std::string server;  // "otlp" or "proxy"
  int status = 0;      // the HTTP status sent back
  std::string reason;  // the text sent back
  std::string path;    // request path, with any token in it cut out
  uint64_t body_bytes = 0;
};

// The JSON body every refusal answers with: {"error": {"type": "harness_<server>", "message": reason}}.
std::string rejection_body(const Rejection& r);
void record_rejection(trace::Store& store, const std::string& span_id, const Rejection& r);

int64_t wall_now_ns();

}  // namespace telemetry
