// Store faults, measured: run.db made to fail underneath a whole run (fault_vfs, a SQLite VFS wrapped around the
// default one) at each of its writes in turn, at an fsync, at an open, and with the disk full. Each faulted run
// must stop with a clear store error and exit 3, leave a run.db that passes PRAGMA integrity_check, keep every
// agent it had recorded as completed, and finish as the uninterrupted run does once resumed with the fault gone.
// The run is in-process (fakes.h) with the real planner, so the observer's saves are the product's own.
#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "fakes.h"
#include "fault_vfs.h"
#include "loop_fixture.h"
#include "harness/exit_codes.h"
#include "harness/planner.h"
#include "harness/report/report.h"
#include "observer/observation_set.h"

namespace harness_test {
namespace {

using fault_vfs::File;
using fault_vfs::Op;

harness::Config config() {
  auto c = FakeRun::default_config();
  c.generations = 2;
  c.population = 3;
  c.concurrency = 2;
  c.stop.after_fixes = 0;
  c.strategies.allocation = "round_robin";
  c.strategies.reallocate_after = 0;
  c.strategies.list = {{"slow", {}, ""}, {"wrong", {}, ""}, {"fixer", {}, ""}};
  return c;
}

// A run of the real planner (allocation, prompts, observer) over scripted agents. With synchronous=NORMAL in WAL
// mode only checkpoints fsync, and a run this small never fills the WAL to its automatic checkpoint: with
// `checkpoint_every_commit` each commit checkpoints, so that fsyncs happen all along the run.
std::unique_ptr<FakeRun> make_run(bool checkpoint_every_commit = false) {
  fault_vfs::install();  // before the run opens its store: every file of it goes through the wrapper
  auto run = std::make_unique<FakeRun>(config(), std::vector<std::string>{});
  run->make_planner = [](harness::AgentEnvironment& env) { return harness::make_planner(env); };
  // The observer's tables exist before any fault is armed: the planner creates them once, as the run starts,
  // outside the loop (a fault there stops the run before anything ran; resume is then a fresh start).
  observer::ensure_observer_schema(*run->store);
  if (checkpoint_every_commit) run->store->execute("PRAGMA wal_autocheckpoint=1");
  run->processes.script_agent("slow", FakeScript().print(jsonl::session_start()).silent(300).exit(0));
  run->processes.script_agent("wrong", scripts::wrong());
  run->processes.script_agent("fixer", scripts::fixer());
  run->processes.script_verify(scripts::verify_state_fixed(150));
  return run;
}

// What `harness resume` starts from: a new process, so the store is closed (as the dying one closed it) and
// opened again.
void reopen(FakeRun& run) {
  run.env.reset();
  run.state.reset();
  run.store.reset();
  run.store = trace::Store::open(run.dir() + "/run.db");
  run.state = std::make_unique<harness::RunState>(*run.store);
}

// PRAGMA integrity_check through plain SQLite (the default unix VFS, not the wrapper).
std::string integrity(const std::string& db_path) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, "unix") != SQLITE_OK) {
    out = std::string("cannot open: ") + sqlite3_errmsg(db);
  } else {
    sqlite3_exec(
        db, "PRAGMA integrity_check",
        [](void* o, int, char** v, char**) {
          *static_cast<std::string*>(o) += v[0] ? v[0] : "";
          return 0;
        },
        &out, nullptr);
  }
  sqlite3_close(db);
  return out;
}

// generation -> slot -> "strategy/verify/outcome" of its one completed attempt (a duplicate fails the test).
std::map<int, std::map<int, std::string>> completed(FakeRun& run) {
  std::map<int, std::map<int, std::string>> out;
  for (const auto& a : run.agents()) {
    if (a.status != harness::AttemptStatus::completed) continue;
    EXPECT_FALSE(out[a.generation].count(a.slot)) << "duplicate " << a.id;
    out[a.generation][a.slot] = fmt::format("{}/{}/{}", a.strategy, a.verify.label(), to_string(a.outcome));
  }
  return out;
}

// "fingerprint xcount" of every observation: what the observer kept.
std::vector<std::string> observations(FakeRun& run) {
  std::vector<std::string> out;
  auto set = observer::ObservationSet::load(*run.store);
  for (const auto& o : set.all())
    out.push_back(fmt::format("{} x{}", o.fingerprint, o.count));
  // Sorted: a re-run attempt may finish in another order than the first, which numbers the ids otherwise.
  std::sort(out.begin(), out.end());
  return out;
}

// Agents the loop reported done: it logs "<id> <outcome>: ..." once the agent's checkpoint has committed.
std::set<std::string> reported_done(const FakeRun& run) {
  std::set<std::string> out;
  for (const auto& line : run.progress.lines)
    if (line.size() > 8 && line[0] == 'g' && line[3] == '-' && line.find(": ") != std::string::npos &&
        line.find("; verify ") != std::string::npos)
      out.insert(line.substr(0, 7));
  return out;
}

