// The core shared by the two Claude Code decoders (stream-json and session transcripts): sessions and
// subagent sessions, message content blocks (text, thinking, tool_use, tool_result), tool calls matched by
// tool_use_id (never by name or order), and one llm span per message.id whose usage is taken once (the max
// over the lines repeating it). Internal to trace/. Not thread-safe: one decoder per stream.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "trace/decoder.h"
#include "trace/json_view.h"

namespace trace::claude {

constexpr size_t kMaxText = 8192;  // bounded copies of messages and tool output kept in attributes/events
// Tool input/output in tool.call.* event payloads: a preview; the span attributes keep the kMaxText copy.
constexpr size_t kPreview = 1024;

// Text clipped to kMaxText bytes on a UTF-8 boundary; JSON that is not a string is kept as its JSON text.
std::string clip_text(std::string_view text, size_t max = kMaxText);
std::string clip_json(JsonView value, size_t max = kMaxText);
// The fields of a line worth keeping in an event payload: envelope fields dropped, big values clipped.
Json compact_payload(JsonView line);
// A token count: absent, negative or absurd values (a hostile line must not overflow a sum) read as 0.
int64_t tokens(JsonView count);

class MessageDecoder : public Decoder {
 public:
  using Decoder::Decoder;
  // Parses the line once, checks it is an object with a string `type`, then calls decode(); whatever is wrong
  // (bad JSON, wrong shape, what decode() reports) becomes a decode error.
  void feed(std::string_view line, int64_t line_no) final;
  void finish() override;

 protected:
  // nullopt when the line was decoded (or deliberately ignored), else what is wrong with it.
  virtual std::optional<std::string> decode(JsonView j, std::string_view type) = 0;
  struct Session {
    Span span;
    std::string message_id;  // the assistant message whose lines are arriving; its llm span is pending
    Span llm;
    Usage llm_total;           // summed over the llm spans sent so far (a result line is checked against it)
    int64_t last_ns = 0;       // latest line of this session: the next llm call starts after it
    bool start_known = false;  // false while start_ns is a fallback time, not one read from a line
    bool open = true;
  };

  // The session under `key`, or nullptr.
  Session* find_session(const std::string& key);
  // Opens a session (kind session or subagent) under `key` and sends it; `time_known` says whether `t` came
  // from the input. A subagent under a tool span is closed when that tool call completes.
  Session& open_session(const std::string& key, std::string span_id, std::string parent_span_id,
                        SpanKind kind, std::string name, Json attributes, int64_t t);
  // Ends a session: its pending llm span is sent, then the session span (status as given).
  void close_session(Session& s, int64_t t, SpanStatus status, bool unfinished);
  // The time of a line (its `key` field), else the latest time seen (or the clock, live): sets time_known_.
  int64_t line_time(JsonView line, const char* key = "timestamp");
  // Records that a line of session `s` arrived at `t`; a start that was a fallback moves to the first real
  // time.
  void touch(Session& s, int64_t t);

  // The `message` object of an assistant line; false (nothing done) when it is not decodable.
  bool assistant_message(Session& s, JsonView message, int64_t t);
  // The `message` object of a user line; `tool_use_result` is the line's structured result (may be absent).
  bool user_message(Session& s, JsonView message, JsonView tool_use_result, int64_t t, bool meta);

  void event(const std::string& span_id, int64_t t, std::string type, Json payload);
  // The span id of a tool call: open ones are looked up, others derived from the session that made it.
  std::string tool_span_id(const Session& s, std::string_view tool_use_id) const;
  // Open tool calls by tool_use_id (erased when their result arrives: memory stays bounded).
  std::unordered_map<std::string, Span> open_tools_;
  // Agent/Task tool calls: tool_use_id -> subagent type, for naming the subagent session they spawn.
  std::unordered_map<std::string, std::string> agent_tools_;
  std::unordered_map<std::string, Session> sessions_;
  // Whether a session left open at finish() is marked unfinished (stream-json ends with a result line; a
  // transcript has no end marker, so its sessions simply end at their last line).
  bool mark_unfinished_ = true;
  int64_t line_ = 0;
  int64_t last_time_ = 0;    // latest time read from a line
  bool time_known_ = false;  // whether the current line's time was read from it (or is the live clock)
  JsonDoc doc_;              // the current line, parsed once
  bool llm_seen_ =
      false;  // whether any assistant message made an llm span: a result's totals stand in otherwise
  // Sends the session's pending llm span (adding its usage to llm_total).
  void flush_llm(Session& s);

 private:
  void open_tool(Session& s, JsonView block, int64_t t);
  void close_tool(Session& s, JsonView block, JsonView tool_use_result, int64_t t);
  void file_touch(Session& s, const Span& tool, JsonView input, int64_t t);
  // Subagent sessions by the span id of the tool call that spawned them.
  std::unordered_map<std::string, std::string> subagent_of_tool_;
};

}  // namespace trace::claude
