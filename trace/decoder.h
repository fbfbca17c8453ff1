// Streaming decoders: one line of an agent's output in, spans and events out (to a SpanSink), in bounded memory.
// A malformed or unknown line is counted and recorded as a `decode.error` event on the session span: never a crash,
// never a silent drop. Lines arrive already redacted. Not thread-safe; one decoder per stream.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "trace/model.h"

namespace trace {

enum class Format { jsonl, claude_stream, claude_transcript, codex, otlp };
std::string_view to_string(Format format);
std::optional<Format> format_from(std::string_view name);  // "jsonl", "claude-stream", ...
// Guesses a format from the first non-empty line of a file (and its name); nullopt when nothing fits. When that
// line opens a pretty-printed document ("{"), pass the following lines too (a few KiB) so its first key shows.
std::optional<Format> sniff_format(std::string_view first_line, std::string_view file_name);

struct DecodeContext {
  SpanSink* sink = nullptr;
  std::string trace_id;           // every span decoded joins this trace
  std::string parent_span_id;     // the top-level session hangs here (an agent span, or empty for a root)
  std::string scope;              // unique per input (raw input id + path): derived span ids are hashed with it
  std::string label;              // agent id or file name, stored as attribute `harness.agent` on the session
  int64_t clock_fallback_ns = 0;  // time for lines that carry none (formats without timestamps)
  bool live_clock = false;        // live capture: a line without a time gets the time it arrived instead
};

struct DecodeStats {
  int64_t lines = 0;     // non-empty lines seen
  int64_t decoded = 0;   // lines that produced something
  int64_t ignored = 0;   // known line types we deliberately skip (e.g. rate_limit_event)
  int64_t errors = 0;    // malformed, wrong types, oversize, unknown type: each also a decode.error event
  int64_t spans = 0;
  int64_t events = 0;
  int64_t sessions = 0;
};

class Decoder {
 public:
  explicit Decoder(DecodeContext ctx) : ctx_(std::move(ctx)) {}
  virtual ~Decoder() = default;
  // One line, without '\n'. line_no is 1-based.
  virtual void feed(std::string_view line, int64_t line_no) = 0;
  // feed() behind a safety net: a decoder that trips over a field of an unexpected type (nlohmann throws on
  // `j.value("model", "")` when model is a number) gets the line recorded as a decode error instead of ending the
  // whole import. What StreamCapture calls.
  void feed_checked(std::string_view line, int64_t line_no);
  // A line longer than the splitter's limit: only its prefix is given. Recorded as a decode error.
  virtual void feed_oversize(std::string_view prefix, size_t total_bytes, int64_t line_no);
  // End of input: open spans are closed (status unset, attribute harness.unfinished=true) and sent.
  virtual void finish() = 0;
  const DecodeStats& stats() const { return stats_; }
  const DecodeContext& context() const { return ctx_; }

 protected:
  // Records a decode.error event (on the current session span, or a span made for it) and counts it.
  void decode_error(int64_t line_no, std::string_view reason, std::string_view line);
  // The span decode errors hang on; decoders set it as soon as they know their session span.
  std::string error_span_id_;
  void emit_span(const Span& s);
  // The time for a line that carries none (see DecodeContext::live_clock).
  int64_t now_ns() const;
  int64_t emit_event(Event e);

  DecodeContext ctx_;
  DecodeStats stats_;
};

std::unique_ptr<Decoder> make_decoder(Format format, DecodeContext ctx);

}  // namespace trace
