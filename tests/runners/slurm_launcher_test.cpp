// The Slurm launcher without a cluster: its srun command line, the job id and error lines it reads from srun's
// real output (samples taken from Slurm 22.05's srun), and its behaviour against small fake srun/scancel/squeue
// scripts: streaming, job ids, launch failures in Slurm's words, the submit timeout, cancels. The real cluster
// is tests/e2e/slurm.sh.
#include "runners/slurm_launcher.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "process_test_util.h"

namespace runners {
namespace {

using namespace std::chrono_literals;
using testing::read_file;

// srun 22.05 with --verbose, a job allocated at once (options block shortened).
constexpr const char* kVerboseRun =
    "srun: defined options\n"
    "srun: -------------------- --------------------\n"
    "srun: job-name            : t1\n"
    "srun: end of defined options\n"
    "srun: jobid 17: nodes(1):`harnessnode', cpu counts: 1(x1)\n"
    "srun: launching StepId=17.0 on host harnessnode, 1 tasks: 0\n"
    "srun: launch/slurm: _task_start: Node harnessnode, 1 tasks started\n"
    "agent's own stderr line\n"
    "srun: launch/slurm: _task_finish: Received task exit notification for 1 task of StepId=17.0 (status=0x0300).\n"
    "srun: error: harnessnode: task 0: Exited with exit code 3\n";

constexpr const char* kCancelledRun =
    "srun: jobid 5: nodes(1):`harnessnode', cpu counts: 1(x1)\n"
    "srun: Job step aborted: Waiting up to 4 seconds for job step to finish.\n"
    "slurmstepd-harnessnode: error: *** STEP 5.0 ON harnessnode CANCELLED AT 2026-11-23T04:32:10 ***\n";

TEST(SlurmText, SrunArgvCarriesOptionsNameAndCommand) {
  SlurmOptions options;
  options.partition = "gpu";
  options.time = "31";
  options.cpus = 2;
  options.mem = "4G";
  options.extra_args = {"--account=lab", "--qos=long"};
  LaunchSpec spec;
  spec.argv = {"demo-agent", "--prompt", "/runs/r/p.md"};
  spec.cwd = "/shared/ws/g01-a01";
  spec.job_name = "harness-r-0123abcd-g01-a01";
  spec.job_comment = "harness agent of g01-a01 attempt 1 in /runs/r";
  EXPECT_EQ(srun_argv(options, spec),
            (std::vector<std::string>{"srun", "--verbose", "--unbuffered", "--nodes=1", "--ntasks=1",
                                      "--job-name=harness-r-0123abcd-g01-a01",
                                      "--comment=harness agent of g01-a01 attempt 1 in /runs/r",
                                      "--chdir=/shared/ws/g01-a01", "--cpus-per-task=2", "--partition=gpu",
                                      "--time=31", "--mem=4G", "--input=none", "--account=lab", "--qos=long", "--",
                                      "demo-agent", "--prompt", "/runs/r/p.md"}));
}

TEST(SlurmText, SrunArgvLeavesOutWhatIsNotSet) {
  LaunchSpec spec;
  spec.argv = {"sh", "-c", "echo hi"};
  spec.stdin_path = "/tmp/in";
  EXPECT_EQ(srun_argv(SlurmOptions{}, spec),
            (std::vector<std::string>{"srun", "--verbose", "--unbuffered", "--nodes=1", "--ntasks=1",
                                      "--cpus-per-task=1", "--", "sh", "-c", "echo hi"}));
}

TEST(SlurmText, ParsesTheJobIdFromEachFormSrunUses) {
  EXPECT_EQ(parse_job_id(kVerboseRun), "17");
  EXPECT_EQ(parse_job_id("srun: job 3 queued and waiting for resources\n"), "3");
  EXPECT_EQ(parse_job_id("srun: job 31 has been allocated resources\n"), "31");
  EXPECT_EQ(parse_job_id("srun: Granted job allocation 9\n"), "9");
  EXPECT_EQ(parse_job_id("srun: jobid 123456: nodes(1)\n"), "123456");
}

TEST(SlurmText, FindsNoJobIdWhereThereIsNone) {
  EXPECT_EQ(parse_job_id(""), std::nullopt);
  EXPECT_EQ(parse_job_id("srun: error: Unable to allocate resources: Invalid partition name specified\n"),
            std::nullopt);
  EXPECT_EQ(parse_job_id("my agent says srun: jobid 4: on its own line\n"), std::nullopt);
  EXPECT_EQ(parse_job_id("srun: jobid x: nodes\nsrun: job  queued\n"), std::nullopt);
  EXPECT_EQ(parse_job_id("srun: jobid 12"), std::nullopt);  // srun is still writing "3456: nodes(1)..."
}

TEST(SlurmText, ErrorLinesAreSlurmsWithoutTheTasksOwnExit) {
  EXPECT_EQ(slurm_error_lines(kVerboseRun), "");
  EXPECT_EQ(slurm_error_lines(kCancelledRun),
            "slurmstepd-harnessnode: error: *** STEP 5.0 ON harnessnode CANCELLED AT 2026-11-23T04:32:10 ***");
  EXPECT_EQ(slurm_error_lines("srun: error: Unable to allocate resources: Unable to contact slurm controller "
                              "(connect failure)\nsrun: error: Node failure on n1\nplain line\n"),
            "srun: error: Unable to allocate resources: Unable to contact slurm controller (connect failure); "
            "srun: error: Node failure on n1");
}

// Fake Slurm commands: shell scripts in a temporary folder that log their arguments there.
class SlurmFakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("slurm_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options_.srun = script("srun", "echo \"$@\" > " + path("srun.args") + "\necho $$ > " + path("srun.pid") +
                                       "\n" + srun_body_);
    options_.scancel = script("scancel", "echo \"$@\" >> " + path("scancel.args"));
    options_.squeue = script("squeue", "echo \"$@\" > " + path("squeue.args"));
    options_.submit_timeout = 10s;
    options_.command_timeout = 10s;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string script(const std::string& name, const std::string& body) {
    std::string file = path(name);
    std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
    ::chmod(file.c_str(), 0755);
    return file;
  }
  // A srun that names job 4242 on stderr, then runs the command after `--` as the task.
  void fake_srun(const std::string& before_command, const std::string& after_command = "") {
    options_.srun = script("srun", "echo \"$@\" > " + path("srun.args") + "\necho $$ > " + path("srun.pid") +
                                       "\nwhile [ \"$1\" != -- ]; do shift; done; shift\n" + before_command +
                                       "\n\"$@\"\nrc=$?\n" + after_command + "\nexit $rc");
  }
  LaunchSpec spec(const std::string& command) {
    LaunchSpec s;
    s.argv = {"sh", "-c", command};
    s.stderr_path = path("stderr.log");
    s.job_name = "harness-test-g01-a01";
    return s;
  }

