// The end of an attempt: transcripts picked up, totals settled from the trace, verification started or the
// attempt finalized (patch, span, record and checkpoint in one transaction; the workspace kept or removed).
// Part of AgentRun.
#include <fmt/format.h>

#include <filesystem>

#include "harness/agent_run.h"
#include "harness/agent_totals.h"
#include "harness/transcript_pickup.h"
#include "trace/proxy_usage.h"

#include <algorithm>
#include <cmath>

namespace fs = std::filesystem;

namespace harness {

void AgentRun::agent_finished(AgentOutcome outcome, const std::string& reason) {
  drop_process(false);
  if (stderr_log_) stderr_log_->close();
  end_telemetry();  // what the agent exported is settled before the attempt is recorded
  if (capture_) capture_->finish();
  record_.outcome = outcome;
  record_.exit_description = reason;
  record_.end_reason = reason;
  if (capture_ && capture_->raw_truncated())
    event("capture.truncated", {{"limit_bytes", static_cast<uint64_t>(env_.config.limits.stdout_mb) << 20}});
  if (stderr_log_ && stderr_log_->bytes_cut() > 0)
    event("log.truncated", {{"file", "stderr.log"}, {"bytes_cut", stderr_log_->bytes_cut()}});
  if (capture_ && !env_.config.runner.transcripts.empty()) {
    try {
      pick_up_transcripts();
    } catch (const std::exception& e) {  // a transcript problem costs detail, never the agent's record
      event("transcripts.error", {{"error", e.what()}});
    }
  }
  bool verifiable = (outcome == AgentOutcome::completed || outcome == AgentOutcome::crashed) && workspace_;
  if (verifiable) {
    try {
      record_.changed_files = workspace_->changed_files();
    } catch (const std::exception& e) {
      event("workspace.error", {{"error", e.what()}});
    }
  }
  if (verifiable && !record_.changed_files.empty() && !env_.config.verify.command.empty()) {
    phase_ = Phase::verifying;
    try {
      workspace_->restore_paths(env_.config.verify.protected_paths);
    } catch (const std::exception& e) {
      event("workspace.error", {{"error", e.what()}});
    }
    record_.verify.ran = true;
    record_.verify.repeats = 0;
    return start_verify_repeat();
  }
  finalize();
}

void AgentRun::pick_up_transcripts() {
  std::vector<std::string> patterns;
  for (const auto& pattern : env_.config.runner.transcripts) patterns.push_back(expand(pattern));
  fs::path root = fs::absolute(env_.dir.root);
  auto format = trace::format_from(env_.config.runner.format).value_or(trace::Format::jsonl);
  TranscriptPickup found =
      pick_up_session_files(env_.store, root.string(), span_.trace_id, stream_raw_id_, format, patterns);
  if (found.sessions.empty()) return;
  auto relative = [&](const std::string& f) { return fs::path(f).lexically_relative(root).string(); };
  nlohmann::json sessions = nlohmann::json::array(), imported = nlohmann::json::array(),
                 usage = nlohmann::json::array();
  for (const auto& f : found.sessions) sessions.push_back(relative(f));
  for (const auto& f : found.imported) imported.push_back(relative(f));
  for (const auto& f : found.usage_files) usage.push_back(relative(f));
  event("transcripts.picked_up", {{"sessions", sessions},
                                  {"subagents_imported", imported},
                                  {"usage_from", usage},
                                  {"calls_matched", found.calls_matched},
                                  {"calls_added", found.calls_added},
                                  {"errors", found.errors}});
}

void AgentRun::settle_totals() {
  // A call both the proxy and the agent's own output saw is counted once, where the agent made it.
  if (env_.telemetry && env_.telemetry->proxy()) {
    // Its calls ended with its connections; their spans are written from the proxy's threads.
    if (!env_.telemetry->proxy()->wait_idle(span_.span_id, std::chrono::seconds(2)))
      event("proxy.calls_unsettled", {{"waited_ms", 2000}});
    trace::reconcile_proxy_usage(env_.store, span_.span_id);
  }
  // From the trace, not from what was seen live: transcripts picked up after the session replaced the
  // stream's partial subagents and provisional figures, and proxy spans count too. Status, reports, the
  // observer and budgets then read the totals `trace stats` shows.
  apply_trace_totals(env_.store, record_);
  env_.ledger.settle(span_.span_id, {record_.input_tokens + record_.output_tokens, record_.cost_usd});
  compare_costs();
}

void AgentRun::compare_costs() {
  trace::CostSides c = trace::cost_sides(env_.store, span_.span_id);
  if (c.priced_calls == 0) return;
  span_.attributes["harness.cost.priced_usd"] = c.priced_usd;
  span_.attributes["harness.cost.stated_usd"] = c.stated_usd;
  if (c.stated_usd <= 0) return;  // the agent states no dollars: the priced ones are the only figure
  double gap = std::abs(c.priced_usd - c.stated_usd);
  // Cents of rounding are no news; a table out of date or a model the CLI prices otherwise is.
  if (gap > 0.0005 && gap > 0.1 * std::max(c.priced_usd, c.stated_usd))
    event("cost.disagreement", {{"stated_usd", c.stated_usd},
                                {"priced_usd", c.priced_usd},
                                {"priced_calls", c.priced_calls},
                                {"unpriced_calls", c.unpriced_calls},
                                {"price_table", c.price_table}});
}

void AgentRun::finalize() {
  phase_ = Phase::done;
  if (verify_log_) {
    verify_log_->close();
    if (verify_log_->bytes_cut() > 0)
      event("log.truncated", {{"file", "verify.log"}, {"bytes_cut", verify_log_->bytes_cut()}});
  }
  std::string patch;
  if (workspace_) {
    try {
      patch = workspace_->capture_patch();
      if (record_.changed_files.empty()) record_.changed_files = workspace_->changed_files();
    } catch (const std::exception& e) {
      event("workspace.error", {{"error", e.what()}});
    }
  }
  if (!patch.empty()) write_file(dir_ + "/patch.diff", patch);
  if (activity_) settle_totals();
  bool interrupted = record_.outcome == AgentOutcome::interrupted;
  record_.status = interrupted ? AttemptStatus::interrupted : AttemptStatus::completed;
  record_.finished_ns = env_.clock.wall_ns();
  span_.end_ns = record_.finished_ns;
  span_.status =
      record_.outcome == AgentOutcome::completed ? trace::SpanStatus::ok : trace::SpanStatus::error;
  // Usage stays on the llm spans below: copying it onto the agent span would count it twice in stats.
  span_.attributes["harness.outcome"] = to_string(record_.outcome);
  span_.attributes["harness.verify"] = record_.verify.label();
  span_.attributes["harness.end_reason"] = record_.end_reason;
  if (!record_.external_id.empty()) span_.attributes["harness.process"] = record_.external_id;
  if (record_.external_id.rfind("slurm:", 0) == 0)
    span_.attributes["slurm.job_id"] = record_.external_id.substr(6);
  env_.store.transaction([&] {
    env_.store.put_span(span_);
    if (record_.verify.ran)
      event(record_.verify.passed() ? "verify.passed" : "verify.failed",
            {{"passes", record_.verify.passes},
             {"repeats", record_.verify.repeats},
             {"first_failure", record_.verify.first_failure},
             {"changed_files", record_.changed_files}});
    if (!interrupted)
      event("agent.completed", {{"outcome", std::string(to_string(record_.outcome))},
                                {"verify", record_.verify.label()},
                                {"reason", record_.end_reason}});
    env_.state.save_agent(record_);
    event("checkpoint.saved", {{"status", std::string(to_string(record_.status))}});
  });
  env_.progress.log(fmt::format("{} {}: {}; verify {} ({}/{}); {} tools, {} tokens", record_.id,
                                to_string(record_.outcome), record_.end_reason, record_.verify.label(),
                                record_.verify.passes, record_.verify.repeats, record_.tool_calls,
                                record_.input_tokens + record_.output_tokens));
  if (!workspace_) return;
  if (!keeps_workspace(env_.config.workspace.keep, record_)) {
    try {
      workspace_->remove();
    } catch (const std::exception& e) {
      env_.progress.log(fmt::format("{}: could not remove workspace: {}", record_.id, e.what()));
    }
  }
}

}  // namespace harness
