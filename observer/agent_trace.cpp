#include "observer/agent_trace.h"

#include "trace/subtrees.h"

namespace observer {
namespace {

AgentTrace indexed(trace::Subtree&& t) {
  AgentTrace a;
  a.spans = std::move(t.spans);
  a.events = std::move(t.events);
  a.index();
  return a;
}

}  // namespace

void AgentTrace::index() {
  events_by_span.clear();
  for (size_t i = 0; i < events.size(); ++i) events_by_span[events[i].span_id].push_back(i);
}

AgentTrace load_agent_trace(trace::Store& store, const std::string& agent_span_id) {
  return indexed(trace::load_subtree(store, agent_span_id));
}

std::vector<AgentTrace> load_agent_traces(trace::Store& store, const std::vector<std::string>& agent_span_ids) {
  std::vector<AgentTrace> out;
  for (auto& t : trace::load_subtrees(store, agent_span_ids)) out.push_back(indexed(std::move(t)));
  return out;
}

}  // namespace observer
