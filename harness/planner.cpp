// The real GenerationPlanner: strategies/ allocates (fixed, round_robin, bandit, evolve, or a meta-agent),
// templates/ renders each prompt with the observations chosen under a size budget, observer/ turns each finished
// generation into observations (rules, then the optional LLM observer), observations.md and a convergence record.
#include "harness/planner.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "harness/advisor_setup.h"
#include "harness/config/config_presets.h"
#include "harness/meta_design.h"
#include "observer/convergence.h"
#include "observer/observation_set.h"
#include "observer/observe_agent.h"
#include "observer/observe_generation.h"
#include "observer/prompt_context.h"
#include "strategies/allocation.h"
#include "strategies/steering.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read", path));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

observer::AgentStatus status_of(AgentOutcome o) {
  switch (o) {
    case AgentOutcome::crashed: return observer::AgentStatus::crashed;
    case AgentOutcome::killed_stuck: return observer::AgentStatus::killed_stuck;
    case AgentOutcome::killed_timeout: return observer::AgentStatus::killed_timeout;
    case AgentOutcome::killed_budget: return observer::AgentStatus::killed_budget;
    case AgentOutcome::killed_loop: return observer::AgentStatus::killed_loop;
    case AgentOutcome::launch_failed: return observer::AgentStatus::launch_failed;
    case AgentOutcome::interrupted: return observer::AgentStatus::interrupted;
    default: return observer::AgentStatus::completed;
  }
}

strategies::Strategy strategy_of(const nlohmann::json& j, const std::string& name) {
  strategies::Strategy s;
  s.name = j.value("name", name);
  s.params = j.value("params", nlohmann::json::object());
  s.model = j.value("model", "");
  if (j.contains("space")) s.space = j["space"];
  return s;
}

class Planner : public GenerationPlanner {
 public:
  explicit Planner(AgentEnvironment& env)
      : env_(env),
        allocator_(strategies::policy_from(env.config.strategies.allocation).value_or(strategies::Policy::round_robin),
                   pool(env), env.seed) {
    observer::ensure_observer_schema(env_.store);
    observations_ = observer::ObservationSet::load(env_.store);
    observed_ = observer::observed_agents(env_.store);  // a resumed generation: who was already observed
    std::string path = env_.config.prompt_template.empty()
                           ? (harness_home() / "templates" / "agent_prompt.mustache").string()
                           : env_.config.prompt_template;
    template_ = read_text(path);
    if (auto err = observer::prompt_template_error(template_); !err.empty())
      throw std::runtime_error(fmt::format("{}: {}", path, err));
    observer_advisor_ = make_observer_advisor(env_);
    meta_advisor_ = make_meta_advisor(env_);
    seed_advisor_spend(env_);
    // A resumed run: the allocator learns what the completed generations did, so it allocates as it would have.
    for (const auto& g : env_.state.generations())
      if (g.status == GenerationStatus::completed) record_results(g.number, latest(env_.state.agents(g.number)));
  }

  std::vector<SlotPlan> plan(int number, int population) override {
    std::vector<strategies::Strategy> chosen = allocator_.allocate(number, population);
    const bool meta_command = !env_.config.strategies.meta_command.empty();
    if ((meta_command || meta_advisor_) && number > 1) chosen = ask_meta_agent(number, population, chosen);
    std::vector<SlotPlan> out;
    for (const auto& s : chosen) {
      nlohmann::json j = {{"name", s.name}, {"params", s.params}, {"model", s.model}};
      if (!s.space.empty()) j["space"] = s.space;
      out.push_back({s.name, j});
    }
    return out;
  }

  std::string prompt(const AgentRecord& a) override {
    observer::PromptInputs in;
    in.bug = env_.config.target.bug;
    in.verify_command = env_.config.verify.command;
    in.generation = a.generation;
    in.generations = env_.config.generations;
    in.agent_id = a.id;
    in.strategy_name = a.strategy;
    in.strategy_params = a.strategy_json.value("params", nlohmann::json::object());
    in.model = a.strategy_json.value("model", "");
    if (env_.config.observer.inject) {
      in.partial_fixes = observer::partial_fix_texts(observations_);
      in.observations = observations_.select_for_prompt(env_.config.observer.prompt_budget_chars);
      in.total_observations = observations_.size();
    }
    return observer::render_prompt(template_, in);
  }

