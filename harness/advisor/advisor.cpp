// Advisor::ask: see advisor.h.
#include "harness/advisor/advisor.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>
#include <kainjow/mustache.hpp>

#include "trace/ids.h"
#include "trace/decoded_spans.h"
#include "trace/import.h"
#include "trace/json_parse.h"
#include "trace/json_text.h"
#include "trace/session_usage.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

using Json = nlohmann::json;
namespace mus = kainjow::mustache;

constexpr size_t kRecordedAnswerBytes = 256u << 10;  // an answer is short; a flood is not kept whole

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

mus::data data_of(const Json& j) {
  if (j.is_object()) {
    mus::data d;
    for (const auto& [key, value] : j.items()) {
      d.set(key, data_of(value));
      if (value.is_array()) d.set("has_" + key, !value.empty());
    }
    return d;
  }
  if (j.is_array()) {
    mus::data list{mus::data::type::list};
    for (const auto& item : j) list.push_back(data_of(item));
    return list;
  }
  if (j.is_boolean()) return mus::data(j.get<bool>());
  if (j.is_string()) return mus::data(j.get<std::string>());
  if (j.is_null()) return mus::data(std::string());
  return mus::data(trace::json_text(j));
}

// The last answer recorded on `span_id` (a resumed run asking the same question again), if any.
bool recorded_answer(trace::Store& store, const std::string& span_id, AdvisorOutcome& out) {
  bool found = false;
  store.query("SELECT payload FROM events WHERE span_id=? AND type='advisor.answered' ORDER BY id DESC LIMIT 1",
              {span_id}, [&](const trace::Row& row) {
                Json p = trace::parse_untrusted_json(row.text(0));
                if (!p.is_object()) return;
                out.output = p.value("output", "");
                out.error = p.value("error", "");
                found = true;
              });
  return found;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// The session file the CLI left under its folder (Claude Code: claude/projects/*/<session id>.jsonl; Codex:
// codex/sessions/YYYY/MM/DD/rollout-*-<id>.jsonl) is laid over the stream, as an agent's is
// (harness/transcript_pickup.h): exact per-call usage, one llm span per Codex response, response ids the proxy's
// spans are matched by. Without one the stream's figures stand.
void lay_session_usage(trace::Store& store, const AdvisorSetup& s, const fs::path& dir, int64_t stream_raw_id) {
  auto [session_span, session_id] = trace::first_decoded_session(store, stream_raw_id);
  if (session_span.empty()) return;
  const bool codex = s.cli == ModelCli::codex;
  fs::path root = dir / (codex ? "codex/sessions" : "claude/projects");
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (it->is_regular_file(ec) && it->path().extension() == ".jsonl" && (!codex || name.rfind("rollout-", 0) == 0))
      files.push_back(it->path().string());
  }
  std::string file;
  for (const auto& f : files)
    if (!session_id.empty() && fs::path(f).filename().string().find(session_id) != std::string::npos) file = f;
  if (file.empty() && files.size() == 1) file = files[0];
  if (file.empty()) return;
  try {
    trace::import_session_usage(store, s.run_dir, s.trace_id, file,
                                codex ? trace::kCodexRolloutFormat : trace::kClaudeUsageFormat, session_span);
  } catch (const trace::StoreError&) {
    // A session file that cannot be read leaves the stream's figures; the store itself failing shows on the next
    // write, which does throw.
  }
}

}  // namespace

std::string observer_span_id(int generation) {
  return trace::derive_span_id("observer", fmt::format("generation:{}", generation));
}

std::string advisor_span_id(const std::string& trace_id, const std::string& role, int generation, int attempt) {
  return trace::derive_span_id(trace_id, fmt::format("advisor:{}:{}:{}", role, generation, attempt));
}

std::string render_advisor_prompt(const std::string& template_text, const Json& input, const Json& schema) {
  mus::mustache tmpl(template_text);
  tmpl.set_custom_escape([](const std::string& text) { return text; });  // a prompt, not HTML
  mus::data d = data_of(input);
  d.set("input_json", input.dump(2, ' ', false, Json::error_handler_t::replace));
  d.set("schema_json", schema.dump(2));
  d.set("retry", input.contains("previous_error"));
  std::string text = tmpl.render(d);
  if (!tmpl.is_valid()) throw std::runtime_error("advisor template: " + tmpl.error_message());
  return text;
}

