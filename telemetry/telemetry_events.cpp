#include "telemetry/telemetry_events.h"

#include <chrono>

#include "trace/json_text.h"
#include "trace/redact.h"

namespace telemetry {

std::string rejection_body(const Rejection& r) {
  nlohmann::json body = {{"type", "error"},
                         {"error", {{"type", "harness_" + r.server}, {"message", r.reason}}}};
  return trace::json_text(body);  // a reason may quote the bad bytes of a request: never a throwing dump
}

void record_rejection(trace::Store& store, const std::string& span_id, const Rejection& r) {
  trace::Event e;
  e.span_id = span_id;
  e.time_ns = wall_now_ns();
  e.type = "telemetry.rejected";
  e.payload = {{"server", r.server}, {"status", r.status}, {"reason", trace::redacted(r.reason)},
               {"path", trace::redacted(r.path)}, {"body_bytes", r.body_bytes}};
  store.put_event(e);
}

int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace telemetry
