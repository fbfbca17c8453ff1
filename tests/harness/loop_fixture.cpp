#include "loop_fixture.h"

#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "trace/store.h"

extern char** environ;

namespace fs = std::filesystem;

namespace harness_test {

CommandResult run_shell(const std::string& command) {
  CommandResult r;
  std::string full = command + " 2>&1";
  FILE* p = popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) {
    if (r.output.size() < (4u << 20)) r.output.append(buf.data(), n);
  }
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  r.max_rss_kb = ru.ru_maxrss;
  return r;
}

// The fake agent: what it does depends on its strategy (HARNESS_STRATEGY), so one config can mix behaviours.
static const char* kAgent = R"SH(#!/bin/sh
s="$HARNESS_STRATEGY"
echo "{\"hv\":1,\"type\":\"session.start\",\"session\":\"main\",\"agent\":\"fake\",\"strategy\":\"$s\"}"
echo "{\"hv\":1,\"type\":\"tool.start\",\"session\":\"main\",\"id\":\"t1\",\"tool\":\"bash\",\"input\":\"./verify.sh\"}"
echo "{\"hv\":1,\"type\":\"tool.end\",\"session\":\"main\",\"id\":\"t1\",\"status\":\"error\",\"exit_code\":1,\"output\":\"FAIL: state is bug\"}"
echo "{\"hv\":1,\"type\":\"llm.call\",\"session\":\"main\",\"model\":\"fake-1\",\"input_tokens\":100,\"output_tokens\":10}"
case "$s" in
  fixer) echo fixed > state.txt ;;
  wrong) echo "still broken" > state.txt ;;
  edit-test) printf '#!/bin/sh\nexit 0\n' > verify.sh ;;
  crasher) echo "boom" >&2; exit 3 ;;
  hang) sleep 999 ;;
  forker)
    (sleep 1000; echo never) &
    setsid sh -c 'sleep 1001' &
    sh -c 'sleep 1002 & wait' &
    sleep 1003 ;;
  spammer) yes '{"hv":1,"type":"message","session":"main","role":"assistant","text":"spam spam spam spam spam spam spam spam"}' | head -c 1073741824 ;;
  tokens)
    i=0; while [ $i -lt 50 ]; do
      echo "{\"hv\":1,\"type\":\"llm.call\",\"session\":\"main\",\"model\":\"fake-1\",\"input_tokens\":1000,\"output_tokens\":100}"
      i=$((i+1)); sleep 0.05; done ;;
  slow) sleep 0.3 ;;
  sleepy) sleep 1005; echo fixed > state.txt ;;
  stubborn) trap '' TERM; sleep 1006 ;;
  looper)
    # The same failing command again and again (timings differ), then a fix it should never reach.
    i=0; while [ $i -lt 20 ]; do
      echo "{\"hv\":1,\"type\":\"tool.start\",\"session\":\"main\",\"id\":\"r$i\",\"tool\":\"bash\",\"input\":\"make test\"}"
      echo "{\"hv\":1,\"type\":\"tool.end\",\"session\":\"main\",\"id\":\"r$i\",\"status\":\"error\",\"exit_code\":2,\"output\":\"make: *** [test] Error 2 after 0.$i s\"}"
      i=$((i+1)); sleep 0.1; done
    echo fixed > state.txt ;;
  honest)
    # One long command (a build) while a subagent makes many model calls: no loop, then the fix.
    echo "{\"hv\":1,\"type\":\"tool.start\",\"session\":\"main\",\"id\":\"build\",\"tool\":\"bash\",\"input\":\"make -j2 all\"}"
    i=0; while [ $i -lt 15 ]; do
      echo "{\"hv\":1,\"type\":\"llm.call\",\"session\":\"main\",\"model\":\"fake-1\",\"input_tokens\":10,\"output_tokens\":1}"
      i=$((i+1)); sleep 0.1; done
    sleep 1
    echo "{\"hv\":1,\"type\":\"tool.end\",\"session\":\"main\",\"id\":\"build\",\"status\":\"ok\",\"exit_code\":0,\"output\":\"built\"}"
    echo fixed > state.txt ;;
esac
echo "{\"hv\":1,\"type\":\"session.end\",\"session\":\"main\",\"status\":\"ok\"}"
)SH";

LoopFixture::LoopFixture() {
  char tmpl[] = "/tmp/harness-loop-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  fs::create_directories(repo());
  std::ofstream(repo() + "/state.txt") << "bug\n";
  std::ofstream(repo() + "/verify.sh") << "#!/bin/sh\ngrep -q '^fixed$' state.txt || { echo 'FAIL: state is not fixed'; exit 1; }\n";
  fs::permissions(repo() + "/verify.sh", fs::perms::owner_all, fs::perm_options::add);
  std::ofstream(agent_script()) << kAgent;
  fs::permissions(agent_script(), fs::perms::owner_all, fs::perm_options::add);
  std::string git = "cd " + repo() +
                    " && git init -q && git -c user.email=t@t -c user.name=t add -A && "
                    "git -c user.email=t@t -c user.name=t commit -qm base";
  if (run_shell(git).exit_code != 0) throw std::runtime_error("git init failed");
}

LoopFixture::~LoopFixture() {
  std::error_code ec;
  run_shell("cd " + repo() + " && git worktree prune");
  fs::remove_all(dir_, ec);
}

std::string LoopFixture::write_config(const std::string& extra, const std::string& name) {
  std::string path = dir_ + "/" + name;
  std::ofstream out(path);
  out << "name: looptest\n"
         "target:\n  repo: repo\n  bug: state.txt says bug\n"
         "verify:\n  command: ./verify.sh\n  protected: [verify.sh]\n"
         "runner:\n  command: [\"" << agent_script() << "\"]\n  format: jsonl\n  idle_timeout: 5s\n"
      << extra;
  return path;
}

CommandResult LoopFixture::harness(const std::string& args) {
  return run_shell(std::string("CI=true ") + HARNESS_BINARY + " " + args);
}

nlohmann::json LoopFixture::status(const std::string& run_dir) {
  auto r = harness("status " + run_dir + " --json");
  if (r.exit_code != 0) throw std::runtime_error("status failed: " + r.output);
  return nlohmann::json::parse(r.output);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<nlohmann::json> events_of(const std::string& run_dir, const std::string& type) {
  auto store = trace::Store::open(run_dir + "/run.db", trace::Store::Mode::read_only);
  std::vector<nlohmann::json> out;
  store->for_each_event([&](const trace::Event& e) {
    if (e.type == type) out.push_back(e.payload);
  });
  return out;
}

int64_t event_count(const std::string& db) {
  try {
    auto store = trace::Store::open(db, trace::Store::Mode::read_only);
    int64_t n = 0;
    store->query("SELECT COUNT(*) FROM events", {}, [&](const trace::Row& r) { n = r.int64(0); });
    return n;
  } catch (const std::exception&) {
    return 0;  // not created yet, or mid-creation
  }
}

bool run_killed_at_event(const std::vector<std::string>& args, const std::string& db, int64_t kill_at) {
  std::string bin = HARNESS_BINARY;
  std::vector<std::string> words = {bin};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : words) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, bin.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
    throw std::runtime_error("posix_spawn failed");
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (event_count(db) >= kill_at) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

}  // namespace harness_test