  void observe_generation(int number, const std::vector<AgentRecord>& agents) override {
    auto finished = latest(agents);
    outcomes_.clear();
    for (const auto& a : finished)
      if (!a.span_id.empty()) outcomes_.push_back(outcome_of(a));  // empty: never launched (stop rule)
    observe_options_ = observe_options(number);
    for (const auto& [span, findings] : observed_)
      if (findings.generation == number) observe_options_.already_observed.insert(span);
    assessment_ = observer::assess_generation(env_.store, number, outcomes_, observations_, observe_options_);
  }

  GenerationSummary finish_generation(int number, const std::vector<AgentRecord>& agents) override {
    if (!assessment_ || assessment_->generation != number) observe_generation(number, agents);
    auto finished = latest(agents);
    observer::ObserveResult r = observer::record_generation(env_.store, std::move(*assessment_), outcomes_,
                                                            observations_, observe_options_);
    assessment_.reset();
    last_digest_ = std::move(r.digest);
    // Both are recorded on the generation's observer span; the run goes on: the rules' observations stand alone.
    if (!r.llm_error.empty())
      env_.progress.log(observer_advisor_ ? "observer.llm failed, the rules' observations stand: " + r.llm_error
                                          : fmt::format("observer.command failed: {}", r.llm_error));
    if (!r.write_error.empty()) env_.progress.log(fmt::format("observations.md: {}", r.write_error));
    const observer::GenerationRecord& record = r.record;
    record_results(number, finished);

    GenerationSummary s;
    s.new_observations = static_cast<int>(observations_.added_in(number).size());
    s.new_important = record.new_important;
    s.total_observations = static_cast<int>(observations_.size());
    s.note = fmt::format("{} new observations ({} important), {} in all", s.new_observations, s.new_important,
                         s.total_observations);
    return s;
  }

  AgentLesson learn_from_agent(const AgentRecord& a, std::vector<AgentRecord>& queued) override {
    AgentLesson lesson;
    if (!env_.config.observer.incremental || a.span_id.empty() || observed_.count(a.span_id)) return lesson;
    size_t before = observations_.size();
    // The rules only read run.db: no transaction is held while they run.
    observer::AgentFindings findings = observer::assess_agent(env_.store, outcome_of(a), observations_);
    observed_[a.span_id] = findings;
    lesson.observed = true;
    lesson.new_observations = static_cast<int>(observations_.size() - before);
    lesson.total_observations = static_cast<int>(observations_.size());
    lesson.moved = steer(a.generation, queued);
    env_.store.transaction([&] {
      lesson.write_error = observer::record_agent(env_.store, findings, observations_, env_.dir.observations());
      for (const auto& record : queued)
        for (const auto& m : lesson.moved)
          if (m.agent_id == record.id) env_.state.save_agent(record);
      for (const auto& m : lesson.moved)
        generation_event(a.generation, "allocation.steered",
                         {{"agent", m.agent_id}, {"from", m.from}, {"to", m.to}, {"observation", m.observation},
                          {"failed_agents", m.failed_agents}});
    });
    return lesson;
  }

 private:
  // The meta-agent (strategies.meta_command, or the strategies.meta preset) designs generation `number`; the
  // policy's `chosen` is what it falls back to (harness/meta_design.h).
  std::vector<strategies::Strategy> ask_meta_agent(int number, int population,
                                                   const std::vector<strategies::Strategy>& chosen) {
    if (last_digest_.empty() || last_digest_.value("generation", 0) != number - 1) last_digest_ = digest_of(number - 1);
    MetaDesignRequest request{number, population, chosen, last_digest_, nlohmann::json::array(), allocator_.pool(),
                              allocator_.stats()};
    for (const auto& o : observations_.ranked())
      request.observations.push_back({{"id", o.id}, {"priority", observer::to_string(o.priority)},
                                      {"kind", std::string(observer::to_string(o.kind))}, {"text", o.text},
                                      {"count", o.count}, {"evidence", evidence_labels(o)}});
    return design_with_meta_agent(env_, meta_advisor_ ? &*meta_advisor_ : nullptr, request);
  }

  // The digest of a generation already recorded (a resumed run plans the next one without having observed it).
  nlohmann::json digest_of(int number) {
    std::vector<observer::AgentOutcome> outcomes;
    for (const auto& a : latest(env_.state.agents(number)))
      if (!a.span_id.empty()) outcomes.push_back(outcome_of(a));
    if (outcomes.empty()) return nlohmann::json::object();
    return observer::build_digest(env_.store, number, outcomes, observations_);
  }

  static nlohmann::json evidence_labels(const observer::Observation& o) {
    nlohmann::json labels = nlohmann::json::array();
    for (const auto& e : o.evidence) {
      if (labels.size() >= 3) break;
      labels.push_back(e.label());
    }
    return labels;
  }

