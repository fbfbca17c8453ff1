// The host side of the sandboxes' bridges: a Unix socket per server port that relays to 127.0.0.1:port, in a
// private folder removed with the bridges. (Through a real sandbox and its forwarder:
// tests/harness/sandbox_bridge_test.cpp.)
#include "telemetry/sandbox_bridges.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "telemetry/socket_pump.h"

namespace telemetry {
namespace {

TEST(SandboxBridges, RelaysEachSocketToItsPortAndCleansUp) {
  int server_fd = sockets::listen_loopback(0);
  int port = sockets::local_port(server_fd);
  std::thread server([server_fd] {
    int c = sockets::accept_retry(server_fd);
    const char answer[] = "hello from the host\n";
    ssize_t n = ::write(c, answer, sizeof answer - 1);
    (void)n;
    ::close(c);
  });
  std::string dir;
  {
    SandboxBridges bridges({port});
    dir = bridges.dir();
    ASSERT_EQ(bridges.ports().size(), 1u);
    EXPECT_EQ(bridges.ports()[0].port, port);
    EXPECT_EQ(bridges.ports()[0].socket, dir + "/" + std::to_string(port) + ".sock");
    struct stat st{};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    int c = sockets::connect_unix(bridges.ports()[0].socket);
    ASSERT_GE(c, 0);
    std::string got;
    char buf[256];
    for (ssize_t n; (n = ::read(c, buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
    ::close(c);
    EXPECT_EQ(got, "hello from the host\n");
  }
  server.join();
  ::close(server_fd);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace telemetry
