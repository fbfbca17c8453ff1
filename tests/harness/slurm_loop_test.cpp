// The generation loop with `runner.launcher: slurm` through the real binary, against fake srun/scancel/squeue
// scripts first in PATH: job ids recorded on the agents, verification as jobs, and the stop rule for Slurm
// failures (the run stops with exit 3 and `resume` re-runs what did not run). A real cluster: tests/e2e/slurm.sh.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "loop_fixture.h"
#include "trace/store.h"

namespace fs = std::filesystem;
using harness_test::LoopFixture;
using harness_test::run_shell;

namespace {

// A srun that numbers its jobs from 100 (a counter file beside it), names the job as srun --verbose does, logs
// its argv and runs the command after `--` as the task.
constexpr const char* kWorkingSrun = R"SH(#!/bin/sh
dir=$(dirname "$0")
n=$(cat "$dir/next" 2>/dev/null || echo 100)
echo $((n + 1)) > "$dir/next"
echo "$@" >> "$dir/srun.log"
echo "srun: jobid $n: nodes(1):\`n1', cpu counts: 1(x1)" >&2
while [ "$1" != -- ]; do shift; done; shift
exec "$@"
)SH";

constexpr const char* kRejectingSrun = R"SH(#!/bin/sh
echo "srun: error: Unable to allocate resources: Invalid partition name specified" >&2
exit 1
)SH";

class SlurmLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = f_.dir() + "/slurm-bin";
    fs::create_directories(bin_);
    write_script("scancel", "#!/bin/sh\necho \"$@\" >> \"$(dirname \"$0\")/scancel.log\"\n");
    write_script("squeue", "#!/bin/sh\nexit 0\n");
  }
  void write_script(const std::string& name, const std::string& text) {
    std::ofstream(bin_ + "/" + name) << text;
    fs::permissions(bin_ + "/" + name, fs::perms::owner_all, fs::perm_options::add);
  }
  harness_test::CommandResult harness(const std::string& args) {
    return run_shell("PATH=" + bin_ + ":$PATH CI=true " + HARNESS_BINARY + " " + args);
  }
  std::vector<std::vector<std::string>> rows(const std::string& run, const std::string& sql) {
    auto store = trace::Store::open(run + "/run.db", trace::Store::Mode::read_only);
    std::vector<std::vector<std::string>> out;
    store->query(sql, {}, [&](const trace::Row& r) {
      std::vector<std::string> row;
      for (int i = 0; i < r.columns(); ++i) row.push_back(r.text(i));
      out.push_back(row);
    });
    return out;
  }

  LoopFixture f_;
  std::string bin_;
};

TEST_F(SlurmLoop, AgentsAndVerificationRunAsJobsWithTheirIdsRecorded) {
  write_script("srun", kWorkingSrun);
  auto cfg = f_.write_config(
      "  launcher: slurm\n  slurm: {partition: debug, time: \"7\"}\n"
      "generations: 1\npopulation: 2\nconcurrency: 1\n"
      "strategies:\n  allocation: fixed\n  list: [{name: wrong}, {name: fixer}]\n");
  std::string run = f_.dir() + "/run";
  auto r = harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(rows(run, "SELECT id, external_id, outcome FROM harness_agents ORDER BY slot"),
            (std::vector<std::vector<std::string>>{{"g01-a01", "slurm:100", "completed"},
                                                   {"g01-a02", "slurm:101", "completed"}}));
  EXPECT_EQ(rows(run, "SELECT name, json_extract(attributes, '$.\"slurm.job_id\"') FROM spans WHERE kind='agent' "
                      "ORDER BY name"),
            (std::vector<std::vector<std::string>>{{"g01-a01", "100"}, {"g01-a02", "101"}}));
  std::ifstream log(bin_ + "/srun.log");
  std::string first;
  std::getline(log, first);
  std::string name = "harness-run-" + first.substr(first.find("--job-name=harness-run-") + 23, 8) + "-g01-a01";
  EXPECT_EQ(first.substr(0, first.find(" -- ")),
            "--verbose --unbuffered --nodes=1 --ntasks=1 --job-name=" + name + " --comment=harness agent of g01-a01 "
            "attempt 1 in " + fs::canonical(run).string() + " --chdir=" + fs::canonical(run).string() +
            "/workspaces/g01-a01 --cpus-per-task=1 --partition=debug --time=7 --input=none");
  EXPECT_FALSE(fs::exists(bin_ + "/scancel.log")) << "jobs that ended by themselves need no scancel";
}