// Every event of the run as "type agent" (agent empty when none), in write order.
std::vector<std::string> all_events(trace::Store& store) {
  std::vector<std::string> out;
  store.for_each_event([&](const trace::Event& e) {
    std::string agent = e.payload.is_object() ? e.payload.value("agent", "") : "";
    std::string marker = e.type;
    if (e.type == "checkpoint.saved") marker += agent.empty() ? " generation" : " agent";
    out.push_back(marker);
  });
  return out;
}

// The durable point a fault hit: the first transaction of the uninterrupted run that the faulted run does not
// hold, named by the event that marks it.
std::string durable_point(const std::vector<std::string>& reference, const std::vector<std::string>& faulted) {
  size_t i = 0;
  while (i < faulted.size() && i < reference.size() && faulted[i] == reference[i]) ++i;
  for (; i < reference.size(); ++i) {
    const std::string& e = reference[i];
    if (e == "checkpoint.saved agent") return "agent checkpoint";
    if (e == "checkpoint.saved generation") return "generation checkpoint";
    if (e == "observer.agent_observed") return "observer save";
    if (e == "agent.spawned") return "agent start";
    if (e == "generation.started") return "generation start";
    if (e == "run.finalized") return "run end";
  }
  return "after the run's last event";
}

struct Reference {
  std::map<int, std::map<int, std::string>> completed;
  std::vector<std::string> observations, events;
  fault_vfs::Counts counts;
  int exit_code = -1;
};

Reference measure(bool checkpoint_every_commit) {
  Reference r;
  auto run = make_run(checkpoint_every_commit);
  fault_vfs::reset_counts();
  r.exit_code = run->run().exit_code;
  r.counts = fault_vfs::counts();
  r.completed = completed(*run);
  r.observations = observations(*run);
  r.events = all_events(*run->store);
  return r;
}

const Reference& reference(bool checkpoint_every_commit = false) {
  static const Reference plain = measure(false);
  static const Reference checkpointing = measure(true);
  return checkpoint_every_commit ? checkpointing : plain;
}

// What one faulted run did, checked against everything the fault must not break.
struct Outcome {
  bool stopped = false;  // the fault ended the run (else the run absorbed it and finished)
  std::string point;
};

Outcome run_with_fault(fault_vfs::Fault fault, const std::string& label, bool checkpoint_every_commit = false) {
  SCOPED_TRACE(label);
  const Reference& ref = reference(checkpoint_every_commit);
  auto run = make_run(checkpoint_every_commit);
  fault.path_contains = run->dir();
  Outcome out;
  fault_vfs::arm(fault);
  try {
    auto result = run->run();
    EXPECT_EQ(result.exit_code, ref.exit_code) << "a run that absorbed the fault ends as the uninterrupted one";
  } catch (const std::exception& e) {
    out.stopped = true;
    EXPECT_EQ(harness::exit_code_for(e), harness::kExitInfra) << e.what();
    std::string message = harness::fatal_message(e);
    EXPECT_EQ(message.rfind("store error: ", 0), 0u) << message;
    EXPECT_NE(message.find(run->dir() + "/run.db"), std::string::npos) << "names the file: " << message;
    EXPECT_NE(message.find("harness resume"), std::string::npos) << "says how to go on: " << message;
  }
  std::set<std::string> done_before = reported_done(*run);
  // The process that met the fault ends: its store closes under the fault still armed (a full disk stays full).
  run->env.reset();
  run->state.reset();
  run->store.reset();
  fault_vfs::disarm();
  EXPECT_EQ(integrity(run->dir() + "/run.db"), "ok");
  reopen(*run);
  if (out.stopped) out.point = durable_point(ref.events, all_events(*run->store));
  for (const auto& id : done_before) {
    bool kept = false;
    for (const auto& a : run->agents())
      if (a.id == id && a.status == harness::AttemptStatus::completed) kept = true;
    EXPECT_TRUE(kept) << id << " was recorded completed before the fault and is not now";
  }
  if (out.stopped) {
    auto resumed = run->resume();
    EXPECT_EQ(resumed.exit_code, ref.exit_code);
  }
  EXPECT_EQ(completed(*run), ref.completed);
  EXPECT_EQ(observations(*run), ref.observations);
  EXPECT_EQ(run->count("run.finalized"), 1);
  EXPECT_EQ(integrity(run->dir() + "/run.db"), "ok");
  return out;
}

