// Codex's rollout file laid over the `codex exec --json` session it belongs to (session_usage.h). The stream
// states usage once per turn (turn.completed, the sum over the turn's model responses); the rollout writes one
// `token_usage_record` per response (Codex 0.169: response_id, turn_id and that response's usage; older rollouts
// only an event_msg `token_count` whose last_token_usage is the latest response's). Each turn the rollout
// accounts for loses its one llm span to one llm span per response, with that response's exact usage, so llm
// spans = model requests. Turns are matched by order (the stream numbers them, `codex.turn`; the rollout names
// them by turn_id in the order they start).
#include <fstream>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "trace/ids.h"
#include "trace/store_internal.h"
#include "trace/line_splitter.h"
#include "trace/session_usage.h"
#include "trace/time_parse.h"
#include "trace/json_parse.h"

namespace trace {
namespace {

struct Response {
  std::string id;  // the Responses API id (resp_...); empty in a rollout without token_usage_record lines
  int64_t end_ns = 0;
  Json usage;
};

struct Turn {
  std::string id;
  std::string model;
  int64_t start_ns = 0;
  std::vector<Response> responses;
};

int64_t count(const Json& usage, const char* key) {
  auto it = usage.find(key);
  if (it == usage.end() || !it->is_number_integer()) return 0;
  int64_t n = it->get<int64_t>();
  return n < 0 || n > (int64_t{1} << 50) ? 0 : n;
}

// OpenAI counts cached tokens inside input_tokens; the store's columns are disjoint (docs/agents.md): input
// is what was neither read from nor written to the cache.
Usage usage_of(const Json& u) {
  Usage out;
  out.cache_read_tokens = count(u, "cached_input_tokens");
  out.cache_creation_tokens = count(u, "cache_write_input_tokens");
  out.input_tokens = std::max<int64_t>(0, count(u, "input_tokens") - out.cache_read_tokens - out.cache_creation_tokens);
  out.output_tokens = count(u, "output_tokens");
  return out;
}

std::vector<Turn> rollout_turns(const std::string& path) {
  std::vector<Turn> turns;
  std::map<std::string, size_t> index;
  bool has_records = false;
  std::vector<std::pair<std::string, Response>> counts;  // token_count fallback: (turn id, response)
  std::string current_turn;
  Json last_total;
  auto turn = [&](const std::string& id, int64_t t) -> Turn& {
    auto [it, added] = index.emplace(id, turns.size());
    if (added) turns.push_back({id, "", t, {}});
    return turns[it->second];
  };
  std::ifstream in(path, std::ios::binary);
  LineSplitter lines([&](std::string_view line, int64_t, bool oversize, size_t) {
    if (oversize) return;
    Json j = trace::parse_untrusted_json(line);
    if (!j.is_object() || !j["payload"].is_object()) return;
    const Json& p = j["payload"];
    int64_t t = j["timestamp"].is_string() ? parse_iso8601_ns(j["timestamp"].get<std::string>()).value_or(0) : 0;
    // A line of another shape is skipped like any line this applier does not know (value() would throw).
    std::string type = j["type"].is_string() ? j["type"].get<std::string>() : "";
    std::string ptype = p.contains("type") && p["type"].is_string() ? p["type"].get<std::string>() : "";
    std::string turn_id = p.contains("turn_id") && p["turn_id"].is_string() ? p["turn_id"].get<std::string>() : "";
    if (type == "event_msg" && ptype == "task_started" && !turn_id.empty()) {
      turn(turn_id, t);
      current_turn = turn_id;
    } else if (type == "turn_context" && !turn_id.empty()) {
      Turn& tn = turn(turn_id, t);
      if (p.contains("model") && p["model"].is_string()) tn.model = p["model"];
      current_turn = turn_id;
    } else if (type == "token_usage_record" && p["usage"].is_object()) {
      has_records = true;
      std::string id = p.contains("response_id") && p["response_id"].is_string() ? p["response_id"].get<std::string>() : "";
      turn(turn_id.empty() ? current_turn : turn_id, t).responses.push_back({id, t, p["usage"]});
    } else if (type == "event_msg" && ptype == "token_count" && p["info"].is_object()) {
      // Repeated with unchanged totals (rate-limit updates): only a new total is a new response.
      const Json& info = p["info"];
      if (!info["last_token_usage"].is_object() || info["total_token_usage"] == last_total) return;
      last_total = info["total_token_usage"];
      counts.push_back({current_turn, {"", t, info["last_token_usage"]}});
    }
  });
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), buf.size()), in.gcount() > 0) lines.feed(std::string_view(buf.data(), in.gcount()));
  lines.finish();
  if (!has_records)
    for (auto& [turn_id, r] : counts) turn(turn_id, r.end_ns).responses.push_back(std::move(r));
  return turns;
}

}  // namespace

