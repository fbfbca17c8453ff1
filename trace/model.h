// The span/event model every layer speaks (see ../ARCHITECTURE.md, "Data model").
// Plain values, no behaviour beyond name conversions; safe to copy between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace trace {

using Json = nlohmann::json;

// One tree per run: run > generation > agent > session > llm/tool > subagent > session > ...
enum class SpanKind { run, generation, agent, session, llm, tool, subagent, verify, observer };
enum class SpanStatus { unset, ok, error };

std::string_view to_string(SpanKind kind);
std::string_view to_string(SpanStatus status);
std::optional<SpanKind> span_kind_from(std::string_view name);
std::optional<SpanStatus> span_status_from(std::string_view name);

// Token and cost figures, kept in columns (not only in attributes) so stats over a 1M-event store stay fast.
struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cache_read_tokens = 0;
  int64_t cache_creation_tokens = 0;
  double cost_usd = 0;
  bool empty() const {
    return !input_tokens && !output_tokens && !cache_read_tokens && !cache_creation_tokens && cost_usd == 0;
  }
};

// The most one record may cost. A dollar figure an agent printed is believed only within [0, this]: -1 and 1e308
// were added into the run's totals as printed ("cost $inf").
constexpr double kMaxCostPerRecordUsd = 1e6;
// `usd` when it is a plausible dollar figure, else 0.
inline double plausible_cost(double usd) { return usd >= 0 && usd <= kMaxCostPerRecordUsd ? usd : 0; }

struct Span {
  std::string trace_id;        // 32 hex chars
  std::string span_id;         // 16 hex chars
  std::string parent_span_id;  // empty for a root
  std::string session_id;      // span_id of the nearest enclosing session span (itself for a session)
  SpanKind kind = SpanKind::session;
  std::string name;
  int64_t start_ns = 0;  // unix epoch nanoseconds
  int64_t end_ns = 0;    // 0 while open
  SpanStatus status = SpanStatus::unset;
  Json attributes = Json::object();  // OpenTelemetry GenAI names: gen_ai.tool.name, gen_ai.usage.input_tokens...
  Usage usage;
};

struct Event {
  int64_t id = 0;  // assigned by the store; what `trace why DIR EVENT_ID` and evidence links name
  std::string span_id;
  int64_t seq = 0;  // line number in the raw input it was decoded from (0 when it was not decoded)
  int64_t time_ns = 0;
  std::string type;  // dotted: tool.call.started, agent.spawned, decode.error, file.write, ...
  Json payload = Json::object();
};

// Where spans and events go: the store, a live progress view, a test's vector.
// put_span() is an upsert keyed by span_id, so a decoder may send a span when it opens and again when it closes.
class SpanSink {
 public:
  virtual ~SpanSink() = default;
  virtual void put_span(const Span& span) = 0;
  // Returns the event id the store assigned (0 where the sink assigns none).
  virtual int64_t put_event(const Event& event) = 0;
};

}  // namespace trace
