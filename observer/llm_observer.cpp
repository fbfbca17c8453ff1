#include "observer/llm_observer.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "observer/fingerprint.h"
#include "observer/shell_command.h"
#include "observer/text.h"
#include "trace/json_parse.h"

namespace observer {
namespace {

using Json = nlohmann::json;

std::string text_of(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool telling(const trace::Event& e) {
  return e.type == "tool.call.failed" || e.type == "error" || e.type == "message" || e.type == "file.write" ||
         e.type == "budget.exceeded" || e.type.starts_with("verify.") || e.type.starts_with("agent.");
}

std::string event_summary(const trace::Event& e, size_t limit) {
  std::string s;
  if (e.type == "tool.call.failed") {
    std::string err = text_of(e.payload, "error");
    if (err.empty()) err = text_of(e.payload, "output");
    s = text_of(e.payload, "tool") + ": " + error_summary(err);
  } else if (e.type == "message") {
    s = text_of(e.payload, "role") + ": " + text_of(e.payload, "text");
  } else if (e.type.starts_with("file.")) {
    s = text_of(e.payload, "path");
  } else if (e.type == "error") {
    s = text_of(e.payload, "message");
  } else {
    s = e.payload.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  return clip_utf8(one_line(s), limit);
}

Json observation_json(const Observation& o) {
  Json evidence = Json::array();
  for (const auto& e : o.evidence) evidence.push_back(e.label());
  return {{"id", o.id},          {"priority", to_string(o.priority)}, {"kind", to_string(o.kind)},
          {"text", o.text},      {"count", o.count},                  {"first_gen", o.first_gen},
          {"last_gen", o.last_gen}, {"agents", o.agents},             {"evidence", evidence}};
}

// "g02-a03#e41", "g02-a03#s<span id>" or "g02-a03"; nullopt when malformed.
std::optional<Evidence> parse_evidence_label(const std::string& s) {
  Evidence e;
  size_t hash = s.find('#');
  e.agent = s.substr(0, hash);
  if (e.agent.empty()) return std::nullopt;
  if (hash == std::string::npos) return e;
  std::string ref = s.substr(hash + 1);
  if (ref.size() > 1 && ref[0] == 'e' && ref.find_first_not_of("0123456789", 1) == std::string::npos &&
      ref.size() < 19) {
    e.event_id = std::stoll(ref.substr(1));
    return e;
  }
  if (ref.size() > 1 && ref[0] == 's') {
    e.span_id = ref.substr(1);
    return e;
  }
  return std::nullopt;
}

LlmObserverResult fail(std::string error) {
  LlmObserverResult r;
  r.error = std::move(error);
  return r;
}

}  // namespace

Json build_digest(trace::Store& store, int generation, const std::vector<AgentOutcome>& outcomes,
                  const ObservationSet& observations, const DigestOptions& options) {
  std::vector<std::string> agent_spans;
  for (const auto& o : outcomes) agent_spans.push_back(o.agent_span_id);
  return build_digest(load_agent_traces(store, agent_spans), generation, outcomes, observations, options);
}

Json build_digest(const std::vector<AgentTrace>& traces, int generation, const std::vector<AgentOutcome>& outcomes,
                  const ObservationSet& observations, const DigestOptions& options) {
  Json agents = Json::array();
  for (size_t i = 0; i < outcomes.size() && i < traces.size(); ++i) {
    const AgentOutcome& o = outcomes[i];
    const AgentTrace& trace = traces[i];
    Json events = Json::array();
    for (const auto& e : trace.events) {
      if (events.size() >= options.events_per_agent) break;
      if (!telling(e) || (e.type == "message" && text_of(e.payload, "role") == "user")) continue;
      events.push_back({{"event_id", e.id}, {"span_id", e.span_id}, {"type", e.type},
                        {"summary", strip_root(event_summary(e, options.text_bytes), o.workspace)}});
    }
    Json findings = Json::array();
    for (const auto& f : extract_observations(trace, o)) findings.push_back(observation_json(f));
    agents.push_back({{"agent", o.agent_id},
                      {"strategy", o.strategy},
                      {"status", to_string(o.status)},
                      {"exit", o.exit_description},
                      {"verify",
                       {{"ran", o.verify.ran},
                        {"passed", o.verify.passed},
                        {"passes", o.verify.passes},
                        {"repeats", o.verify.repeats},
                        {"first_failure", clip_utf8(o.verify.first_failure, options.text_bytes)},
                        {"log_tail", clip_utf8(o.verify.log_tail, options.text_bytes * 4)}}},
                      {"changed_files", o.changed_files},
                      {"tokens_in", o.tokens_in},
                      {"tokens_out", o.tokens_out},
                      {"cost_usd", o.cost_usd},
                      {"duration_ms", o.duration_ms},
                      {"goal", clip_utf8(o.goal, options.text_bytes)},
                      {"events", events},
                      {"findings", findings}});
  }
  Json current = Json::array();
  for (const auto& o : observations.ranked()) {
    if (current.size() >= options.observations) break;
    current.push_back(observation_json(o));
  }
  return {{"protocol", kObserverProtocol}, {"generation", generation}, {"agents", agents}, {"observations", current}};
}

LlmObserverResult parse_llm_observations(std::string_view output, int generation, const LlmObserverOptions& options) {
  Json j = trace::parse_untrusted_json(output);
  if (j.is_discarded()) {
    std::string start = clip_utf8(one_line(output), 80);
    return fail(fmt::format("observer.command output is not JSON: \"{}\"", start));
  }
  if (!j.is_object() || !j.contains("observations") || !j["observations"].is_array())
    return fail("observer.command output: expected an object with an \"observations\" array");
  const Json& items = j["observations"];
  if (items.size() > options.max_observations)
    return fail(fmt::format("observer.command output: {} observations, more than the limit of {}", items.size(),
                            options.max_observations));
  LlmObserverResult r;
  for (size_t i = 0; i < items.size(); ++i) {
    const Json& item = items[i];
    std::string where = fmt::format("observer.command output: observations[{}]", i);
    if (!item.is_object()) return fail(where + ": expected an object");
    auto priority = item.contains("priority") && item["priority"].is_string()
                        ? priority_from(item["priority"].get<std::string>())
                        : std::nullopt;
    if (!priority)
      return fail(fmt::format("{}.priority: expected \"important\", \"possible\" or \"informational\", got {}",
                              where, item.contains("priority") ? item["priority"].dump() : "nothing"));
    if (!item.contains("text") || !item["text"].is_string() || one_line(item["text"].get<std::string>()).empty())
      return fail(where + ".text: expected a non-empty string");
    Kind kind = Kind::llm;
    if (item.contains("kind")) {
      if (!item["kind"].is_string()) return fail(where + ".kind: expected a string");
      kind = kind_from(item["kind"].get<std::string>()).value_or(Kind::llm);
    }
    std::vector<Evidence> evidence;
    if (item.contains("evidence")) {
      if (!item["evidence"].is_array()) return fail(where + ".evidence: expected an array");
      for (size_t k = 0; k < item["evidence"].size(); ++k) {
        const Json& ev = item["evidence"][k];
        std::optional<Evidence> parsed;
        if (ev.is_string()) {
          parsed = parse_evidence_label(ev.get<std::string>());
        } else if (ev.is_object() && ev.contains("agent") && ev["agent"].is_string()) {
          parsed = Evidence{ev["agent"].get<std::string>(), text_of(ev, "span_id"),
                            ev.contains("event_id") && ev["event_id"].is_number_integer()
                                ? ev["event_id"].get<int64_t>()
                                : 0};
        }
        if (!parsed)
          return fail(fmt::format("{}.evidence[{}]: expected \"<agent>#e<event id>\" or "
                                  "{{\"agent\",\"span_id\",\"event_id\"}}, got {}",
                                  where, k, ev.dump()));
        if (evidence.size() < kMaxEvidence) evidence.push_back(*parsed);
      }
    }
    std::string text = clip_utf8(one_line(item["text"].get<std::string>()), options.max_text_bytes);
    Observation o = make_observation(kind, std::move(text), "", generation, std::move(evidence));
    o.priority = *priority;
    for (const auto& e : o.evidence)
      if (std::find(o.agents.begin(), o.agents.end(), e.agent) == o.agents.end()) o.agents.push_back(e.agent);
    r.observations.push_back(std::move(o));
  }
  return r;
}

LlmObserverResult run_llm_observer(const LlmObserverOptions& options, const Json& digest) {
  // Messages are written for observer.command; a preset's name them after the preset.
  auto relabel = [&](std::string error) {
    const std::string prefix = "observer.command";
    if (options.label != prefix && error.rfind(prefix, 0) == 0) error = options.label + error.substr(prefix.size());
    return error;
  };
  if (options.command.empty() && !options.ask) return fail(relabel("observer.command is empty"));
  auto gen = digest.is_object() ? digest.find("generation") : digest.end();
  const int generation = gen != digest.end() && gen->is_number_integer() ? gen->get<int>() : 0;
  Json input = digest;
  std::string retried_error;
  for (int attempt = 1;; ++attempt) {
    std::string text = input.dump(-1, ' ', false, Json::error_handler_t::replace);
    LlmObserverResult r;
    std::string output;
    if (options.ask) {
      AskedAnswer asked = options.ask(text);
      if (!asked.error.empty()) r = fail("observer.command " + asked.error);
      output = std::move(asked.output);
    } else {
      ShellCommandOptions run;
      run.timeout_s = options.timeout_s;
      run.max_output_bytes = options.max_output_bytes;
      run.cwd = options.cwd;
      ShellCommandResult ran = run_shell_command(options.command, text, run);
      if (!ran.ok()) r = fail("observer.command " + ran.error);
      r.stderr_tail = std::move(ran.stderr_tail);
      output = std::move(ran.output);
    }
    if (r.error.empty()) {
      std::string tail = std::move(r.stderr_tail);
      r = parse_llm_observations(output, generation, options);
      r.stderr_tail = std::move(tail);
      if (!r.ok() && attempt <= options.retries && input.is_object()) {
        retried_error = relabel(r.error);
        input["previous_error"] = retried_error;
        input["previous_answer"] = output.substr(0, 4000);
        continue;
      }
    }
    r.error = relabel(std::move(r.error));
    r.attempts = attempt;
    r.retried_error = retried_error;
    return r;
  }
}

}  // namespace observer