SessionUsageResult apply_codex_rollout_usage(Store& store, const RawInput& raw, const std::string& path) {
  SessionUsageResult r;
  std::vector<Turn> turns = rollout_turns(path);
  const std::string& session = raw.parent_span_id;
  store.transaction([&] {
    for (size_t k = 0; k < turns.size(); ++k) {
      const Turn& turn = turns[k];
      if (turn.responses.empty()) continue;
      Statement find(internal::db(store),
                     "SELECT span_id, start_ns, trace_id, status, "
                     "coalesce(json_extract(attributes, '$.\"error.message\"'), '') FROM spans WHERE session_id = ? AND kind = 'llm' AND "
                     "json_extract(attributes, '$.\"codex.turn\"') = ?");
      find.bind(1, session).bind(2, static_cast<int64_t>(k + 1));
      if (!find.step()) continue;  // a turn the stream never showed: nothing to lay it over
      std::string turn_span = find.text(0);
      int64_t start = find.int64(1);
      std::string trace_id = find.text(2);
      bool failed = find.text(3) == "error";
      std::string error = find.text(4);
      std::vector<Span> calls;
      for (size_t n = 0; n < turn.responses.size(); ++n) {
        const Response& resp = turn.responses[n];
        Span s;
        s.trace_id = trace_id;
        s.span_id = derive_span_id(session, resp.id.empty() ? fmt::format("llm:turn:{}:{}", k + 1, n + 1)
                                                            : "llm:" + resp.id);
        s.parent_span_id = session;
        s.session_id = session;
        s.kind = SpanKind::llm;
        s.name = turn.model.empty() ? "chat" : "chat " + turn.model;
        // Each request went out when the previous response (and the tools it asked for) had ended.
        s.start_ns = n == 0 ? start : calls.back().end_ns;
        s.end_ns = std::max(s.start_ns, resp.end_ns);
        s.status = SpanStatus::ok;
        s.usage = usage_of(resp.usage);
        s.attributes = {{"gen_ai.operation.name", "chat"},
                        {"gen_ai.system", "openai"},
                        {"codex.turn", static_cast<int64_t>(k + 1)},
                        {"codex.turn_id", turn.id},
                        {"codex.response_index", static_cast<int64_t>(n + 1)},
                        {"gen_ai.usage.input_tokens", s.usage.input_tokens},
                        {"gen_ai.usage.output_tokens", s.usage.output_tokens},
                        {"gen_ai.usage.cache_read.input_tokens", s.usage.cache_read_tokens},
                        {"gen_ai.usage.cache_creation.input_tokens", s.usage.cache_creation_tokens},
                        {"gen_ai.usage.reasoning.output_tokens", count(resp.usage, "reasoning_output_tokens")},
                        {"harness.usage_source", "codex-rollout"}};
        if (!resp.id.empty()) s.attributes["gen_ai.response.id"] = resp.id;
        if (!turn.model.empty()) s.attributes["gen_ai.request.model"] = turn.model;
        calls.push_back(std::move(s));
      }
      if (failed) {  // a turn that failed after its last response: that response is where it stopped
        calls.back().status = SpanStatus::error;
        if (!error.empty()) calls.back().attributes["error.message"] = error;
      }
      // The turn's events (a failure) move to its last response; then the turn span goes.
      Statement move(internal::db(store), "UPDATE events SET span_id = ? WHERE span_id = ?");
      move.bind(1, calls.back().span_id).bind(2, turn_span);
      move.step();
      Statement drop(internal::db(store), "DELETE FROM spans WHERE span_id = ?");
      drop.bind(1, turn_span);
      drop.step();
      for (const auto& s : calls) store.put_span(s, raw.id);
      r.calls_replaced += 1;
      r.calls_added += static_cast<int64_t>(calls.size());
    }
  });
  return r;
}

}  // namespace trace