TEST_F(SlurmLoop, VerifyRunsAsAJobWhenTheConfigSaysSo) {
  write_script("srun", kWorkingSrun);
  std::string cfg = f_.dir() + "/v.yaml";
  std::ofstream(cfg) << "name: v\ntarget:\n  repo: repo\n  bug: b\nverify:\n  command: ./verify.sh\n"
                        "  launcher: slurm\n  repeat: 2\nrunner:\n  command: [\"" + f_.agent_script() + "\"]\n"
                        "  launcher: slurm\ngenerations: 1\npopulation: 1\nstrategies:\n  list: [{name: fixer}]\n";
  std::string run = f_.dir() + "/run";
  auto r = harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // One agent job and two verify jobs; verify's --time comes from verify.timeout (5m -> 6 minutes).
  std::ifstream log(bin_ + "/srun.log");
  std::vector<std::string> lines;
  for (std::string line; std::getline(log, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("--comment=harness agent of g01-a01"), std::string::npos);
  EXPECT_NE(lines[0].find("--time=31 "), std::string::npos) << "wall_timeout 30m -> 31 minutes";
  for (int i : {1, 2}) {
    EXPECT_NE(lines[i].find("--comment=harness verify of g01-a01"), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find("--time=6 "), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find(" -- /bin/sh -c ./verify.sh"), std::string::npos) << lines[i];
  }
}

TEST_F(SlurmLoop, LaunchesSlurmRejectsStopTheRunAndResumeRerunsThem) {
  write_script("srun", kRejectingSrun);
  auto cfg = f_.write_config(
      "  launcher: slurm\ngenerations: 2\npopulation: 3\nconcurrency: 2\n"
      "strategies:\n  allocation: fixed\n  list: [{name: wrong}]\n");
  std::string run = f_.dir() + "/run";
  auto r = harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 3) << r.output;
  const std::string message = "slurm: srun: error: Unable to allocate resources: Invalid partition name specified";
  EXPECT_NE(r.output.find("2 launches in a row failed because of Slurm: " + message), std::string::npos) << r.output;
  // Two failed launches (= concurrency) in a row: the third slot is never launched, the generation not finished.
  EXPECT_EQ(rows(run, "SELECT id, attempt, status, outcome, end_reason FROM harness_agents ORDER BY slot"),
            (std::vector<std::vector<std::string>>{{"g01-a01", "1", "interrupted", "launch_failed", message},
                                                   {"g01-a02", "1", "interrupted", "launch_failed", message},
                                                   {"g01-a03", "1", "pending", "none", ""}}));
  EXPECT_EQ(rows(run, "SELECT status, exit_code FROM harness_run"),
            (std::vector<std::vector<std::string>>{{"failed", "3"}}));
  EXPECT_EQ(rows(run, "SELECT status FROM harness_generations"), (std::vector<std::vector<std::string>>{{"running"}}));
  EXPECT_EQ(rows(run, "SELECT json_extract(payload, '$.system') FROM events WHERE type='agent.launch_failed'").size(),
            2u);

  // Slurm is back: resume runs the failed attempts again and the slot never launched.
  write_script("srun", kWorkingSrun);
  auto resumed = harness("resume " + run);
  ASSERT_EQ(resumed.exit_code, 1) << resumed.output;
  EXPECT_EQ(rows(run, "SELECT id, attempt, status, outcome, external_id FROM harness_agents WHERE generation = 1 "
                      "ORDER BY slot, attempt"),
            (std::vector<std::vector<std::string>>{{"g01-a01", "1", "interrupted", "launch_failed", ""},
                                                   {"g01-a01", "2", "completed", "completed", "slurm:100"},
                                                   {"g01-a02", "1", "interrupted", "launch_failed", ""},
                                                   {"g01-a02", "2", "completed", "completed", "slurm:101"},
                                                   {"g01-a03", "1", "completed", "completed", "slurm:102"}}));
  EXPECT_EQ(rows(run, "SELECT status, exit_code FROM harness_run"),
            (std::vector<std::vector<std::string>>{{"completed", "1"}}));
}

TEST_F(SlurmLoop, OneRejectedLaunchAmongGoodOnesOnlyCostsThatAgent) {
  // The second srun call is rejected, the others run: no streak, the generation and the run go on.
  write_script("srun", std::string(kWorkingSrun).replace(
                           std::string(kWorkingSrun).find("echo \"$@\""), 0,
                           "if [ \"$n\" = 101 ]; then echo 'srun: error: Unable to allocate resources: Job violates "
                           "accounting/QOS policy' >&2; exit 1; fi\n"));
  auto cfg = f_.write_config("  launcher: slurm\ngenerations: 2\npopulation: 3\nconcurrency: 2\nstop: {after_fixes: 0}\n"
                             "strategies:\n  allocation: fixed\n  list: [{name: wrong}]\n");
  std::string run = f_.dir() + "/run";
  auto r = harness("run " + cfg + " --run-dir " + run);
  ASSERT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(rows(run, "SELECT id, status, outcome FROM harness_agents WHERE outcome != 'completed'"),
            (std::vector<std::vector<std::string>>{{"g01-a02", "completed", "launch_failed"}}));
  EXPECT_EQ(rows(run, "SELECT count(*) FROM harness_agents WHERE status = 'completed'"),
            (std::vector<std::vector<std::string>>{{"6"}}));
}

}  // namespace
