// Claude Code's session transcript laid over the stream-json session it belongs to (session_usage.h): every
// main-thread message's final usage (the max per field over its lines, as the decoders take it) replaces the
// provisional figures on the llm span the stream made for it (same span id: derived from the session span and
// the message id), and what the result line booked on the session as unattributed shrinks to what no message
// accounts for, usually nothing.
#include <algorithm>
#include <fstream>
#include <map>

#include <sqlite3.h>

#include "trace/claude_messages.h"
#include "trace/store_internal.h"
#include "trace/ids.h"
#include "trace/json_view.h"
#include "trace/line_splitter.h"
#include "trace/session_usage.h"

namespace trace {
namespace {

struct MessageUsage {
  Usage usage;
  std::string model;
};

// Main-thread assistant messages of the transcript, by message id.
std::map<std::string, MessageUsage> transcript_messages(const std::string& path) {
  std::map<std::string, MessageUsage> out;
  std::ifstream in(path, std::ios::binary);
  JsonDoc doc;
  LineSplitter lines([&](std::string_view line, int64_t, bool oversize, size_t) {
    if (oversize || !doc.parse(line)) return;
    JsonView j = doc.root();
    if (j["type"].str() != "assistant" || j["isSidechain"].boolean()) return;
    JsonView message = j["message"];
    std::string_view id = message["id"].str();
    JsonView u = message["usage"];
    if (id.empty() || !u.is_object() || message["model"].str() == "<synthetic>") return;
    MessageUsage& m = out[std::string(id)];
    m.usage.input_tokens = std::max(m.usage.input_tokens, claude::tokens(u["input_tokens"]));
    m.usage.output_tokens = std::max(m.usage.output_tokens, claude::tokens(u["output_tokens"]));
    m.usage.cache_read_tokens = std::max(m.usage.cache_read_tokens, claude::tokens(u["cache_read_input_tokens"]));
    m.usage.cache_creation_tokens =
        std::max(m.usage.cache_creation_tokens, claude::tokens(u["cache_creation_input_tokens"]));
    if (m.model.empty()) m.model = std::string(message["model"].str());
  });
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), buf.size()), in.gcount() > 0) lines.feed(std::string_view(buf.data(), in.gcount()));
  lines.finish();
  return out;
}

int64_t field(const Json& usage, const char* key) {
  auto it = usage.find(key);
  return it != usage.end() && it->is_number_integer() ? std::max<int64_t>(0, it->get<int64_t>()) : 0;
}

// The session's own usage columns: what its result line states beyond the sum of its llm spans.
void settle_session(Store& store, const std::string& session_span_id) {
  auto session = store.span(session_span_id);
  if (!session) return;
  auto result = session->attributes.find("harness.result.usage");
  if (result == session->attributes.end() || !result->is_object()) return;
  Statement sum(internal::db(store),
                "SELECT coalesce(sum(input_tokens),0), coalesce(sum(output_tokens),0), "
                "coalesce(sum(cache_read_tokens),0), coalesce(sum(cache_creation_tokens),0) FROM spans "
                "WHERE session_id = ? AND kind = 'llm'");
  sum.bind(1, session_span_id);
  sum.step();
  Usage u;
  u.input_tokens = std::max<int64_t>(0, field(*result, "input_tokens") - sum.int64(0));
  u.output_tokens = std::max<int64_t>(0, field(*result, "output_tokens") - sum.int64(1));
  u.cache_read_tokens = std::max<int64_t>(0, field(*result, "cache_read_input_tokens") - sum.int64(2));
  u.cache_creation_tokens = std::max<int64_t>(0, field(*result, "cache_creation_input_tokens") - sum.int64(3));
  Json& a = session->attributes;
  if (u.input_tokens || u.output_tokens || u.cache_read_tokens || u.cache_creation_tokens)
    a["claude.usage_unattributed"] = {{"input_tokens", u.input_tokens},
                                      {"output_tokens", u.output_tokens},
                                      {"cache_read_tokens", u.cache_read_tokens},
                                      {"cache_creation_tokens", u.cache_creation_tokens}};
  else
    a.erase("claude.usage_unattributed");
  Statement up(internal::db(store),
               "UPDATE spans SET input_tokens=?, output_tokens=?, cache_read_tokens=?, cache_creation_tokens=?, "
               "attributes=? WHERE span_id=?");
  up.bind(1, u.input_tokens).bind(2, u.output_tokens).bind(3, u.cache_read_tokens).bind(4, u.cache_creation_tokens);
  up.bind(5, a.dump(-1, ' ', false, Json::error_handler_t::replace)).bind(6, session_span_id);
  up.step();
}

}  // namespace

SessionUsageResult apply_claude_transcript_usage(Store& store, const RawInput& raw, const std::string& path) {
  SessionUsageResult r;
  auto messages = transcript_messages(path);
  const std::string& session = raw.parent_span_id;
  store.transaction([&] {
    Statement up(internal::db(store),
                 "UPDATE spans SET input_tokens=?2, output_tokens=?3, cache_read_tokens=?4, "
                 "cache_creation_tokens=?5, attributes=json_set(attributes, '$.\"gen_ai.usage.input_tokens\"', ?2, "
                 "'$.\"gen_ai.usage.output_tokens\"', ?3, '$.\"gen_ai.usage.cache_read.input_tokens\"', ?4, "
                 "'$.\"gen_ai.usage.cache_creation.input_tokens\"', ?5, '$.\"harness.usage_source\"', "
                 "'claude-transcript') WHERE span_id=?1 AND kind='llm' AND session_id=?6");
    for (const auto& [id, m] : messages) {
      up.reset();
      up.bind(1, derive_span_id(session, "llm:" + id)).bind(2, m.usage.input_tokens).bind(3, m.usage.output_tokens);
      up.bind(4, m.usage.cache_read_tokens).bind(5, m.usage.cache_creation_tokens).bind(6, session);
      up.step();
      r.calls_matched += sqlite3_changes(internal::db(store));
    }
    settle_session(store, session);
  });
  return r;
}

}  // namespace trace