TEST(StoreFaults, TheUninterruptedRun) {
  const Reference& ref = reference();
  EXPECT_EQ(ref.exit_code, 0);
  EXPECT_EQ(ref.completed.size(), 2u);
  auto c = ref.counts;
  fmt::print("uninterrupted run: writes main {} WAL {} other {}; fsyncs main {} WAL {}; opens main {} WAL {} other {}\n",
             c.of(Op::write, File::main_db), c.of(Op::write, File::wal), c.of(Op::write, File::other),
             c.of(Op::sync, File::main_db), c.of(Op::sync, File::wal), c.of(Op::open, File::main_db),
             c.of(Op::open, File::wal), c.of(Op::open, File::other));
  EXPECT_GT(c.of(Op::write, File::wal), 50);
  EXPECT_EQ(c.of(Op::sync, File::wal) + c.of(Op::sync, File::main_db), 0) << "no checkpoint in so small a run";
  EXPECT_EQ(reference(true).completed, ref.completed);
  EXPECT_GT(reference(true).counts.of(Op::sync, File::wal), 20);
}

// Sweeps a fault over every k-th call of one kind in the run (WAL writes; fsyncs, checkpointing at each commit),
// tallying which durable point each one hit.
struct Sweep {
  const char* name;
  Op op;
  File file;
  fault_vfs::Fault (*make)(long n);
  bool checkpoint_every_commit = false;
};

class StoreFaultSweep : public ::testing::TestWithParam<Sweep> {};