  // strategies.reallocate_after: the queued attempts of a strategy that failed the same way often enough get
  // the least used other strategy of the pool.
  std::vector<SlotMove> steer(int number, std::vector<AgentRecord>& queued) {
    std::vector<SlotMove> moves;
    if (env_.config.strategies.reallocate_after < 1 || queued.empty()) return moves;
    std::vector<strategies::FinishedAgent> finished;
    std::map<std::string, int> slots;
    std::vector<AgentRecord> generation = latest(env_.state.agents(number));
    for (const auto& a : generation) {
      auto it = observed_.find(a.span_id);
      if (a.span_id.empty() || it == observed_.end()) continue;
      strategies::FinishedAgent f;
      f.agent_id = a.id;
      f.strategy = a.strategy;
      f.failed = !a.verify.passed() && !a.verify.partial();
      for (const auto& id : it->second.matched)
        if (const auto* o = observations_.find(id); o && o->priority == observer::Priority::important)
          f.important.push_back(id);
      finished.push_back(std::move(f));
    }
    auto failures = strategies::repeated_failures(finished, env_.config.strategies.reallocate_after);
    if (failures.empty()) return moves;
    // Slots by strategy: the generation's attempts as they stand, the queued ones as they will be.
    std::map<std::string, const AgentRecord*> queued_by_id;
    for (const auto& q : queued) queued_by_id[q.id] = &q;
    for (const auto& a : generation)
      if (!queued_by_id.count(a.id)) ++slots[a.strategy];
    for (const auto& q : queued) ++slots[q.strategy];
    std::set<std::string> avoid;
    for (const auto& f : failures) avoid.insert(f.strategy);
    // The queue launches from its back: walk it in launch order so the first slots to run are moved first.
    for (auto it = queued.rbegin(); it != queued.rend(); ++it) {
      AgentRecord& q = *it;
      auto failure = std::find_if(failures.begin(), failures.end(),
                                  [&](const auto& f) { return f.strategy == q.strategy; });
      if (failure == failures.end()) continue;
      auto to = strategies::replacement(allocator_.pool(), avoid, slots);
      if (!to) break;  // every strategy of the pool failed this way: nothing better to give
      --slots[q.strategy];
      ++slots[to->name];
      moves.push_back({q.id, q.strategy, to->name, failure->observation, failure->agents});
      q.strategy = to->name;
      q.strategy_json = {{"name", to->name}, {"params", to->params}, {"model", to->model}};
      if (!to->space.empty()) q.strategy_json["space"] = to->space;
    }
    return moves;
  }

  void generation_event(int number, const std::string& type, nlohmann::json payload) {
    if (auto gen = env_.state.generation(number)) put_event(gen->span_id, type, std::move(payload));
  }

  observer::ObserveOptions observe_options(int number) {
    observer::ObserveOptions opts;
    opts.llm.command = env_.config.observer.command;
    opts.llm.timeout_s = env_.config.observer.command_timeout_s;
    opts.digest_search = env_.config.observer.digest_search;
    if (observer_advisor_) {
      opts.llm.label = "observer.llm " + env_.config.observer.llm;
      opts.llm.retries = 1;
      opts.llm.ask = [this, number](const std::string& input) {
        nlohmann::json doc = nlohmann::json::parse(input, nullptr, false);
        AdvisorOutcome o = observer_advisor_->ask(number, doc, doc.contains("previous_error") ? 2 : 1);
        return observer::AskedAnswer{o.output, o.error};
      };
    }
    opts.want_digest = !env_.config.strategies.meta_command.empty() || meta_advisor_.has_value();
    opts.markdown_path = env_.dir.observations();
    if (auto run = env_.state.run()) opts.trace_id = run->trace_id;
    if (auto gen = env_.state.generation(number)) {
      opts.parent_span_id = gen->span_id;
      opts.wall_ms = (env_.clock.wall_ns() - gen->started_ns) / 1000000;
    }
    return opts;
  }

  static std::vector<strategies::Strategy> pool(AgentEnvironment& env) {
    auto presets = strategies::load_presets(strategies::default_presets_dir(harness_home().string()));
    std::vector<strategies::Strategy> out;
    for (const auto& s : env.config.strategies.list) {
      strategies::Strategy st;
      if (const auto* preset = strategies::find_strategy(presets.presets, s.name)) st = *preset;
      st.name = s.name;
      for (auto it = s.params.begin(); it != s.params.end(); ++it) st.params[it.key()] = it.value();
      if (!s.model.empty()) st.model = s.model;
      if (s.space.is_object() && !s.space.empty()) st.space = s.space;
      out.push_back(std::move(st));
    }
    if (out.empty()) out = presets.presets;
    if (out.empty()) {
      strategies::Strategy fallback;
      fallback.name = "default";
      out.push_back(fallback);
    }
    return out;
  }