  std::filesystem::path dir_;
  SlurmOptions options_;
  std::string srun_body_ = "exit 0";
};

TEST_F(SlurmFakeTest, StreamsTheJobsStdoutAndNamesTheJob) {
  fake_srun("echo \"srun: jobid 4242: nodes(1):\\`n1', cpu counts: 1(x1)\" >&2");
  auto launcher = make_slurm_launcher(options_);
  auto process = launcher->start(spec("echo out; echo err >&2"));
  EXPECT_EQ(process->external_id(), "slurm:4242");
  ProcessReactor reactor;
  std::string out;
  ExitStatus status;
  reactor.add(*process, [&](std::string_view chunk) { out.append(chunk); });
  while (!reactor.empty())
    for (const auto& finished : reactor.wait(10s).finished) status = finished.status;
  EXPECT_EQ(out, "out\n");
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(process->system_failure(), "");
  EXPECT_EQ(read_file(path("srun.args")),
            "--verbose --unbuffered --nodes=1 --ntasks=1 --job-name=harness-test-g01-a01 --cpus-per-task=1 "
            "--input=none -- sh -c echo out; echo err >&2\n");
  EXPECT_EQ(read_file(path("stderr.log")), "srun: jobid 4242: nodes(1):`n1', cpu counts: 1(x1)\nerr\n");
  process->kill_tree(1s);
  EXPECT_FALSE(std::filesystem::exists(path("scancel.args")));  // srun ended by itself: its job did too
}

TEST_F(SlurmFakeTest, TheAgentsOwnExitIsNoSystemFailure) {
  fake_srun("echo 'srun: job 7 queued and waiting for resources' >&2",
            "echo \"srun: error: n1: task 0: Exited with exit code $rc\" >&2");
  auto launcher = make_slurm_launcher(options_);
  auto process = launcher->start(spec("exit 3"));
  while (!process->try_wait()) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(process->try_wait()->describe(), "exit 3");
  EXPECT_EQ(process->external_id(), "slurm:7");
  EXPECT_EQ(process->system_failure(), "");
}

TEST_F(SlurmFakeTest, ANodeFailureIsRecordedInSlurmsWords) {
  fake_srun("echo 'srun: jobid 8: nodes(1)' >&2", "echo 'srun: error: Node failure on n1' >&2; rc=1");
  auto launcher = make_slurm_launcher(options_);
  auto process = launcher->start(spec("true"));
  while (!process->try_wait()) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(process->try_wait()->describe(), "exit 1");
  EXPECT_EQ(process->system_failure(), "slurm job 8: srun: error: Node failure on n1");
}

TEST_F(SlurmFakeTest, ARejectedJobFailsTheLaunchWithSlurmsMessage) {
  options_.srun = script("srun",
                         "echo 'srun: error: Unable to allocate resources: Invalid partition name specified' >&2\n"
                         "exit 1");
  auto launcher = make_slurm_launcher(options_);
  try {
    launcher->start(spec("true"));
    FAIL() << "no SystemFailure";
  } catch (const SystemFailure& e) {
    EXPECT_STREQ(e.what(), "slurm: srun: error: Unable to allocate resources: Invalid partition name specified");
  }
}

TEST_F(SlurmFakeTest, AMissingSrunIsASystemFailure) {
  options_.srun = path("no-such-srun");
  auto launcher = make_slurm_launcher(options_);
  try {
    launcher->start(spec("true"));
    FAIL() << "no SystemFailure";
  } catch (const SystemFailure& e) {
    EXPECT_EQ(std::string(e.what()), "slurm: cannot start '" + path("no-such-srun") + "': no such file");
  }
}

TEST_F(SlurmFakeTest, ASrunThatNamesNoJobIsStoppedAtTheSubmitTimeout) {
  options_.srun = script("srun", "echo $$ > " + path("srun.pid") + "\necho 'srun: Waiting for controller' >&2\n"
                                                                  "exec sleep 30");
  options_.squeue = script("squeue", "echo \"$@\" > " + path("squeue.args") + "\necho 77");
  options_.submit_timeout = 200ms;
  auto launcher = make_slurm_launcher(options_);
  try {
    launcher->start(spec("true"));
    FAIL() << "no SystemFailure";
  } catch (const SystemFailure& e) {
    EXPECT_STREQ(e.what(), "slurm: srun named no job within 0.2s");
  }
  int pid = std::stoi(read_file(path("srun.pid")));
  EXPECT_EQ(::kill(pid, 0), -1);  // srun is gone, not left waiting
  EXPECT_EQ(errno, ESRCH);
  // A job the controller took without srun saying so is found by name and cancelled.
  EXPECT_NE(read_file(path("squeue.args")).find("--name=harness-test-g01-a01"), std::string::npos);
  EXPECT_EQ(read_file(path("scancel.args")), "77\n");
}

TEST_F(SlurmFakeTest, AKillCancelsTheJobThenEndsSrun) {
  fake_srun("echo 'srun: jobid 4243: nodes(1)' >&2");
  auto launcher = make_slurm_launcher(options_);
  auto process = launcher->start(spec("exec sleep 30"));
  EXPECT_FALSE(process->try_wait());
  process->kill_tree(200ms);
  EXPECT_TRUE(process->try_wait().has_value());
  EXPECT_EQ(read_file(path("scancel.args")), "4243\n");
  EXPECT_EQ(process->system_failure(), "");  // our own cancel is not Slurm's failure
}

TEST_F(SlurmFakeTest, AScancelThatHangsDoesNotHangTheKill) {
  fake_srun("echo 'srun: jobid 4244: nodes(1)' >&2");
  options_.scancel = script("scancel", "exec sleep 30");
  options_.command_timeout = 200ms;
  auto launcher = make_slurm_launcher(options_);
  auto process = launcher->start(spec("exec sleep 30"));
  process->kill_tree(100ms);
  EXPECT_TRUE(process->try_wait().has_value());
  EXPECT_NE(read_file(path("stderr.log")).find("harness: " + options_.scancel + " 4244: no answer within 200 ms"),
            std::string::npos);
}

TEST_F(SlurmFakeTest, DroppingARunningJobCancelsIt) {
  fake_srun("echo 'srun: jobid 4245: nodes(1)' >&2");
  auto launcher = make_slurm_launcher(options_);
  launcher->start(spec("exec sleep 30")).reset();
  EXPECT_EQ(read_file(path("scancel.args")), "4245\n");
}

TEST_F(SlurmFakeTest, FindsLiveJobsByNameOfThisUser) {
  options_.squeue = script("squeue", "echo \"$@\" > " + path("squeue.args") + "\necho 12; echo ' 13'");
  auto live = find_live_jobs(options_, "harness-x-g01-a02");
  EXPECT_EQ(live.error, "");
  EXPECT_EQ(live.job_ids, (std::vector<std::string>{"12", "13"}));
  EXPECT_EQ(read_file(path("squeue.args")),
            "--noheader --format=%i --name=harness-x-g01-a02 --user=" + std::string(::getpwuid(::geteuid())->pw_name) +
                "\n");
}

TEST_F(SlurmFakeTest, CancellingAJobThatEndedIsNoError) {
  options_.scancel = script(
      "scancel", "echo 'scancel: error: Kill job error on job id 12: Job/step already completing or completed' >&2\n"
                 "exit 1");
  auto result = cancel_jobs(options_, {"12"});
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.job_ids, (std::vector<std::string>{"12"}));
}

TEST_F(SlurmFakeTest, AnUnreachableControllerIsAnErrorInSlurmsWords) {
  options_.scancel = script(
      "scancel", "echo 'scancel: error: Kill job error on job id 12: Unable to contact slurm controller (connect "
                 "failure)' >&2\nexit 1");
  auto result = cancel_jobs(options_, {"12"});
  EXPECT_EQ(result.error, options_.scancel +
                              " 12 failed (exit 1): scancel: error: Kill job error on job id 12: Unable to contact "
                              "slurm controller (connect failure)");
  EXPECT_TRUE(result.job_ids.empty());
}

}  // namespace
}  // namespace runners
