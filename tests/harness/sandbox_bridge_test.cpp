// The run's sandbox wiring with real processes (bwrap): the policy the harness makes from a config and the
// run's bridges (harness/sandbox_setup.h) reaches a server on the host's 127.0.0.1 at its own port through the
// forwarder inside (`harness __sandbox-init`), and no other host port. Skipped where bwrap cannot create namespaces.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "harness/sandbox_setup.h"
#include "telemetry/sandbox_bridges.h"
#include "telemetry/socket_pump.h"
#include "tests/runners/process_test_util.h"

namespace harness {
namespace {

namespace fs = std::filesystem;
namespace sockets = telemetry::sockets;

TEST(SandboxBridge, BridgesAHostServerAtItsOwnPortAndNothingElse) {
  if (auto why = runners::probe_sandbox(runners::SandboxPolicy{})) GTEST_SKIP() << *why;
  // Not under /tmp: that is private inside, so a write there would never reach the host anyway.
  fs::path dir = fs::path(HARNESS_SOURCE_DIR) / "build" / ("sandbox_bridge_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "ws");
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
  telemetry::SandboxBridges bridges({bridged});
  Config config;
  runners::SandboxPolicy policy = sandbox_policy(config, &bridges);
  ASSERT_EQ(policy.bridges.size(), 1u);
  EXPECT_EQ(policy.bridges[0].port, bridged);
  EXPECT_EQ(policy.bridges[0].socket, bridges.ports()[0].socket);
  EXPECT_EQ(policy.bridge_dir, bridges.dir());
  policy.init = {HARNESS_BINARY, "__sandbox-init"};  // this test binary is not the harness
  runners::LaunchSpec spec = runners::testing::shell(
      "python3 -c 'import socket\nfor p in (" + std::to_string(bridged) + "," + std::to_string(other) +
      "):\n  try:\n    s=socket.create_connection((\"127.0.0.1\",p),2); print(s.recv(100).decode().strip())\n"
      "  except OSError as e: print(\"refused\")'");
  spec.cwd = (dir / "ws").string();
  auto launcher = runners::make_sandbox_launcher(runners::make_local_launcher(), policy);
  auto out = runners::testing::run_to_end(*launcher, spec);
  server.join();
  ::close(bridged_fd);
  ::close(other_fd);
  fs::remove_all(dir);
  EXPECT_EQ(out.out, "hello from the host\nrefused\n");
}

// A harness built under /tmp (private inside the sandbox): the forwarder's binary is bound in, so agents start.
TEST(SandboxBridge, AForwarderBinaryUnderTmpIsStillThereInside) {
  if (auto why = runners::probe_sandbox(runners::SandboxPolicy{})) GTEST_SKIP() << *why;
  fs::path dir = fs::path(HARNESS_SOURCE_DIR) / "build" / ("sandbox_tmp_init_test_" + std::to_string(::getpid()));
  fs::path tmp = fs::temp_directory_path() / ("harness-init-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::remove_all(tmp);
  fs::create_directories(dir / "ws");
  fs::create_directories(tmp);
  fs::copy_file(HARNESS_BINARY, tmp / "harness");
  int fd = sockets::listen_loopback(0);
  int port = sockets::local_port(fd);
  std::thread server([fd] {
    int c = sockets::accept_retry(fd);
    if (c < 0) return;  // shut down below: nothing came through
    const char answer[] = "through the forwarder\n";
    ssize_t n = ::write(c, answer, sizeof answer - 1);
    (void)n;
    ::close(c);
  });
  telemetry::SandboxBridges bridges({port});
  runners::SandboxPolicy policy = sandbox_policy(Config{}, &bridges);
  policy.init = {(tmp / "harness").string(), "__sandbox-init"};
  runners::LaunchSpec spec = runners::testing::shell(
      "python3 -c 'import socket\ns=socket.create_connection((\"127.0.0.1\"," + std::to_string(port) +
      "),2); print(s.recv(100).decode().strip())'");
  spec.cwd = (dir / "ws").string();
  auto launcher = runners::make_sandbox_launcher(runners::make_local_launcher(), policy);
  auto out = runners::testing::run_to_end(*launcher, spec);
  ::shutdown(fd, SHUT_RDWR);  // wakes the accept when nothing connected (the forwarder could not start)
  server.join();
  ::close(fd);
  fs::remove_all(dir);
  fs::remove_all(tmp);
  EXPECT_EQ(out.out, "through the forwarder\n");
}

// sandbox.share_network: no bridges, the host's network as it is (a host loopback server is reached directly and
// the host's interfaces are seen), while files stay confined as in every sandbox.
TEST(SandboxBridge, SharedNetworkReachesTheHostLoopbackButKeepsFilesConfined) {
  if (auto why = runners::probe_sandbox(runners::SandboxPolicy{})) GTEST_SKIP() << *why;
  fs::path dir = fs::path(HARNESS_SOURCE_DIR) / "build" / ("sandbox_shared_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "ws");
  std::ofstream(dir / "host.txt") << "untouched";
  int fd = sockets::listen_loopback(0);
  int port = sockets::local_port(fd);
  std::thread server([fd] {
    int c = sockets::accept_retry(fd);
    const char answer[] = "host loopback\n";
    ssize_t n = ::write(c, answer, sizeof answer - 1);
    (void)n;
    ::close(c);
  });
  telemetry::SandboxBridges bridges({port});
  Config config;
  config.sandbox.share_network = true;
  runners::SandboxPolicy policy = sandbox_policy(config, &bridges);
  EXPECT_TRUE(policy.share_network);
  EXPECT_TRUE(policy.bridges.empty());
  policy.init = {HARNESS_BINARY, "__sandbox-init"};
  runners::LaunchSpec spec = runners::testing::shell(
      "python3 -c 'import socket\ns=socket.create_connection((\"127.0.0.1\"," + std::to_string(port) +
      "),2); print(s.recv(100).decode().strip())'; tail -n +3 /proc/net/dev | wc -l; echo x > " +
      (dir / "host.txt").string() + " 2>/dev/null && echo wrote-host");
  spec.cwd = (dir / "ws").string();
  auto launcher = runners::make_sandbox_launcher(runners::make_local_launcher(), policy);
  auto out = runners::testing::run_to_end(*launcher, spec);
  server.join();
  ::close(fd);
  std::ifstream dev("/proc/net/dev");
  int host_interfaces = -2;  // two header lines
  for (std::string line; std::getline(dev, line);) ++host_interfaces;
  EXPECT_EQ(out.out, "host loopback\n" + std::to_string(host_interfaces) + "\n");
  std::ifstream host(dir / "host.txt");
  std::string text((std::istreambuf_iterator<char>(host)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "untouched");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace harness
