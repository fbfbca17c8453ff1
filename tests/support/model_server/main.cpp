// model_server: the scripted model server as a program for e2e tests and benches.
//   model_server --script FILE [--port N] [--port-file F] [--results F] [--log F] [--allow-leftover]
// Prints "listening 127.0.0.1:PORT", serves until SIGTERM/SIGINT or POST /__shutdown, then writes the results and
// exits 0 when every expectation held and every turn was played, 1 otherwise (failures on stderr), 2 on bad usage.
#include "server.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

using namespace model_server;

int main(int argc, char** argv) {
  std::string script_path, port_file;
  ServerOptions options;
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "model_server: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--script") script_path = value();
    else if (arg == "--port") port = std::atoi(value().c_str());
    else if (arg == "--port-file") port_file = value();
    else if (arg == "--results") options.results_path = value();
    else if (arg == "--log") options.log_path = value();
    else if (arg == "--allow-leftover") options.allow_leftover = true;
    else {
      std::cerr << "model_server: unknown argument '" << arg
                << "'\nusage: model_server --script FILE [--port N] [--port-file F] [--results F] [--log F] "
                   "[--allow-leftover]\n";
      return 2;
    }
  }
  if (script_path.empty()) {
    std::cerr << "model_server: --script FILE is required\n";
    return 2;
  }
  std::string error;
  auto script = load_script(script_path, &error);
  if (!script) {
    std::cerr << "model_server: " << error << "\n";
    return 2;
  }
  // Block the stop signals in every thread (httplib's workers inherit this mask) so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  options.on_shutdown_request = [] { kill(getpid(), SIGTERM); };
  ScriptedModelServer server(std::move(*script), options);
  int bound = server.start(port);
  if (bound < 0) {
    std::cerr << "model_server: cannot listen on 127.0.0.1:" << port << "\n";
    return 2;
  }
  std::cout << "listening 127.0.0.1:" << bound << std::endl;
  if (!port_file.empty()) {
    // Written whole then renamed, so a waiter that sees the file reads the full port.
    std::ofstream(port_file + ".tmp") << bound << "\n";
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  int received = 0;
  sigwait(&stop_signals, &received);
  server.stop();
  json results = server.results();
  for (const auto& failure : results["failures"]) std::cerr << "model_server: FAILED: " << failure.get<std::string>() << "\n";
  return results["passed"].get<bool>() ? 0 : 1;
}
