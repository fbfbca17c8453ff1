#include "telemetry/sandbox_init.h"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

#include "telemetry/socket_forwarder.h"
#include "telemetry/socket_pump.h"

namespace telemetry {
namespace {

struct Forward {
  int port = 0;
  std::string socket;
  int listen_fd = -1;
};

int usage(const std::string& why) {
  std::fprintf(stderr, "harness sandbox: %s (expected %s --forward PORT=SOCKET ... -- COMMAND...)\n", why.c_str(),
               kSandboxInitCommand);
  return 126;
}

[[noreturn]] void run_forwarders(std::vector<Forward>& forwards) {
  std::vector<std::unique_ptr<SocketForwarder>> running;
  for (auto& f : forwards) {
    std::string socket = f.socket;
    running.push_back(
        std::make_unique<SocketForwarder>(f.listen_fd, [socket](int) { return sockets::connect_unix(socket); }));
  }
  for (size_t i = 1; i < running.size(); ++i) running[i]->start();
  running.front()->run();  // until the sandbox ends
  ::_exit(0);
}

}  // namespace

int sandbox_init_main(const std::vector<std::string>& args) {
  std::vector<Forward> forwards;
  size_t i = 0;
  for (; i < args.size() && args[i] != "--"; ++i) {
    if (args[i] != "--forward" || i + 1 >= args.size()) return usage("unexpected argument '" + args[i] + "'");
    const std::string& spec = args[++i];
    size_t eq = spec.find('=');
    int port = eq == std::string::npos ? 0 : std::atoi(spec.substr(0, eq).c_str());
    if (port <= 0 || port > 65535 || eq + 1 >= spec.size()) return usage("bad forward '" + spec + "'");
    forwards.push_back({port, spec.substr(eq + 1)});
  }
  if (i + 1 >= args.size()) return usage("no command");
  for (auto& f : forwards) {
    f.listen_fd = sockets::listen_loopback(f.port);
    if (f.listen_fd < 0) {
      std::fprintf(stderr, "harness sandbox: cannot listen on 127.0.0.1:%d: %s\n", f.port, std::strerror(errno));
      return 126;
    }
  }
  if (!forwards.empty()) {
    // Forked twice: the forwarder must not be a child of the agent, or a shell's bare `wait` would wait for it
    // forever. Orphaned, it belongs to the sandbox's PID 1, and dies with the namespace when the agent ends.
    pid_t pid = ::fork();
    if (pid < 0) {
      std::fprintf(stderr, "harness sandbox: fork: %s\n", std::strerror(errno));
      return 126;
    }
    if (pid == 0) {
      if (::fork() == 0) run_forwarders(forwards);
      ::_exit(0);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    for (auto& f : forwards) ::close(f.listen_fd);
  }
  std::vector<char*> argv;
  for (size_t k = i + 1; k < args.size(); ++k) argv.push_back(const_cast<char*>(args[k].c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  std::fprintf(stderr, "harness sandbox: cannot start '%s': %s\n", argv[0], std::strerror(errno));
  return 127;
}

}  // namespace telemetry
