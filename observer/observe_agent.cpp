#include "observer/observe_agent.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "observer/fingerprint.h"

namespace observer {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> string_list(const std::string& text) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

}  // namespace

AgentFindings assess_agent(trace::Store& store, const AgentOutcome& outcome, ObservationSet& observations,
                           const RuleOptions& options) {
  AgentFindings f;
  f.agent_id = outcome.agent_id;
  f.agent_span_id = outcome.agent_span_id;
  f.generation = outcome.generation;
  std::vector<Observation> found = extract_observations(store, outcome, options);
  f.new_ids = observations.add(outcome.generation, found);
  for (const auto& o : found) {
    const Observation* merged =
        observations.find_fingerprint(o.fingerprint.empty() ? fingerprint(o.kind, o.text) : o.fingerprint);
    if (merged) f.matched.push_back(merged->id);
  }
  return f;
}

std::string record_agent(trace::Store& store, const AgentFindings& findings, const ObservationSet& observations,
                         const std::string& markdown_path) {
  ensure_observer_schema(store);
  store.transaction([&] {
    observations.save(store);
    store.execute("INSERT OR REPLACE INTO observed_agents(agent_span_id, agent, generation, observed_ns, new_ids, "
                  "matched) VALUES(?,?,?,?,?,?)",
                  {findings.agent_span_id, findings.agent_id, int64_t{findings.generation}, now_ns(),
                   nlohmann::json(findings.new_ids).dump(), nlohmann::json(findings.matched).dump()});
    trace::Event e;
    e.span_id = findings.agent_span_id;
    e.time_ns = now_ns();
    e.type = "observer.agent_observed";
    e.payload = {{"agent", findings.agent_id},
                 {"new", findings.new_ids},
                 {"matched", findings.matched},
                 {"total", observations.size()}};
    store.put_event(e);
  });
  return markdown_path.empty() ? "" : write_file_atomically(markdown_path, observations.render_markdown());
}

std::map<std::string, AgentFindings> observed_agents(trace::Store& store, int generation) {
  ensure_observer_schema(store);
  std::map<std::string, AgentFindings> out;
  store.query("SELECT agent_span_id, agent, generation, new_ids, matched FROM observed_agents "
              "WHERE ?=0 OR generation=? ORDER BY observed_ns",
              {int64_t{generation}, int64_t{generation}}, [&](const trace::Row& r) {
                AgentFindings f;
                f.agent_span_id = r.text(0);
                f.agent_id = r.text(1);
                f.generation = static_cast<int>(r.int64(2));
                f.new_ids = string_list(r.text(3));
                f.matched = string_list(r.text(4));
                out.emplace(f.agent_span_id, std::move(f));
              });
  return out;
}

}  // namespace observer
