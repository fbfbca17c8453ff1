// The fakes of fakes.h.
#include "fakes.h"

#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include "harness/generation_loop.h"
#include "harness/interrupt.h"
#include "trace/ids.h"

namespace fs = std::filesystem;

namespace harness_test {

namespace jsonl {
std::string session_start() { return R"({"hv":1,"type":"session.start","session":"main","agent":"fake"})"; }
std::string session_end() { return R"({"hv":1,"type":"session.end","session":"main","status":"ok"})"; }
std::string llm_call(int64_t input_tokens, int64_t output_tokens, double cost_usd) {
  nlohmann::json line = {
      {"hv", 1},           {"type", "llm.call"},           {"session", "main"},
      {"model", "fake-1"}, {"input_tokens", input_tokens}, {"output_tokens", output_tokens}};
  if (cost_usd > 0) line["cost_usd"] = cost_usd;
  return line.dump();
}
std::string tool_failed(const std::string& id, const std::string& output) {
  return nlohmann::json{{"hv", 1},  {"type", "tool.start"}, {"session", "main"},
                        {"id", id}, {"tool", "bash"},       {"input", "./verify.sh"}}
             .dump() +
         "\n" +
         nlohmann::json{{"hv", 1},           {"type", "tool.end"}, {"session", "main"}, {"id", id},
                        {"status", "error"}, {"exit_code", 1},     {"output", output}}
             .dump();
}
}  // namespace jsonl

// ---- FakeScript

FakeScript& FakeScript::print(std::string line) {
  steps.push_back({Step::print, std::move(line), "", 0, {}});
  return *this;
}
FakeScript& FakeScript::silent(int64_t ms) {
  steps.push_back({Step::silent, "", "", ms, {}});
  return *this;
}
FakeScript& FakeScript::edit(std::string file, std::string text) {
  steps.push_back({Step::edit, std::move(text), std::move(file), 0, {}});
  return *this;
}
FakeScript& FakeScript::exit(int code) {
  steps.push_back({Step::exit, "", "", 0, runners::ExitStatus{code, 0}});
  return *this;
}
FakeScript& FakeScript::exit_by_signal(int signal) {
  steps.push_back({Step::exit, "", "", 0, runners::ExitStatus{-1, signal}});
  return *this;
}
FakeScript& FakeScript::system_failure(std::string message) {
  system_failure_message = std::move(message);
  return *this;
}
FakeScript& FakeScript::term_takes(int64_t ms) {
  term_ms = ms;
  return *this;
}
FakeScript& FakeScript::ignore_term() {
  term_ms.reset();
  return *this;
}
FakeScript& FakeScript::fail_launch(std::string message, bool system) {
  launch_error = std::move(message);
  launch_error_is_system = system;
  return *this;
}
FakeScript& FakeScript::external_id(std::string value) {
  id = std::move(value);
  return *this;
}

// ---- FakeProcesses

struct FakeProcesses::Process {
  std::string id;
  FakeScript script;
  size_t next = 0;     // the next step
  int64_t due_ms = 0;  // when it runs
  OutputHandler on_output;
  FakeWorkspaceState* workspace = nullptr;
  std::optional<int64_t> term_at;  // when the first TERM came
  bool exited = false;             // its exit was reported, or end() ended it
  bool ended = false;              // end() ran: nothing more is reported
  harness::AgentProcess* handle = nullptr;
};

class FakeProcessHandle final : public harness::AgentProcess {
 public:
  FakeProcessHandle(FakeProcesses& owner, FakeProcesses::Process& p) : owner_(owner), p_(p) {
    p_.handle = this;
  }
  ~FakeProcessHandle() override {
    end(std::chrono::milliseconds(200));
    p_.handle = nullptr;
  }
  std::string external_id() const override { return p_.id; }
  void request_stop() override {
    if (p_.ended || p_.exited) return;
    owner_.stop_requests_.push_back(p_.id);
    if (!p_.term_at) p_.term_at = owner_.clock_.now_ms();
  }
  void end(std::chrono::milliseconds grace) override { owner_.end(p_, grace); }

