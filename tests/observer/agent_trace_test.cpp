// Loading agents' traces: the per-agent index walk and the one-scan loader give the same spans and events, nested
// subagents included, other agents' rows excluded, and a parent cycle does not loop.
#include <gtest/gtest.h>

#include "observer/agent_trace.h"
#include "temp_dir.h"
#include "trace_builder.h"

namespace observer {
namespace {

std::vector<std::string> span_ids(const AgentTrace& t) {
  std::vector<std::string> out;
  for (const auto& s : t.spans) out.push_back(s.span_id);
  return out;
}
std::vector<int64_t> event_ids(const AgentTrace& t) {
  std::vector<int64_t> out;
  for (const auto& e : t.events) out.push_back(e.id);
  return out;
}

TEST(AgentTrace, OneScanLoaderMatchesThePerAgentWalk) {
  observer_test::TempDir dir;
  auto store = trace::Store::open(dir.file("run.db"));
  observer_test::TraceBuilder b(*store);
  std::string a1 = b.agent("g01-a01");
  int64_t on_agent = b.event(a1, "agent.started", {{"pid", 42}});
  b.tool("Task", R"({"description":"look at the queue"})");
  // A subagent session under the Task tool span, with a tool call of its own.
  trace::Span sub;
  sub.trace_id = "0123456789abcdef0123456789abcdef";
  sub.span_id = "00000000000000a1";
  sub.parent_span_id = b.last_tool();
  sub.session_id = sub.span_id;
  sub.kind = trace::SpanKind::subagent;
  sub.name = "subagent";
  sub.start_ns = 1;  // earliest: sorts first
  store->put_span(sub);
  trace::Span sub_tool = sub;
  sub_tool.span_id = "00000000000000a2";
  sub_tool.parent_span_id = sub.span_id;
  sub_tool.kind = trace::SpanKind::tool;
  sub_tool.start_ns = 2;
  sub_tool.attributes = {{"gen_ai.tool.name", "Grep"}};
  store->put_span(sub_tool);
  int64_t sub_event = b.event(sub_tool.span_id, "tool.call.failed", {{"error", "no match"}});
  std::string a2 = b.agent("g01-a02");
  b.tool("Bash", R"({"command":"ls"})");
  // A span that names itself as parent must not make either loader loop.
  trace::Span loop = sub;
  loop.span_id = "00000000000000b1";
  loop.parent_span_id = loop.span_id;
  store->put_span(loop);
  store->flush();

  std::vector<AgentTrace> both = load_agent_traces(*store, {a1, a2, "0000000000000000", ""});
  ASSERT_EQ(both.size(), 4u);
  for (size_t i = 0; i < 2; ++i) {
    AgentTrace one = load_agent_trace(*store, i == 0 ? a1 : a2);
    EXPECT_EQ(span_ids(both[i]), span_ids(one));
    EXPECT_EQ(event_ids(both[i]), event_ids(one));
    for (size_t k = 0; k < one.spans.size(); ++k) EXPECT_EQ(both[i].spans[k].attributes, one.spans[k].attributes);
    for (size_t k = 0; k < one.events.size(); ++k) EXPECT_EQ(both[i].events[k].payload, one.events[k].payload);
  }
  // Agent 1: session, Task tool, subagent, its tool; sorted by start time (the subagent's were set earliest).
  ASSERT_EQ(both[0].spans.size(), 4u);
  EXPECT_EQ(both[0].spans[0].span_id, "00000000000000a1");
  EXPECT_EQ(both[0].spans[1].span_id, "00000000000000a2");
  EXPECT_EQ(both[0].events.front().id, on_agent);
  EXPECT_EQ(both[0].events_by_span.at("00000000000000a2"), (std::vector<size_t>{both[0].events.size() - 1}));
  EXPECT_EQ(both[0].events.back().id, sub_event);
  EXPECT_EQ(both[1].spans.size(), 2u);  // session and Bash: nothing of agent 1
  EXPECT_TRUE(both[2].spans.empty() && both[2].events.empty());
  EXPECT_TRUE(both[3].spans.empty() && both[3].events.empty());
  EXPECT_TRUE(load_agent_trace(*store, "00000000000000b1").spans.empty());
}

}  // namespace
}  // namespace observer