TEST_P(StoreFaultSweep, EveryDurablePointStopsCleanlyAndResumes) {
  const Sweep& sweep = GetParam();
  const long calls = reference(sweep.checkpoint_every_commit).counts.of(sweep.op, sweep.file);
  const long step = 3;
  std::map<std::string, int> hits;
  int stopped = 0, absorbed = 0;
  for (long n = 1; n <= calls; n += step) {
    Outcome o = run_with_fault(sweep.make(n),
                               fmt::format("{} at {} {} of the {}", sweep.name, fault_vfs::to_string(sweep.op), n,
                                           fault_vfs::to_string(sweep.file)),
                               sweep.checkpoint_every_commit);
    if (getenv("FAULT_VERBOSE")) fmt::print("{} {}: {}\n", sweep.name, n, o.stopped ? o.point : "absorbed");
    o.stopped ? ++stopped : ++absorbed;
    if (o.stopped) ++hits[o.point];
    if (HasFailure()) break;  // the first broken case says it all
  }
  std::string summary;
  for (const auto& [point, n] : hits) summary += fmt::format("  {}: {} faults, data lost: 0\n", point, n);
  fmt::print("{}: {} {}s of the {}, a fault at every {}rd: {} stopped the run (exit 3, resumed), {} absorbed; "
             "data lost: 0\n{}",
             sweep.name, calls, fault_vfs::to_string(sweep.op), fault_vfs::to_string(sweep.file), step, stopped,
             absorbed, summary);
  if (sweep.op == Op::write) {
    EXPECT_GT(hits["agent checkpoint"], 0);
    EXPECT_GT(hits["generation checkpoint"], 0);
    EXPECT_GT(hits["observer save"], 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Calls, StoreFaultSweep,
    ::testing::Values(
        Sweep{"IoErrWrite", Op::write, File::wal, [](long n) { return fault_vfs::fail_nth_write(n); }},
        Sweep{"DiskFull", Op::write, File::wal, [](long n) { return fault_vfs::disk_full_after(n - 1); }},
        Sweep{"FsyncWal", Op::sync, File::wal, [](long n) { return fault_vfs::fail_nth_sync(n, File::wal); }, true},
        Sweep{"FsyncMainDb", Op::sync, File::main_db,
              [](long n) { return fault_vfs::fail_nth_sync(n, File::main_db); }, true}),
    [](const auto& info) { return std::string(info.param.name); });

// `harness resume` after a store fault, when opening run.db (the file, then its WAL) fails too: a clear store
// error naming run.db (exit 3) that changes nothing, and the next resume, with the fault gone, completes the run.
TEST(StoreFaults, AResumeWhoseOpenFailsIsAClearErrorAndTheNextOneCompletes) {
  auto run = make_run();
  auto fault = fault_vfs::fail_nth_write(100);  // an agent checkpoint in generation 1 (see the sweep)
  fault.path_contains = run->dir();
  fault_vfs::arm(fault);
  EXPECT_THROW(run->run(), trace::StoreError);
  fault_vfs::disarm();
  run->env.reset();
  run->state.reset();
  run->store.reset();
  int faults = 0;
  for (File file : {File::main_db, File::wal}) {
    SCOPED_TRACE(fault_vfs::to_string(file));
    fault_vfs::Fault open_fails = fault_vfs::fail_nth_open(1, file);
    open_fails.path_contains = run->dir();
    fault_vfs::arm(open_fails);
    try {
      trace::Store::open(run->dir() + "/run.db");
      ADD_FAILURE() << "opened";
    } catch (const trace::StoreError& e) {
      ++faults;
      EXPECT_EQ(harness::exit_code_for(e), harness::kExitInfra);
      EXPECT_NE(harness::fatal_message(e).find("store error: " + run->dir() + "/run.db"), std::string::npos)
          << e.what();
    }
    fault_vfs::disarm();
    EXPECT_EQ(integrity(run->dir() + "/run.db"), "ok");
  }
  EXPECT_EQ(faults, 2);
  reopen(*run);
  EXPECT_EQ(run->resume().exit_code, 0);
  EXPECT_EQ(completed(*run), reference().completed);
  EXPECT_EQ(observations(*run), reference().observations);
  EXPECT_EQ(integrity(run->dir() + "/run.db"), "ok");
}

// The report a run writes at its end. Its reads of run.db come from SQLite's page cache (a run's store reads
// nothing from the disk after its second generation: measured by fault_vfs), so a failing disk reaches it through
// its own files: here the final report cannot be written (a folder where its temporary file goes, as a full disk
// refuses it). The run stops with exit 3, recorded `failed` and saying so; resume writes the report and the run
// ends as the uninterrupted one, finalized once.
TEST(StoreFaults, AFinalReportThatCannotBeWrittenStopsWithExit3AndResumeWritesIt) {
  auto run = make_run();
  const std::string obstacle = fmt::format("{}/report.md.tmp.{}", run->dir(), getpid());
  run->progress.on_log = [&](const std::string& line) {
    if (line.rfind("generation 2 done", 0) == 0) std::filesystem::create_directories(obstacle);
  };
  auto result = run->run();
  EXPECT_EQ(result.exit_code, harness::kExitInfra);
  EXPECT_NE(result.stop_reason.find("the final report could not be written: " + obstacle + ": cannot create: "),
            std::string::npos)
      << result.stop_reason;
  EXPECT_EQ(to_string(run->state->run()->status), "failed");
  EXPECT_EQ(run->count("run.stopped"), 1);
  bool hinted = false;
  for (const auto& line : run->progress.lines)
    if (line.find("`harness resume " + run->dir() + "` writes it") != std::string::npos) hinted = true;
  EXPECT_TRUE(hinted) << "says how to go on";
  EXPECT_EQ(nlohmann::json::parse(read_file(run->dir() + "/summary.json"))["partial"], true)
      << "generation 1's report stays until the final one is written";

  run->progress.on_log = nullptr;
  std::filesystem::remove(obstacle);
  reopen(*run);
  EXPECT_EQ(run->resume().exit_code, 0);
  EXPECT_EQ(completed(*run), reference().completed);
  EXPECT_EQ(run->count("run.finalized"), 1);
  auto summary = nlohmann::json::parse(read_file(run->dir() + "/summary.json"));
  EXPECT_EQ(summary["run"]["status"], "completed");
  EXPECT_EQ(summary["partial"], false);
  EXPECT_EQ(integrity(run->dir() + "/run.db"), "ok");
}

// `harness report` (write_reports(run_dir)) opens and reads run.db from the disk: each of those opens and reads
// fails in turn. Each is a clear store error naming run.db (the CLI exits 3), the store is left as it was, and
// the same command with the fault gone writes the report.
TEST(StoreFaults, TheReportCommandFailsCleanlyAtEachOpenAndRead) {
  auto run = make_run();
  ASSERT_EQ(run->run().exit_code, 0);
  const std::string dir = run->dir();
  run->env.reset();
  run->state.reset();
  run->store.reset();
  fault_vfs::reset_counts();
  ASSERT_TRUE(harness::write_reports(dir).ok());
  const fault_vfs::Counts c = fault_vfs::counts();
  int faults = 0;
  for (Op op : {Op::open, Op::read})
    for (File file : {File::main_db, File::wal})
      for (long n = 1; n <= c.of(op, file); ++n) {
        SCOPED_TRACE(fmt::format("{} {} of the {}", fault_vfs::to_string(op), n, fault_vfs::to_string(file)));
        fault_vfs::Fault fault{op, file, n, 0, false, dir};
        fault_vfs::arm(fault);
        auto failed = harness::write_reports(dir);
        fault_vfs::disarm();
        ++faults;
        EXPECT_FALSE(failed.ok());
        EXPECT_NE(failed.error.find("store error: " + dir + "/run.db"), std::string::npos) << failed.error;
        EXPECT_EQ(integrity(dir + "/run.db"), "ok");
        EXPECT_TRUE(harness::write_reports(dir).ok());
      }
  fmt::print("`harness report`: {} faults ({} opens, {} reads of run.db), data lost: 0\n", faults,
             c.of(Op::open, File::main_db) + c.of(Op::open, File::wal),
             c.of(Op::read, File::main_db) + c.of(Op::read, File::wal));
  EXPECT_GT(faults, 2);
}

}  // namespace
}  // namespace harness_test
