#include "observer/observe_generation.h"

#include <chrono>

#include <fmt/format.h>

#include "observer/digest_search.h"
#include "trace/ids.h"

namespace observer {
namespace {

int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void put_event(trace::Store& store, const std::string& span_id, const std::string& type, trace::Json payload) {
  trace::Event e;
  e.span_id = span_id;
  e.time_ns = wall_now_ns();
  e.type = type;
  e.payload = std::move(payload);
  store.put_event(e);
}

}  // namespace

Assessment assess_generation(trace::Store& store, int generation, const std::vector<AgentOutcome>& outcomes,
                             ObservationSet& observations, const ObserveOptions& options) {
  Assessment a;
  a.generation = generation;
  a.started_ns = wall_now_ns();
  std::vector<std::string> agent_spans;
  for (const auto& outcome : outcomes) agent_spans.push_back(outcome.agent_span_id);
  std::vector<AgentTrace> traces = load_agent_traces(store, agent_spans);
  std::vector<Observation> found;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (options.already_observed.count(outcomes[i].agent_span_id)) continue;
    std::vector<Observation> got = extract_observations(traces[i], outcomes[i], options.rules);
    found.insert(found.end(), std::make_move_iterator(got.begin()), std::make_move_iterator(got.end()));
  }
  a.new_ids = observations.add(generation, found);
  const bool llm_observer = !options.llm.command.empty() || options.llm.ask;
  if (options.want_digest || llm_observer)
    a.digest = build_digest(traces, generation, outcomes, observations, options.digest);
  traces.clear();
  if (llm_observer && options.digest_search) a.digest["search"] = digest_search_hits(store, a.digest);

  if (llm_observer) {
    LlmObserverResult llm = run_llm_observer(options.llm, a.digest);
    a.llm_attempts = llm.attempts;
    a.llm_retried_error = llm.retried_error;
    if (llm.ok()) {
      std::vector<std::string> more = observations.add(generation, llm.observations);
      a.new_ids.insert(a.new_ids.end(), more.begin(), more.end());
    } else {
      a.llm_error = llm.error;
      a.llm_stderr_tail = llm.stderr_tail;
    }
  }
  return a;
}

ObserveResult record_generation(trace::Store& store, Assessment assessment, const std::vector<AgentOutcome>& outcomes,
                                const ObservationSet& observations, const ObserveOptions& options) {
  const int generation = assessment.generation;
  ObserveResult result;
  // Everything first seen in the generation, the agents observed one by one included.
  result.new_ids = observations.added_in(generation);
  result.llm_error = std::move(assessment.llm_error);
  result.digest = std::move(assessment.digest);
  trace::Span span;
  if (!options.trace_id.empty()) {
    span.trace_id = options.trace_id;
    // Derived from the generation: observing a generation again after a resume updates the same span.
    span.span_id = trace::derive_span_id("observer", fmt::format("generation:{}", generation));
    span.parent_span_id = options.parent_span_id;
    span.session_id = span.span_id;
    span.kind = trace::SpanKind::observer;
    span.name = fmt::format("observe generation {}", generation);
    span.start_ns = assessment.started_ns;
    store.put_span(span);
    // A preset (observer.llm) says so in its events' names; observer.command keeps the ones it always had.
    const bool preset = options.llm.label != "observer.command";
    if (!assessment.llm_retried_error.empty())
      put_event(store, span.span_id, "observer.llm.retried", {{"error", assessment.llm_retried_error}});
    if (!result.llm_error.empty())
      put_event(store, span.span_id, preset ? "observer.llm.failed" : "observer.command.failed",
                {{"error", result.llm_error}, {"stderr_tail", assessment.llm_stderr_tail},
                 {"attempts", assessment.llm_attempts}});
  }

  observations.save(store);
  if (!options.markdown_path.empty())
    result.write_error = write_file_atomically(options.markdown_path, observations.render_markdown());
  result.record = summarise_generation(generation, outcomes, observations, options.wall_ms);
  save_generation_record(store, result.record);

  if (!span.span_id.empty()) {
    span.end_ns = wall_now_ns();
    span.status = result.llm_error.empty() && result.write_error.empty() ? trace::SpanStatus::ok
                                                                         : trace::SpanStatus::error;
    span.attributes = {{"harness.generation", generation},
                       {"harness.observations.new", result.new_ids.size()},
                       {"harness.observations.total", observations.size()}};
    if (!result.llm_error.empty()) span.attributes["error.message"] = result.llm_error;
    if (!result.write_error.empty()) span.attributes["harness.observations.write_error"] = result.write_error;
    store.put_span(span);
    put_event(store, span.span_id, "observer.completed",
              {{"new", result.new_ids.size()}, {"total", observations.size()}});
  }
  store.flush();
  return result;
}

ObserveResult observe_generation(trace::Store& store, int generation, const std::vector<AgentOutcome>& outcomes,
                                 ObservationSet& observations, const ObserveOptions& options) {
  return record_generation(store, assess_generation(store, generation, outcomes, observations, options), outcomes,
                           observations, options);
}

}  // namespace observer
