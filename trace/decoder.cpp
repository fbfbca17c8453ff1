#include "trace/decoder.h"

#include <chrono>

#include <fmt/format.h>

#include "trace/decoders.h"
#include "trace/ids.h"
#include "trace/json_parse.h"

namespace trace {

std::string_view to_string(Format format) {
  switch (format) {
    case Format::jsonl: return "jsonl";
    case Format::claude_stream: return "claude-stream";
    case Format::claude_transcript: return "claude-transcript";
    case Format::codex: return "codex";
    case Format::otlp: return "otlp";
  }
  return "?";
}

std::optional<Format> format_from(std::string_view name) {
  for (Format f : {Format::jsonl, Format::claude_stream, Format::claude_transcript, Format::codex, Format::otlp})
    if (to_string(f) == name) return f;
  return std::nullopt;
}

namespace {
// The first object key of a (possibly pretty-printed, possibly cut) JSON document, "" when none shows.
std::string first_key(std::string_view head) {
  size_t open = head.find_first_not_of(" \t\r\n[");
  if (open == std::string_view::npos || head[open] != '{') return "";
  size_t quote = head.find_first_not_of(" \t\r\n", open + 1);
  if (quote == std::string_view::npos || head[quote] != '"') return "";
  size_t end = head.find('"', quote + 1);
  return end == std::string_view::npos ? "" : std::string(head.substr(quote + 1, end - quote - 1));
}
}  // namespace

std::optional<Format> sniff_format(std::string_view first_line, std::string_view file_name) {
  Json j = trace::parse_untrusted_json(first_line);
  if (j.is_discarded() || !j.is_object()) {
    // OTLP files are usually pretty-printed: the head of the file shows the document's first key.
    std::string key = first_key(first_line);
    if (key == "resourceSpans" || key == "resourceLogs" || key == "resourceMetrics") return Format::otlp;
    return std::nullopt;
  }
  if (j.contains("resourceSpans") || j.contains("resourceLogs") || j.contains("resourceMetrics")) return Format::otlp;
  std::string type = j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : "";
  if (j.contains("hv")) return Format::jsonl;  // our protocol versions every line
  if (type.rfind("thread.", 0) == 0 || type.rfind("turn.", 0) == 0 || type.rfind("item.", 0) == 0 ||
      (type == "error" && j.contains("message") && !j.contains("session_id")))
    return Format::codex;
  if (j.contains("sessionId") || j.contains("parentUuid") || type == "summary" || type == "file-history-snapshot" ||
      type == "queue-operation")
    return Format::claude_transcript;
  if (type == "system" || type == "assistant" || type == "user" || type == "result" || type == "stream_event")
    return Format::claude_stream;
  (void)file_name;
  return std::nullopt;
}

void Decoder::feed_checked(std::string_view line, int64_t line_no) {
  try {
    feed(line, line_no);
  } catch (const Json::exception& e) {
    decode_error(line_no, fmt::format("field of unexpected type: {}", e.what()), line);
  }
}

void Decoder::feed_oversize(std::string_view prefix, size_t total_bytes, int64_t line_no) {
  ++stats_.lines;
  decode_error(line_no, fmt::format("line of {} bytes exceeds the line limit; skipped", total_bytes),
               prefix.substr(0, 200));
}

int64_t Decoder::now_ns() const {
  if (!ctx_.live_clock) return ctx_.clock_fallback_ns;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Decoder::emit_span(const Span& s) {
  ctx_.sink->put_span(s);
  ++stats_.spans;
}

int64_t Decoder::emit_event(Event e) {
  ++stats_.events;
  return ctx_.sink->put_event(e);
}

void Decoder::decode_error(int64_t line_no, std::string_view reason, std::string_view line) {
  ++stats_.errors;
  std::string span_id = error_span_id_;
  if (span_id.empty()) span_id = ctx_.parent_span_id;
  if (span_id.empty()) {
    // No session known yet and no parent: hang errors on a span standing for the input itself.
    span_id = error_span_id_ = derive_span_id(ctx_.scope, "input");
    Span s;
    s.trace_id = ctx_.trace_id;
    s.span_id = span_id;
    s.session_id = span_id;
    s.kind = SpanKind::session;
    s.name = ctx_.label.empty() ? "input" : ctx_.label;
    s.start_ns = s.end_ns = ctx_.clock_fallback_ns;
    s.status = SpanStatus::error;
    s.attributes["harness.undecoded_input"] = true;
    emit_span(s);
  }
  Event e;
  e.span_id = span_id;
  e.seq = line_no;
  e.time_ns = now_ns();
  e.type = "decode.error";
  // Keep a bounded sample of the bad line: enough to see what it was, never megabytes.
  std::string sample(line.substr(0, 200));
  e.payload = {{"line", line_no}, {"reason", std::string(reason)}, {"sample", sample}};
  emit_event(std::move(e));
}

std::unique_ptr<Decoder> make_decoder(Format format, DecodeContext ctx) {
  switch (format) {
    case Format::jsonl: return make_jsonl_decoder(std::move(ctx));
    case Format::claude_stream: return make_claude_stream_decoder(std::move(ctx));
    case Format::claude_transcript: return make_claude_transcript_decoder(std::move(ctx));
    case Format::codex: return make_codex_decoder(std::move(ctx));
    case Format::otlp: return make_otlp_decoder(std::move(ctx));
  }
  return nullptr;
}

}  // namespace trace
