// Rules that read how the agent ended (AgentOutcome) with the trace as context: crashes, kills, budget, failed and
// partial fixes; and the informational ones (goal, usage, duration).
#include <fmt/format.h>

#include "observer/rules_internal.h"
#include "observer/text.h"

namespace observer::rules_detail {
namespace {

std::string file_list(const std::vector<std::string>& files) {
  std::string out;
  for (size_t i = 0; i < files.size() && i < 6; ++i) out += (i ? ", " : "") + files[i];
  if (files.size() > 6) out += fmt::format(" and {} more", files.size() - 6);
  return out;
}

// The verify span (kind verify) below the agent, when the harness recorded one.
const trace::Span* verify_span(const RuleContext& ctx) {
  for (const auto& s : ctx.trace.spans)
    if (s.kind == trace::SpanKind::verify) return &s;
  return nullptr;
}

Evidence verify_evidence(const RuleContext& ctx, std::string_view prefer) {
  if (const trace::Span* v = verify_span(ctx)) return ctx.span_evidence(*v, prefer);
  return ctx.agent_evidence("verify.");
}

std::string first_failure(const VerifyOutcome& v) {
  if (!v.first_failure.empty()) return v.first_failure;
  std::string from_log = error_summary(v.log_tail);
  return from_log.empty() ? "no failing line found in verify.log" : from_log;
}

std::string last_call(const RuleContext& ctx, std::string_view lead) {
  const trace::Span* last = ctx.last_tool();
  return last ? fmt::format("; {} {}", lead, ctx.tool_target(*last)) : "";
}

const trace::Event* budget_event(const RuleContext& ctx) {
  for (const auto& e : ctx.trace.events)
    if (e.type == "budget.exceeded") return &e;
  return nullptr;
}

// Each loop the live detector reported (runner.on_loop: warn keeps the agent running, kill ends it): one
// important observation, its evidence the detection event and the first repeated calls.
void loop_rule(RuleContext& ctx) {
  for (const auto& e : ctx.trace.events) {
    if (e.type != "agent.loop_detected") continue;
    std::vector<Evidence> evidence{ctx.event_evidence(e)};
    if (auto spans = e.payload.find("spans"); spans != e.payload.end() && spans->is_array()) {
      for (const auto& id : *spans) {
        if (evidence.size() >= 4) break;
        if (!id.is_string()) continue;
        for (const auto& s : ctx.trace.spans)
          if (s.span_id == id.get_ref<const std::string&>()) evidence.push_back(ctx.span_evidence(s, "tool.call."));
      }
    }
    bool killed = field_text(e.payload, "action") == "kill";
    ctx.add(Kind::loop,
            fmt::format("Agent {} in a loop: {}", killed ? "was killed" : "was caught", field_text(e.payload, "summary")),
            std::move(evidence));
  }
}

}  // namespace

void outcome_rules(RuleContext& ctx) {
  const AgentOutcome& o = ctx.outcome;
  std::string exit = o.exit_description.empty() ? "" : " (" + o.exit_description + ")";
  switch (o.status) {
    case AgentStatus::crashed:
      ctx.add(Kind::crash, "Agent crashed" + exit + last_call(ctx, "its last call was"), {ctx.agent_evidence()});
      break;
    case AgentStatus::launch_failed:
      ctx.add(Kind::crash, "Agent failed to launch" + exit, {ctx.agent_evidence()});
      break;
    case AgentStatus::killed_stuck:
      ctx.add(Kind::stuck, "Agent was killed as stuck" + exit + last_call(ctx, "it stalled after"),
              {ctx.agent_evidence()});
      break;
    case AgentStatus::killed_timeout:
      ctx.add(Kind::stuck, "Agent was killed at its wall-clock limit" + exit + last_call(ctx, "its last call was"),
              {ctx.agent_evidence()});
      break;
    case AgentStatus::killed_budget:
    case AgentStatus::killed_loop:  // loop_rule() says what it repeated, from the detection event
    case AgentStatus::completed:
    case AgentStatus::interrupted:
      break;
  }

  loop_rule(ctx);
  const trace::Event* over = budget_event(ctx);
  if (o.status == AgentStatus::killed_budget || over) {
    std::string why = o.exit_description;
    if (over && why.empty()) why = field_text(over->payload, "message", field_text(over->payload, "reason"));
    ctx.add(Kind::budget_exhausted,
            fmt::format("Agent exhausted its budget{} after {} input + {} output tokens{}",
                        why.empty() ? "" : " (" + why + ")", format_count(o.tokens_in), format_count(o.tokens_out),
                        validated_fix(o) ? "" : " without a validated fix"),
            {over ? ctx.event_evidence(*over) : ctx.agent_evidence()});
  }

  const VerifyOutcome& v = o.verify;
  if (v.ran && !v.passed && !o.changed_files.empty()) {
    if (v.passes == 0) {
      ctx.add(Kind::failed_fix,
              fmt::format("Fix attempt changing {} failed verify: {}", file_list(o.changed_files), first_failure(v)),
              {verify_evidence(ctx, "verify.failed")});
    } else if (partial_fix(o)) {
      ctx.add(Kind::partial_fix,
              fmt::format("Fix changing {} passed verify in only {} of {} repeats; first failure: {}",
                          file_list(o.changed_files), v.passes, v.repeats, first_failure(v)),
              {verify_evidence(ctx, "verify.failed")});
    }
  }
}

void informational_rules(RuleContext& ctx) {
  const AgentOutcome& o = ctx.outcome;
  std::string strategy = o.strategy.empty() ? "default" : o.strategy;
  if (!o.goal.empty())
    ctx.add(Kind::goal, fmt::format("Goal under strategy {}: {}", strategy, o.goal), {ctx.agent_evidence()});
  ctx.add(Kind::usage,
          fmt::format("Strategy {} used {} input + {} output tokens (${:.2f}) and {}", strategy,
                      format_count(o.tokens_in), format_count(o.tokens_out), o.cost_usd, ctx.ending()),
          {ctx.agent_evidence()});
  ctx.add(Kind::duration,
          fmt::format("Agent with strategy {} ran {} ({} tool calls, {} LLM calls) and {}", strategy,
                      format_duration_ms(o.duration_ms), ctx.tool_calls(), ctx.llm_calls(), ctx.ending()),
          {ctx.agent_evidence()});
}

}  // namespace observer::rules_detail