  static std::vector<AgentRecord> latest(const std::vector<AgentRecord>& agents) {
    std::map<std::pair<int, int>, AgentRecord> by_slot;
    for (const auto& a : agents) {
      auto key = std::make_pair(a.generation, a.slot);
      if (!by_slot.count(key) || by_slot[key].attempt < a.attempt) by_slot[key] = a;
    }
    std::vector<AgentRecord> out;
    for (auto& [k, a] : by_slot) out.push_back(a);
    return out;
  }

  observer::AgentOutcome outcome_of(const AgentRecord& a) const {
    observer::AgentOutcome o;
    o.agent_id = a.id;
    o.generation = a.generation;
    o.agent_span_id = a.span_id;
    o.strategy = a.strategy;
    o.status = status_of(a.outcome);
    o.exit_description = a.end_reason;
    o.verify.ran = a.verify.ran;
    o.verify.passed = a.verify.passed();
    o.verify.passes = a.verify.passes;
    o.verify.repeats = a.verify.repeats;
    o.verify.first_failure = a.verify.first_failure;
    std::string log = env_.dir.agent(a.generation, a.slot, a.attempt) + "/verify.log";
    if (std::ifstream in(log, std::ios::binary | std::ios::ate); in) {  // its end only: it may be megabytes
      auto size = static_cast<std::streamoff>(in.tellg());
      std::streamoff from = std::max<std::streamoff>(0, size - 2000);
      in.seekg(from);
      o.verify.log_tail.assign(static_cast<size_t>(size - from), '\0');
      in.read(o.verify.log_tail.data(), size - from);
    }
    o.changed_files = a.changed_files;
    o.tokens_in = a.input_tokens;
    o.tokens_out = a.output_tokens;
    o.cost_usd = a.cost_usd;
    o.duration_ms = (a.finished_ns - a.started_ns) / 1000000;
    o.goal = fmt::format("strategy {}: {}", a.strategy, a.strategy_json.value("params", nlohmann::json::object()).dump());
    std::string ws_root = env_.config.workspace.root.empty() ? env_.dir.root + "/workspaces" : env_.config.workspace.root;
    o.workspace = fs::absolute(ws_root + "/" + a.id).string();
    return o;
  }

  void record_results(int number, const std::vector<AgentRecord>& agents) {
    auto added = observations_.added_in(number);
    for (const auto& a : agents) {
      if (a.span_id.empty()) continue;
      int important = 0;
      for (const auto& id : added)
        if (const auto* o = observations_.find(id))
          if (o->priority == observer::Priority::important && !o->agents.empty() && o->agents.front() == a.id)
            ++important;
      allocator_.record(strategy_of(a.strategy_json, a.strategy),
                        strategies::progress_score(a.verify.passed(), a.verify.partial(), important));
    }
  }

  void run_event(const std::string& type, nlohmann::json payload) {
    if (auto run = env_.state.run()) put_event(run->span_id, type, std::move(payload));
  }

  void put_event(const std::string& span_id, const std::string& type, nlohmann::json payload) {
    trace::Event e;
    e.span_id = span_id;
    e.time_ns = env_.clock.wall_ns();
    e.type = type;
    e.payload = std::move(payload);
    env_.store.put_event(e);
  }

  AgentEnvironment& env_;
  std::optional<Advisor> observer_advisor_, meta_advisor_;  // observer.llm / strategies.meta presets
  strategies::Allocator allocator_;
  observer::ObservationSet observations_;
  std::string template_;
  nlohmann::json last_digest_ = nlohmann::json::object();
  // Between observe_generation and finish_generation: what was found, for the outcomes it was found in.
  std::optional<observer::Assessment> assessment_;
  std::vector<observer::AgentOutcome> outcomes_;
  observer::ObserveOptions observe_options_;
  // The agents observed one by one (observer.incremental), by agent span id; loaded from run.db on resume.
  std::map<std::string, observer::AgentFindings> observed_;
};

}  // namespace

std::unique_ptr<GenerationPlanner> make_planner(AgentEnvironment& env) { return std::make_unique<Planner>(env); }

}  // namespace harness
