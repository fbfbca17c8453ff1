// check_earlier_runs / inherit_observations / inherited_ref: see inherit_runs.h.
#include "harness/inherit_runs.h"

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "harness/exit_codes.h"
#include "harness/git.h"
#include "harness/state/run_state.h"
#include "observer/observation_set.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

std::string short_commit(const std::string& c) { return c.substr(0, 12); }

std::string trimmed_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

TargetIdentity target_identity(const Config& config) {
  TargetIdentity t;
  std::error_code ec;
  fs::path repo = fs::canonical(config.target.repo, ec);
  t.repo = ec ? fs::absolute(config.target.repo).string() : repo.string();
  auto commit = run_git(t.repo, {"rev-parse", "--verify", config.target.base_ref + "^{commit}"});
  if (!commit) throw UsageError(fmt::format("{}: target.base_ref: {}", config.path, commit.error()));
  t.base_commit = trimmed_line(*commit);
  return t;
}

std::vector<InheritedRun> check_earlier_runs(const std::vector<std::string>& dirs, const TargetIdentity& target,
                                             bool force) {
  std::vector<InheritedRun> out;
  std::set<std::string> ids;
  for (const auto& given : dirs) {
    std::error_code ec;
    fs::path dir = fs::canonical(given, ec);
    if (ec || !fs::exists(dir / "run.db"))
      throw UsageError(fmt::format("--from {}: no run there (expected a run directory holding run.db)", given));
    std::unique_ptr<trace::Store> store;
    try {
      store = trace::Store::open((dir / "run.db").string(), trace::Store::Mode::read_only);
    } catch (const std::exception& e) {
      throw UsageError(fmt::format("--from {}: cannot read its run.db: {}", given, e.what()));
    }
    auto run = RunState(*store).run();
    if (!run) throw UsageError(fmt::format("--from {}: its run.db holds no harness run", given));
    if (!ids.insert(run->id).second)
      throw UsageError(fmt::format("--from {}: run {} is named twice", given, run->id));
    InheritedRun r;
    r.dir = dir.string();
    r.run_id = run->id;
    auto theirs = recorded_target(*store);
    if (!theirs) {
      r.target_note = "its target is not recorded (a run from before targets were)";
    } else if (theirs->repo != target.repo) {
      r.target_note = fmt::format("repository {} != {}", theirs->repo, target.repo);
    } else if (theirs->base_commit != target.base_commit) {
      r.target_note = fmt::format("base commit {} != {}", short_commit(theirs->base_commit),
                                  short_commit(target.base_commit));
    }
    r.other_target = !r.target_note.empty();
    if (r.other_target && !force)
      throw UsageError(fmt::format("--from {}: another target: {}; its observations may not hold here (add --force "
                                   "to start from them anyway)",
                                   given, r.target_note));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<InheritedRun> inherit_observations(trace::Store& store, std::vector<InheritedRun> runs,
                                               const std::string& run_span_id, int64_t now_ns) {
  observer::ensure_observer_schema(store);
  observer::ObservationSet set = observer::ObservationSet::load(store);
  nlohmann::json listed = nlohmann::json::array();
  for (auto& r : runs) {
    auto older = trace::Store::open(r.dir + "/run.db", trace::Store::Mode::read_only);
    std::vector<observer::Observation> found;
    try {
      found = observer::ObservationSet::load(*older).all();
    } catch (const std::exception&) {
      // A run whose observer never ran has no observer tables: nothing to inherit from it.
    }
    for (auto& o : found) {
      // Their evidence and agents name the older run, so a label still opens where it was seen.
      for (auto& e : o.evidence) e.agent = r.run_id + "/" + e.agent;
      for (auto& a : o.agents) a = r.run_id + "/" + a;
      o.id.clear();
    }
    r.observations = static_cast<int>(found.size());
    set.add(0, found);
    listed.push_back({{"run_id", r.run_id}, {"dir", r.dir}, {"observations", r.observations},
                      {"other_target", r.other_target}, {"target_note", r.target_note}});
  }
  store.transaction([&] {
    set.save(store);
    for (const auto& r : runs) store.set_meta("from." + r.run_id, r.dir);
    trace::Event e;
    e.span_id = run_span_id;
    e.time_ns = now_ns;
    e.type = "run.inherited";
    e.payload = {{"runs", listed}, {"observations", set.size()}};
    store.put_event(e);
  });
  return runs;
}

std::optional<InheritedRef> inherited_ref(trace::Store& store, const std::string& ref) {
  size_t slash = ref.find('/');
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  auto dir = store.meta("from." + ref.substr(0, slash));
  if (!dir) return std::nullopt;
  return InheritedRef{*dir, ref.substr(slash + 1)};
}

}  // namespace harness
