// OTLP/HTTP JSON <-> the span model: AnyValue conversion, id normalisation, and the document decoder shared
// by `harness import --format otlp` (the line decoder in decode_otlp.cpp) and the run's OTLP/HTTP receiver.
// Not thread-safe: one OtlpDocumentDecoder per stream or receiver (guard it with a mutex across server
// threads).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "trace/decoder.h"

namespace trace {

// AnyValue ({"stringValue": ...}, {"intValue": "10"}, kvlist, array, bytes) -> plain JSON: kvlist -> object,
// int64 strings -> numbers, bytes stay base64 strings, an empty AnyValue -> null.
Json from_any_value(const Json& any);
// The string at `key` of `object`, or `fallback` when it is absent or not a string. Never throws.
std::string string_at(const Json& object, const char* key, const std::string& fallback = "");
// An integer from a JSON number (a float is truncated) or a decimal string; nullopt when it is neither or does not
// fit in int64. Never throws.
std::optional<int64_t> json_int64(const Json& value);
// Plain JSON -> AnyValue; integers become decimal strings as the OTLP JSON mapping writes int64.
Json to_any_value(const Json& value);
// [{"key": k, "value": AnyValue}, ...] -> {"k": plain, ...}; entries without a string key are skipped.
// Attributes named like a secret (api_key, *_token: redact.h's is_secret_name) get "[REDACTED:secret]".
Json from_key_values(const Json& list);
// The same on a whole document, in place, before it is kept as sent: every {"key": <secret name>, "value": ...}
// gets the redacted string value. Returns how many. The text redactor sees the key and its value apart.
size_t redact_secret_attributes(Json& document);
Json to_key_values(const Json& object);
// An OTLP id -> lower-case hex of 2*`bytes` chars. Accepts hex in any case (the OTLP/HTTP JSON form) and
// base64 (what protobuf's generic JSON mapping writes for bytes). "" for an empty or absent id; nullopt if
// invalid.
std::optional<std::string> normalize_otlp_id(const Json& id, size_t bytes);

struct OtlpProblem {
  std::string reason;  // what is wrong, for the user: "span 2 of resourceSpans[0]: invalid spanId 'xyz'"
  std::string sample;  // a bounded piece of the offending JSON
};

struct OtlpDocumentStats {
  int64_t spans = 0;  // span writes (a span settled later is written again)
  int64_t events = 0;
  int64_t sessions = 0;  // session spans made for logs or for non-session roots
  int64_t ignored = 0;   // metrics documents: known, deliberately not decoded
  std::vector<OtlpProblem> problems;
};

// Kind mapping (first match wins):
//  1. attribute harness.span.kind (what our exporter writes; removed on import);
//  2. gen_ai.operation.name: chat/text_completion/generate_content/embeddings -> llm, execute_tool -> tool,
//     invoke_agent/create_agent -> session for a root, subagent otherwise;
//  3. openinference.span.kind: LLM/EMBEDDING -> llm, TOOL/RETRIEVER -> tool, AGENT -> session/subagent;
//  4. otherwise session for a root (no parentSpanId) and tool for any other span.
// An llm/tool span without a session above it (a bare root, or one whose parent never arrived) is placed
// under a session span made per (trace, service.name); spans keep their own ids, and their parentSpanId
// unless they were roots. With ctx.parent_span_id set, roots hang under it and every span takes ctx.trace_id
// (the original trace id is kept on roots as harness.otlp.trace_id). Logs: a record naming a spanId becomes
// an event on that span; Claude Code's claude_code.* records become llm spans (api_request), tool spans
// (tool_result) and events (api_error -> error, tool_decision -> tool.decision, user_prompt -> message) under
// a session span per (service.name, session.id); other records are events there.
class OtlpDocumentDecoder {
 public:
  explicit OtlpDocumentDecoder(DecodeContext ctx);
  // One ExportTraceServiceRequest / ExportLogsServiceRequest (or both in one object). `seq` is stored on
  // events (the document's first line in a file). Spans whose parent has not arrived yet are written with an
  // empty session_id and written again once it is known (by a later document or at finish()).
  OtlpDocumentStats decode(const Json& doc, int64_t seq);
  // End of the stream: spans whose parent never arrived are settled as roots.
  OtlpDocumentStats finish();

 private:
  struct Pending {
    Span span;
    bool explicit_kind = false;
    bool settled = false;  // its session_id is final
    std::string service;
    std::string original_trace_id;
  };
  void decode_resource_spans(const Json& list);
  void decode_resource_logs(const Json& list);
  std::optional<Pending> parse_span(const Json& j, const Json& resource, const std::string& where);
  // An exporter's span id as stored: under an agent (the receiver's context) derived from that agent's span, so
  // two agents exporting the same id never collide; the agent's own span id (TRACEPARENT) and empty stay as
  // they are. Imported files keep the exporter's ids.
  std::string scoped_id(const std::string& exporter_id) const;
  void settle_document(std::vector<Pending>& spans);
  bool try_settle(Pending& p);
  void settle_as_root(Pending& p);
  void mark_settled(Pending& p);
  void write(const Span& s);
  struct SessionSeed {  // what a session made here starts with
    std::string trace_id;
    std::string name;
    Json attributes;
  };
  // The session span standing for `key`, made on first use and widened to cover [start, end].
  Span& session_for(const std::string& key, const SessionSeed& seed, int64_t start, int64_t end);
  void settle_waiting();
  void flush_sessions();
  void decode_log(const Json& record, const Json& resource, const std::string& where, size_t index);
  bool decode_claude_code(const std::string& name, const Json& attrs, int64_t t,
                          const std::string& session_key, const std::string& record_key);
  void put_event(const std::string& span_id, int64_t t, std::string type, Json payload);
  void problem(std::string reason, const Json& sample);
  int64_t time_or_fallback(const Json& value) const;

  DecodeContext ctx_;
  OtlpDocumentStats cur_;
  int64_t seq_ = 0;
  std::unordered_map<std::string, std::string>
      session_of_;                                        // span id -> session id, for settled spans (capped)
  std::unordered_map<std::string, Pending> provisional_;  // waiting for their parent (capped), by span id
  std::unordered_multimap<std::string, std::string> waiting_on_;  // parent id -> ids of spans waiting on it
  std::vector<std::string> settled_queue_;                        // settled since the last settle_waiting()
  std::unordered_map<std::string, Span> sessions_;                // made here, keyed by what they stand for
  std::set<std::string> dirty_sessions_;  // ordered: the same input writes in the same order
};

// A stateless caller's shortcut: decodes one document with a fresh decoder and settles it at once.
OtlpDocumentStats decode_otlp_document(const Json& doc, const DecodeContext& ctx, int64_t seq = 0);

// The streaming file decoder with a chosen bound on one document (make_decoder(Format::otlp) uses 64 MiB).
std::unique_ptr<Decoder> make_otlp_decoder(DecodeContext ctx, size_t max_document_bytes);
constexpr size_t kMaxOtlpDocumentBytes = 64u << 20;

}  // namespace trace
