// The sandbox launcher with real processes (bwrap): private loopback and /tmp, the host read-only, a bridge to a
// server on the host's loopback, no process left behind; plus the egress allow-list. Skipped where bwrap cannot
// create namespaces.
#include "runners/sandbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "process_test_util.h"
#include "runners/egress_proxy.h"
#include "runners/sandbox_bridges.h"
#include "runners/socket_forwarder.h"
#include "runners/socket_pump.h"

namespace runners {
namespace {

namespace fs = std::filesystem;
using testing::run_to_end;

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = probe_sandbox(SandboxPolicy{})) GTEST_SKIP() << *why;
    // Not under /tmp: that is private inside, so a write there would never reach the host anyway.
    dir_ = fs::path(HARNESS_SOURCE_DIR) / "build" / ("sandbox_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "ws");
    policy_.init = {HARNESS_BINARY, "__sandbox-init"};
  }
  void TearDown() override { fs::remove_all(dir_); }

  testing::Outcome run(const std::string& script) {
    LaunchSpec spec = testing::shell(script);
    spec.cwd = (dir_ / "ws").string();
    auto launcher = make_sandbox_launcher(make_local_launcher(), policy_);
    return run_to_end(*launcher, spec);
  }

  fs::path dir_;
  SandboxPolicy policy_;
};

TEST_F(SandboxTest, WritesOnlyItsWorkspaceAndSeesOnlyLoopback) {
  std::ofstream(dir_ / "host.txt") << "untouched";
  auto out = run("echo x > " + (dir_ / "host.txt").string() + " 2>/dev/null && echo wrote-host; echo y > mine.txt && "
                 "echo wrote-workspace; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
  EXPECT_EQ(out.out, "wrote-workspace\nlo\n");
  EXPECT_EQ(testing::read_file((dir_ / "host.txt").string()), "untouched");
  EXPECT_EQ(testing::read_file((dir_ / "ws/mine.txt").string()), "y\n");
}

TEST_F(SandboxTest, OwnTmpAndHiddenHome) {
  fs::create_directories(dir_ / "home");
  std::ofstream(dir_ / "home/secret") << "s";
  policy_.hidden = {(dir_ / "home").string()};
  auto out = run("cat " + (dir_ / "home/secret").string() + " 2>/dev/null || echo hidden; ls -A /tmp | wc -l");
  EXPECT_EQ(out.out, "hidden\n0\n");
}

TEST_F(SandboxTest, BridgesAHostServerAtItsOwnPortAndNothingElse) {
  // A host server, reached inside only through the bridge; another host port stays unreachable.
  int bridged_fd = sockets::listen_loopback(0), other_fd = sockets::listen_loopback(0);
  int bridged = sockets::local_port(bridged_fd), other = sockets::local_port(other_fd);
  std::thread server([bridged_fd] {
    int c = sockets::accept_retry(bridged_fd);
    const char answer[] = "hello from the host\n";
    ssize_t n = ::write(c, answer, sizeof answer - 1);
    (void)n;
    ::close(c);
  });
  SandboxBridges bridges({bridged});
  policy_.bridges = bridges.ports();
  policy_.bridge_dir = bridges.dir();
  auto out = run("python3 -c 'import socket\nfor p in (" + std::to_string(bridged) + "," + std::to_string(other) +
                 "):\n  try:\n    s=socket.create_connection((\"127.0.0.1\",p),2); print(s.recv(100).decode().strip())\n"
                 "  except OSError as e: print(\"refused\")'");
  server.join();
  ::close(bridged_fd);
  ::close(other_fd);
  EXPECT_EQ(out.out, "hello from the host\nrefused\n");
}

// share_network: the host's network as it is (a host loopback server is reached directly, the host's interfaces
// are seen), while files stay confined as in every sandbox.
TEST_F(SandboxTest, SharedNetworkReachesTheHostLoopbackButKeepsFilesConfined) {
  int fd = sockets::listen_loopback(0);
  int port = sockets::local_port(fd);
  std::thread server([fd] {
    int c = sockets::accept_retry(fd);
    const char answer[] = "host loopback\n";
    ssize_t n = ::write(c, answer, sizeof answer - 1);
    (void)n;
    ::close(c);
  });
  std::ofstream(dir_ / "host.txt") << "untouched";
  policy_.share_network = true;
  auto out = run("python3 -c 'import socket\ns=socket.create_connection((\"127.0.0.1\"," + std::to_string(port) +
                 "),2); print(s.recv(100).decode().strip())'; tail -n +3 /proc/net/dev | wc -l; echo x > " +
                 (dir_ / "host.txt").string() + " 2>/dev/null && echo wrote-host");
  server.join();
  ::close(fd);
  std::ifstream dev("/proc/net/dev");
  int host_interfaces = -2;
  for (std::string line; std::getline(dev, line);) ++host_interfaces;
  EXPECT_EQ(out.out, "host loopback\n" + std::to_string(host_interfaces) + "\n");
  EXPECT_EQ(testing::read_file((dir_ / "host.txt").string()), "untouched");
}

TEST_F(SandboxTest, ADaemonDiesWithTheSandbox) {
  auto out = run("setsid sh -c 'sleep 7331 &' </dev/null >/dev/null 2>&1; echo started");
  EXPECT_EQ(out.out, "started\n");
  EXPECT_TRUE(testing::processes_running("sleep 7331").empty());
}

TEST_F(SandboxTest, MissingCommandIsALaunchError) {
  LaunchSpec spec;
  spec.argv = {"no-such-command-xyz"};
  auto launcher = make_sandbox_launcher(make_local_launcher(), policy_);
  EXPECT_THROW(launcher->start(spec), LaunchError);
}

TEST(EgressAllowList, ParsesAndMatches) {
  std::string why;
  auto a = parse_allowed_host("Registry.npmjs.org:443", why);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "registry.npmjs.org");
  EXPECT_EQ(a->port, 443);
  auto w = parse_allowed_host("*.pypi.org", why);
  ASSERT_TRUE(w);
  EXPECT_FALSE(parse_allowed_host("host:99999", why));
  EXPECT_FALSE(parse_allowed_host("a*b.com", why));
  std::vector<AllowedHost> allow = {*a, *w};
  EXPECT_TRUE(host_allowed(allow, "registry.npmjs.org", 443));
  EXPECT_FALSE(host_allowed(allow, "registry.npmjs.org", 80));
  EXPECT_TRUE(host_allowed(allow, "files.pypi.org", 1));
  EXPECT_FALSE(host_allowed(allow, "pypi.org", 443));
}

}  // namespace
}  // namespace runners