 private:
  FakeProcesses& owner_;
  FakeProcesses::Process& p_;
};

FakeProcesses::FakeProcesses(FakeClock& clock, FakeWorkspaces& workspaces)
    : clock_(clock), workspaces_(workspaces) {}
FakeProcesses::~FakeProcesses() = default;

harness::Started FakeProcesses::start(harness::ProcessRole role, const runners::LaunchSpec& spec,
                                      OutputHandler on_output, OutputHandler /*on_stderr: fakes print none*/) {
  FakeLaunch launch{role, spec, "", clock_.now_ms()};
  FakeWorkspaceState* workspace = workspaces_.at_path(spec.cwd);
  FakeScript script;
  if (role == harness::ProcessRole::agent) {
    auto strategy = spec.env.find("HARNESS_STRATEGY");
    auto it = strategy == spec.env.end() ? agents_.end() : agents_.find(strategy->second);
    if (it == agents_.end()) {
      launches_.push_back(launch);
      return base::unexpected(harness::StartFailure{"fake: no script for this agent's strategy"});
    }
    script = it->second;
  } else if (verify_) {
    auto repeat = spec.env.find("HARNESS_VERIFY_REPEAT");
    if (!workspace)
      return base::unexpected(harness::StartFailure{"fake: verify outside any fake workspace: " + spec.cwd});
    script = verify_(*workspace, repeat == spec.env.end() ? 1 : std::stoi(repeat->second));
  } else {
    script = FakeScript().exit(0);
  }
  if (script.launch_error) {
    launches_.push_back(launch);
    return base::unexpected(harness::StartFailure{*script.launch_error, script.launch_error_is_system});
  }
  auto p = std::make_unique<Process>();
  p->id = script.id.empty() ? fmt::format("fake:{}", next_id_) : script.id;
  ++next_id_;
  p->script = std::move(script);
  p->due_ms = clock_.now_ms();
  p->on_output = std::move(on_output);
  p->workspace = workspace;
  launch.external_id = p->id;
  launches_.push_back(launch);
  auto handle = std::make_unique<FakeProcessHandle>(*this, *p);
  processes_.push_back(std::move(p));
  return std::unique_ptr<harness::AgentProcess>(std::move(handle));
}

std::optional<int64_t> FakeProcesses::next_due() const {
  std::optional<int64_t> due;
  auto consider = [&](int64_t t) { due = due ? std::min(*due, t) : t; };
  for (const auto& h : hooks_)
    if (!h.done) consider(h.at_ms);
  for (const auto& p : processes_) {
    if (p->exited || p->ended) continue;
    if (p->next < p->script.steps.size()) consider(p->due_ms);
    if (p->term_at && p->script.term_ms) consider(*p->term_at + *p->script.term_ms);
  }
  return due;
}

// Runs every hook and step due now; true when a process printed or exited.
bool FakeProcesses::run_due(std::vector<harness::ProcessExit>& exits) {
  const int64_t now = clock_.now_ms();
  for (size_t i = 0; i < hooks_.size(); ++i)
    if (!hooks_[i].done && hooks_[i].at_ms <= now) {
      hooks_[i].done = true;
      auto fn = hooks_[i].fn;  // may add hooks
      fn();
    }
  bool happened = false;
  for (auto& p : processes_) {
    if (p->exited || p->ended) continue;
    if (p->term_at && p->script.term_ms && *p->term_at + *p->script.term_ms <= now) {
      p->exited = true;
      exits.push_back({p->handle, runners::ExitStatus{-1, SIGTERM}, ""});
      happened = true;
      continue;
    }
    while (!p->exited && p->next < p->script.steps.size() && p->due_ms <= now) {
      const FakeScript::Step& step = p->script.steps[p->next++];
      switch (step.kind) {
        case FakeScript::Step::print:
          p->on_output(step.text + "\n");
          happened = true;
          break;
        case FakeScript::Step::silent:
          p->due_ms = now + step.ms;
          break;
        case FakeScript::Step::edit:
          if (p->workspace) p->workspace->files[step.file] = step.text;
          break;
        case FakeScript::Step::exit:
          p->exited = true;
          exits.push_back({p->handle, step.status, p->script.system_failure_message});
          happened = true;
          break;
      }
    }
  }
  return happened;
}

std::vector<harness::ProcessExit> FakeProcesses::wait(std::chrono::milliseconds timeout) {
  ++waits_;
  if (auto hook = wait_hooks_.find(waits_); hook != wait_hooks_.end()) {
    auto fn = std::move(hook->second);
    wait_hooks_.erase(hook);
    fn();
  }
  const int64_t deadline = clock_.now_ms() + timeout.count();
  std::vector<harness::ProcessExit> exits;
  for (;;) {
    auto due = next_due();
    if (!due || *due > deadline) {
      clock_.advance_to(deadline);
      return exits;
    }
    clock_.advance_to(*due);
    if (run_due(exits)) return exits;
  }
}

void FakeProcesses::end(Process& p, std::chrono::milliseconds grace) {
  if (p.ended) return;
  p.ended = true;
  if (p.exited) return;  // collected after its own exit: nothing was running
  p.exited = true;
  const int64_t now = clock_.now_ms();
  int64_t took = grace.count();  // ignores TERM: the KILL comes after the grace
  if (p.script.term_ms) {
    int64_t gone = std::min(p.term_at.value_or(now), now) + *p.script.term_ms;
    if (gone <= now + grace.count()) took = std::max<int64_t>(0, gone - now);
  }
  clock_.advance_to(now + took);
  kills_.push_back({p.id, grace.count(), now, took});
}

harness::LeftoversEnded FakeProcesses::end_leftovers(const harness::AgentRecord& attempt) {
  leftovers_asked_.push_back(fmt::format("{}#{}", attempt.id, attempt.attempt));
  return leftovers_result;
}

std::vector<FakeLaunch> FakeProcesses::launches(harness::ProcessRole role) const {
  std::vector<FakeLaunch> out;
  for (const auto& l : launches_)
    if (l.role == role) out.push_back(l);
  return out;
}

int FakeProcesses::running() const {
  return static_cast<int>(std::count_if(processes_.begin(), processes_.end(),
                                        [](const auto& p) { return !p->exited && !p->ended; }));
}

// ---- FakeWorkspaces

std::vector<std::string> FakeWorkspaceState::changed() const {
  std::vector<std::string> out;
  for (const auto& [name, text] : files) {
    auto it = base.find(name);
    if (it == base.end() || it->second != text) out.push_back(name);
  }
  for (const auto& [name, text] : base)
    if (!files.count(name)) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

class FakeWorkspace final : public harness::Workspace {
 public:
  explicit FakeWorkspace(std::shared_ptr<FakeWorkspaceState> state) : state_(std::move(state)) {}
  const std::string& path() const override { return state_->path; }
  std::string capture_patch() override {
    std::string patch;
    for (const auto& name : state_->changed())
      patch += fmt::format("--- a/{0}\n+++ b/{0}\n+{1}\n", name, state_->file(name));
    return patch;
  }
  std::vector<std::string> changed_files() override { return state_->changed(); }
  void restore_paths(const std::vector<std::string>& paths) override {
    state_->restored.push_back(paths);
    for (const auto& p : paths) {
      auto it = state_->base.find(p);
      if (it == state_->base.end())
        state_->files.erase(p);
      else
        state_->files[p] = it->second;
    }
  }
  void remove() override { state_->removed = true; }

 private:
  std::shared_ptr<FakeWorkspaceState> state_;
};

}  // namespace

base::Result<std::unique_ptr<harness::Workspace>> FakeWorkspaces::create(const std::string& name) {
  if (auto it = failures_.find(name); it != failures_.end()) return base::fail(it->second);
  if (auto it = spaces_.find(name); it != spaces_.end() && !it->second->removed)
    return base::fail(name + ": a workspace of that name exists");
  auto state = std::make_shared<FakeWorkspaceState>();
  state->name = name;
  state->path = "/fake-workspaces/" + name;
  state->base = base_;
  state->files = base_;
  spaces_[name] = state;
  created_.push_back(name);
  if (auto fn = std::exchange(after_create_, nullptr)) fn();
  return std::unique_ptr<harness::Workspace>(std::make_unique<FakeWorkspace>(state));
}

void FakeWorkspaces::discard(const std::string& name) {
  discarded_.push_back(name);
  if (auto it = spaces_.find(name); it != spaces_.end()) it->second->removed = true;
}

FakeWorkspaceState* FakeWorkspaces::named(const std::string& name) {
  auto it = spaces_.find(name);
  return it == spaces_.end() ? nullptr : it->second.get();
}

FakeWorkspaceState* FakeWorkspaces::at_path(const std::string& path) {
  for (auto& [name, state] : spaces_)
    if (state->path == path && !state->removed) return state.get();
  return nullptr;
}

std::vector<std::string> FakeWorkspaces::present() const {
  std::vector<std::string> out;
  for (const auto& [name, state] : spaces_)
    if (!state->removed) out.push_back(name);
  return out;
}

// ---- scripts

namespace scripts {

FakeScript agent_writing(const std::string& state) {
  return FakeScript()
      .print(jsonl::session_start())
      .print(jsonl::tool_failed("t1", "FAIL: state is bug"))
      .print(jsonl::llm_call(100, 10))
      .edit("state.txt", state)
      .print(jsonl::session_end())
      .exit(0);
}

FakeScript spender(int calls, int64_t input, int64_t output, int64_t every_ms) {
  FakeScript s;
  s.print(jsonl::session_start());
  for (int i = 0; i < calls; ++i) {
    if (i > 0) s.silent(every_ms);
    s.print(jsonl::llm_call(input, output));
  }
  return s.print(jsonl::session_end()).exit(0);
}

FakeProcesses::VerifyScript verify_state_fixed(int64_t takes_ms) {
  return [takes_ms](const FakeWorkspaceState& ws, int) {
    FakeScript s;
    if (takes_ms > 0) s.silent(takes_ms);
    if (ws.file("state.txt") == "fixed") return s.print("ok").exit(0);
    return s.print("FAIL: state is not fixed").exit(1);
  };
}

}  // namespace scripts

// ---- FakePlanner

std::vector<harness::SlotPlan> FakePlanner::plan(int number, int population) {
  planned.push_back(number);
  std::vector<harness::SlotPlan> plans;
  for (int slot = 1; slot <= population; ++slot) {
    const std::string& s = strategies_[(slot - 1) % strategies_.size()];
    plans.push_back({s, {{"name", s}, {"params", nlohmann::json::object()}}});
  }
  return plans;
}

void FakePlanner::observe_generation(int number, const std::vector<harness::AgentRecord>&) {
  observed.push_back(number);
  if (store) observed_in_transaction.push_back(store->in_transaction());
}

harness::GenerationSummary FakePlanner::finish_generation(int number,
                                                          const std::vector<harness::AgentRecord>&) {
  finished.push_back(number);
  if (store) finished_in_transaction.push_back(store->in_transaction());
  harness::GenerationSummary summary = summaries[number];
  if (summary.note.empty()) summary.note = "fake observer";
  return summary;
}

// ---- FakeRun

harness::Config FakeRun::default_config() {
  harness::Config c;
  c.path = "fake.yaml";
  c.name = "fake";
  c.generations = 1;
  c.population = 1;
  c.concurrency = 1;
  c.verify.command = "verify";
  c.verify.timeout_s = 0;
  c.runner.command = {"agent", "{prompt_file}"};
  c.runner.format = "jsonl";
  c.runner.idle_timeout_s = 0;
  c.runner.wall_timeout_s = 0;
  return c;
}

FakeRun::FakeRun(harness::Config c, std::vector<std::string> strategies)
    : config(std::move(c)), planner(std::move(strategies)) {
  std::string base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  std::string tmpl = base + "/harness-fake-run-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  store = trace::Store::open(dir_ + "/run.db");
  state = std::make_unique<harness::RunState>(*store);
  harness::RunRecord run;
  run.id = "fake-run";
  run.config_hash = "fake";
  run.trace_id = trace::derive_span_id("fake", "trace") + trace::derive_span_id("fake", "trace2");
  run.span_id = trace::derive_span_id(run.trace_id, "run");
  run.seed = 1;
  run.created_ns = clock.wall_ns();
  store->transaction([&] {
    trace::Span span;
    span.trace_id = run.trace_id;
    span.span_id = run.span_id;
    span.kind = trace::SpanKind::run;
    span.name = config.name;
    span.start_ns = run.created_ns;
    store->put_span(span);
    state->save_run(run);
    trace::Event e;
    e.span_id = run.span_id;
    e.time_ns = run.created_ns;
    e.type = "run.created";
    store->put_event(e);
  });
  ledger = std::make_unique<telemetry::SpendLedger>(harness::spend_limits(config));
  env = std::make_unique<harness::AgentEnvironment>(
      harness::AgentEnvironment{config, harness::RunDir{dir_}, *store, *state, processes, workspaces, clock,
                                progress, *ledger, run.trace_id, 1, ""});
}

FakeRun::~FakeRun() {
  env.reset();
  state.reset();
  store.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

harness::LoopResult FakeRun::run() {
  struct ClearInterrupt {
    ClearInterrupt() { harness::reset_interrupt(); }
    ~ClearInterrupt() { harness::reset_interrupt(); }
  } clear;
  if (make_planner) {
    auto made = make_planner(*env);
    harness::GenerationLoop loop(*env, *made);
    return loop.run();
  }
  harness::GenerationLoop loop(*env, planner);
  return loop.run();
}

harness::LoopResult FakeRun::resume() {
  auto run_record = *state->run();
  run_record.status = harness::RunStatus::running;
  state->save_run(run_record);
  // A resume is a new process: nothing of the old run's ledger survives but what run.db recorded.
  ledger = std::make_unique<telemetry::SpendLedger>(harness::spend_limits(config));
  env = std::make_unique<harness::AgentEnvironment>(
      harness::AgentEnvironment{config, harness::RunDir{dir_}, *store, *state, processes, workspaces, clock,
                                progress, *ledger, run_record.trace_id, 1, ""});
  return run();
}

namespace {

std::vector<std::string> loop_events(trace::Store& store, bool with_times) {
  std::set<std::string> loop_spans;
  store.for_each_span([&](const trace::Span& s) { loop_spans.insert(s.span_id); },
                      "kind IN ('run', 'generation', 'agent')");
  std::vector<std::string> out;
  store.for_each_event([&](const trace::Event& e) {
    if (!loop_spans.count(e.span_id)) return;
    std::string agent = e.payload.is_object() ? e.payload.value("agent", "") : "";
    std::string line = agent.empty() ? e.type : e.type + " " + agent;
    out.push_back(with_times ? fmt::format("{} {}", (e.time_ns - FakeClock::kEpochNs) / 1'000'000, line)
                             : line);
  });
  return out;
}

}  // namespace

std::vector<std::string> FakeRun::sequence() { return loop_events(*store, false); }
std::vector<std::string> FakeRun::timeline() { return loop_events(*store, true); }

std::vector<nlohmann::json> FakeRun::events(const std::string& type) {
  std::vector<nlohmann::json> out;
  store->for_each_event([&](const trace::Event& e) {
    if (e.type == type) out.push_back(e.payload);
  });
  return out;
}

harness::AgentRecord FakeRun::agent(const std::string& id, int attempt) {
  for (const auto& a : state->agents())
    if (a.id == id && a.attempt == attempt) return a;
  throw std::runtime_error(fmt::format("no agent {} attempt {}", id, attempt));
}

}  // namespace harness_test
