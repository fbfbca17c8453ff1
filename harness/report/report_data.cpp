#include "harness/report/report_data.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "harness/report/report.h"
#include "harness/state/run_dir.h"
#include "trace/json_parse.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

int64_t duration_ns(const AgentRecord& a) {
  return a.started_ns > 0 && a.finished_ns >= a.started_ns ? a.finished_ns - a.started_ns : 0;
}

bool is_kill(AgentOutcome o) {
  return o == AgentOutcome::killed_stuck || o == AgentOutcome::killed_timeout || o == AgentOutcome::killed_budget ||
         o == AgentOutcome::killed_loop;
}

// Money and time count every attempt; outcomes count the attempt that stands for its slot.
void add_attempt(ReportTally& t, const AgentRecord& a, bool latest) {
  ++t.attempts;
  t.input_tokens += a.input_tokens;
  t.output_tokens += a.output_tokens;
  t.cost_usd += a.cost_usd;
  t.agent_time_ns += duration_ns(a);
  if (!latest) return;
  ++t.agents;
  t.validated_fixes += is_validated_fix(a);
  t.partial_fixes += is_partial_fix(a);
  t.kills += is_kill(a.outcome);
  t.crashes += a.outcome == AgentOutcome::crashed;
}

// The few config keys the report quotes, from the snapshot in the run dir. A snapshot that does not parse leaves
// them empty: the report is still worth writing.
void read_config_snapshot(const std::string& path, ReportData& d) {
  if (!fs::exists(path)) return;
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (root["name"] && root["name"].IsScalar()) d.name = root["name"].as<std::string>();
    if (root["generations"] && root["generations"].IsScalar()) d.planned_generations = root["generations"].as<int>();
    if (auto v = root["verify"]; v && v.IsMap()) {
      if (v["command"] && v["command"].IsScalar()) d.verify_command = v["command"].as<std::string>();
      if (v["repeat"] && v["repeat"].IsScalar()) d.verify_repeat = v["repeat"].as<int>();
    }
  } catch (const YAML::Exception&) {
    // Unreadable snapshot: `harness validate` is where its errors are reported, not here.
  }
}

std::string read_clipped(const std::string& path, size_t limit, bool& clipped) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string text(limit + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  clipped = text.size() > limit;
  if (clipped) text.resize(text.rfind('\n', limit) == std::string::npos ? limit : text.rfind('\n', limit) + 1);
  return text;
}

void fill_generation_details(ReportData& d, ReportGeneration& gen, const std::vector<const AgentRecord*>& latest) {
  std::set<std::string> seen_strategies;
  std::map<std::string, int> files;
  for (const AgentRecord* a : latest) {
    if (seen_strategies.insert(a->strategy).second) gen.strategies.push_back(a->strategy);
    for (const auto& f : a->changed_files) ++files[f];
    if (a->status == AttemptStatus::completed && a->verify.ran && !a->verify.passed())
      gen.ruled_out.push_back({a->id, a->strategy, a->changed_files, a->verify});
  }
  gen.files_changed.assign(files.begin(), files.end());
  std::stable_sort(gen.files_changed.begin(), gen.files_changed.end(),
                   [](const auto& x, const auto& y) { return x.second > y.second; });
  for (size_t i = 0; i < d.observations.size(); ++i) {
    const auto& o = d.observations[i];
    if (o.first_gen == gen.number && priority_rank(o.priority) == 0) gen.learned.push_back(i);
  }
}

// `previous_total`: the generation before's accumulated count, which a generation without figures keeps at least.
void fill_convergence(ReportData& d, ReportGeneration& gen, trace::Store& store, const std::string& span_id,
                      int previous_total) {
  if (auto span = store.span(span_id); span && span->attributes.contains("harness.total_observations")) {
    const auto& at = span->attributes;
    gen.total_observations = at.value("harness.total_observations", 0);
    gen.new_observations = at.value("harness.new_observations", 0);
    gen.new_important = at.value("harness.new_important_observations", 0);
    gen.observer_figures = true;
    return;
  }
  for (const auto& o : d.observations) {
    gen.total_observations += o.first_gen > 0 && o.first_gen <= gen.number;
    gen.new_observations += o.first_gen == gen.number;
    gen.new_important += o.first_gen == gen.number && priority_rank(o.priority) == 0;
  }
  gen.total_observations = std::max(gen.total_observations, previous_total);
}