AdvisorOutcome Advisor::ask(int generation, const Json& input, int attempt) {
  const AdvisorSetup& s = setup_;
  AdvisorOutcome out;
  bool stopped = false;
  out.span_id = advisor_span_id(s.trace_id, s.role, generation, attempt);
  if (recorded_answer(*s.store, out.span_id, out)) {
    out.replayed = true;
    return out;
  }
  const std::string label = fmt::format("{}-g{:02}", s.role, generation);
  trace::Span span;
  span.trace_id = s.trace_id;
  span.span_id = out.span_id;
  span.parent_span_id = observer_span_id(generation);
  span.session_id = span.span_id;
  span.kind = trace::SpanKind::observer;
  span.name = "advisor." + s.role;
  span.start_ns = now_ns();
  span.attributes = {{"harness.advisor.role", s.role},
                     {"harness.advisor.preset", std::string(to_string(s.cli))},
                     {"harness.advisor.model", s.model},
                     {"harness.generation", generation},
                     {"harness.advisor.attempt", attempt},
                     {"harness.agent", label}};
  s.store->put_span(span);
  s.store->flush();

  ModelQuestion q;
  q.cli = s.cli;
  q.model = s.model;
  q.schema = s.schema;
  q.timeout_s = s.timeout_s;
  q.env = s.env;
  q.stop = s.stop;
  const std::string folder = fmt::format("{}.{}", label, attempt);  // names it to the proxy too
  fs::path dir = fs::path(s.run_dir) / "advisors" / folder;
  q.work_dir = dir.string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  try {
    q.prompt = render_advisor_prompt(s.template_text, input, s.schema);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  if (out.error.empty()) {
    write_text(dir / "prompt.md", q.prompt);
    if (s.begin)
      for (auto& [k, v] : s.begin(out.span_id, folder, generation)) q.env[k] = v;
    ModelAnswer answer = ask_model_cli(q);
    stopped = answer.stopped;
    if (!answer.output.empty()) {
      // Traced like an agent's output: a redacted raw copy under raw/, its session decoded under the span. The
      // capture itself holds what the model printed unredacted, so it is removed at once.
      fs::path capture = dir / "session.jsonl";
      write_text(capture, answer.output);
      fs::create_directories(fs::path(s.run_dir) / "raw", ec);
      try {
        auto imported = trace::import_one_with_companions(
            *s.store, s.run_dir, s.trace_id, capture.string(),
            s.cli == ModelCli::codex ? trace::Format::codex : trace::Format::claude_stream, out.span_id, label);
        if (!imported.empty()) lay_session_usage(*s.store, s, dir, imported.front().raw_id);
      } catch (const trace::ImportError& e) {
        span.attributes["harness.advisor.trace_error"] = e.what();  // the answer stands; its session is not traced
      }
      fs::remove(capture, ec);
    }
    if (s.end) s.end(out.span_id);
    if (!answer.ok()) {
      out.error = answer.error;
    } else {
      // Not an object: passed on as it is, so the protocol's validation refuses it with a reason a retry can quote.
      Json j = trace::parse_untrusted_json(answer.answer);
      out.output = j.is_object() ? trace::json_text(s.to_protocol ? s.to_protocol(j) : j) : answer.answer;
    }
  }
  if (out.output.size() > kRecordedAnswerBytes) {
    out.output.clear();
    out.error = fmt::format("answered more than {} bytes", kRecordedAnswerBytes);
  }
  // Interrupted: no answer to keep, so a resumed run asks the same question again.
  if (!stopped) {
    trace::Event e;
    e.span_id = out.span_id;
    e.time_ns = now_ns();
    e.type = "advisor.answered";
    e.payload = {{"output", out.output}, {"error", out.error}, {"attempt", attempt}};
    s.store->put_event(e);
  }
  span.end_ns = now_ns();
  span.status = out.error.empty() ? trace::SpanStatus::ok : trace::SpanStatus::error;
  if (!out.error.empty()) span.attributes["error.message"] = out.error;
  s.store->put_span(span);
  s.store->flush();
  return out;
}

}  // namespace harness