using LatestAttempts = std::map<std::pair<int, int>, const AgentRecord*>;  // (generation, slot) -> latest

LatestAttempts latest_attempt_per_slot(const std::vector<AgentRecord>& attempts) {
  LatestAttempts latest;
  for (const auto& a : attempts) {
    auto& slot = latest[{a.generation, a.slot}];
    if (!slot || slot->attempt < a.attempt) slot = &a;
  }
  return latest;
}

void sort_observations(std::vector<ReportObservation>& observations) {
  std::stable_sort(observations.begin(), observations.end(), [](const auto& a, const auto& b) {
    int pa = priority_rank(a.priority), pb = priority_rank(b.priority);
    if (pa != pb) return pa < pb;
    if (a.count != b.count) return a.count > b.count;
    return a.id < b.id;
  });
}

// The run's totals and the per-strategy table; returns the last time an attempt finished.
int64_t tally_attempts(ReportData& d, const LatestAttempts& latest) {
  std::map<std::string, ReportTally> by_strategy;
  int64_t last_activity_ns = d.run.created_ns;
  for (const auto& a : d.attempts) {
    bool is_latest = latest.at({a.generation, a.slot}) == &a;
    add_attempt(d.totals, a, is_latest);
    add_attempt(by_strategy[a.strategy], a, is_latest);
    last_activity_ns = std::max(last_activity_ns, a.finished_ns);
  }
  for (auto& [name, tally] : by_strategy) d.strategies.push_back({name, tally});
  std::stable_sort(d.strategies.begin(), d.strategies.end(), [](const auto& a, const auto& b) {
    if (a.tally.validated_fixes != b.tally.validated_fixes) return a.tally.validated_fixes > b.tally.validated_fixes;
    return a.tally.partial_fixes > b.tally.partial_fixes;
  });
  return last_activity_ns;
}

// One row per generation record; `last_activity_ns` moves on to the last generation's end.
void fill_generations(ReportData& d, RunState& state, trace::Store& store, const LatestAttempts& latest,
                      int64_t& last_activity_ns) {
  for (const auto& g : state.generations()) {
    ReportGeneration gen;
    gen.number = g.number;
    gen.status = g.status;
    gen.started_ns = g.started_ns;
    gen.finished_ns = g.finished_ns;
    std::vector<const AgentRecord*> gen_latest;
    int64_t last_ns = g.started_ns;
    for (const auto& a : d.attempts) {
      if (a.generation != g.number) continue;
      bool is_latest = latest.at({a.generation, a.slot}) == &a;
      add_attempt(gen.tally, a, is_latest);
      if (is_latest) gen_latest.push_back(&a);
      last_ns = std::max(last_ns, a.finished_ns);
    }
    int64_t end_ns = g.finished_ns > 0 ? g.finished_ns : last_ns;
    gen.wall_ns = g.started_ns > 0 && end_ns > g.started_ns ? end_ns - g.started_ns : 0;
    last_activity_ns = std::max(last_activity_ns, g.finished_ns);
    fill_convergence(d, gen, store, g.span_id, d.generations.empty() ? 0 : d.generations.back().total_observations);
    fill_generation_details(d, gen, gen_latest);
    d.generations.push_back(std::move(gen));
  }
}

// The winner (the first validated fix: its patch and trace tree), else the best partial fix.
void fill_outcome(ReportData& d, trace::Store& store, const RunDir& dir, const LatestAttempts& latest) {
  const AgentRecord* first_fix = nullptr;
  const AgentRecord* best_partial = nullptr;
  for (const auto& [key, a] : latest) {
    auto earlier = [](const AgentRecord* x, const AgentRecord* y) {
      return std::tie(x->generation, x->finished_ns, x->slot) < std::tie(y->generation, y->finished_ns, y->slot);
    };
    if (is_validated_fix(*a) && (!first_fix || earlier(a, first_fix))) first_fix = a;
    if (is_partial_fix(*a) && (!best_partial || a->verify.passes * best_partial->verify.repeats >
                                                best_partial->verify.passes * a->verify.repeats))
      best_partial = a;
  }
  if (first_fix) {
    ReportWinner w;
    w.agent = *first_fix;
    std::string patch_file = dir.agent(first_fix->generation, first_fix->slot, first_fix->attempt) + "/patch.diff";
    if (fs::exists(patch_file)) {
      w.patch_path = dir.relative(patch_file);
      w.patch = read_clipped(patch_file, kPatchLimit, w.patch_clipped);
    }
    if (!first_fix->span_id.empty()) w.trace_tree = render_trace_tree(store, first_fix->span_id, 150, &w.trace_spans);
    d.winner = std::move(w);
  } else if (best_partial) {
    d.best_partial = *best_partial;
  }
}

}  // namespace

int priority_rank(std::string_view p) {
  if (p == "important") return 0;
  if (p == "possible") return 1;
  if (p == "informational") return 2;
  return 3;
}

ReportData load_report_data(const std::string& run_dir, trace::Store& store,
                            std::optional<std::vector<ReportObservation>> observations, EarlierRuns earlier) {
  if (!store.has_table("harness_run"))
    throw ReportError(fmt::format("{}: not a harness run (run.db has no run record)", run_dir));
  RunState state(store);
  RunDir dir{run_dir};
  ReportData d;
  d.run_dir = run_dir;
  d.generated_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  auto run = state.run();
  if (!run) throw ReportError(fmt::format("{}: not a harness run (run.db has no run record)", run_dir));
  d.run = *run;
  d.finished = d.run.status == RunStatus::completed || d.run.status == RunStatus::failed;
  if (!d.run.span_id.empty())
    if (auto span = store.span(d.run.span_id)) {
      d.stop_reason = span->attributes.value("harness.stop_reason", "");
      d.sandbox = span->attributes.value("harness.sandbox", "");
      d.sandbox_warning = span->attributes.value("harness.sandbox_warning", "");
    }
  read_config_snapshot(dir.config(), d);

  if (!observations) observations = load_observations(store);
  d.observations_available = observations.has_value();
  if (observations) d.observations = std::move(*observations);
  sort_observations(d.observations);

  d.attempts = state.agents();
  std::map<std::string, std::string> agent_of_span;
  for (const auto& a : d.attempts) agent_of_span[a.span_id] = a.id;
  if (store.has_table("events"))
    store.query("SELECT span_id, payload FROM events WHERE type='cost.disagreement' ORDER BY id", {},
                [&](const trace::Row& r) {
                  auto p = trace::parse_untrusted_json(r.text(1));
                  if (!p.is_object()) return;
                  auto it = agent_of_span.find(r.text(0));
                  d.cost_disagreements.push_back({it == agent_of_span.end() ? r.text(0) : it->second,
                                                  p.value("stated_usd", 0.0), p.value("priced_usd", 0.0),
                                                  p.value("price_table", "")});
                });
  LatestAttempts latest = latest_attempt_per_slot(d.attempts);
  int64_t last_activity_ns = tally_attempts(d, latest);
  fill_generations(d, state, store, latest, last_activity_ns);
  int64_t run_end = d.run.finished_ns > 0 ? d.run.finished_ns : last_activity_ns;
  d.wall_ns = d.run.created_ns > 0 && run_end > d.run.created_ns ? run_end - d.run.created_ns : 0;
  fill_outcome(d, store, dir, latest);
  fill_advisors(d, store);
  fill_inherited(d, store, earlier);
  return d;
}

}  // namespace harness
