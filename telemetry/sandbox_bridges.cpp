#include "telemetry/sandbox_bridges.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "telemetry/socket_forwarder.h"
#include "telemetry/socket_pump.h"

namespace telemetry {

SandboxBridges::SandboxBridges(const std::vector<int>& ports) {
  char folder[] = "/tmp/harness-bridge-XXXXXX";
  if (::mkdtemp(folder) == nullptr)
    throw std::runtime_error(fmt::format("sandbox bridge: cannot make {}: {}", folder, std::strerror(errno)));
  dir_ = folder;
  for (int port : ports) {
    std::string socket = fmt::format("{}/{}.sock", dir_, port);
    int fd = sockets::listen_unix(socket);
    if (fd < 0) {
      std::string why = std::strerror(errno);
      relays_.clear();
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      throw std::runtime_error(fmt::format("sandbox bridge: cannot listen on {}: {}", socket, why));
    }
    relays_.push_back(
        std::make_unique<SocketForwarder>(fd, [port](int) { return sockets::connect_tcp("127.0.0.1", port); }));
    relays_.back()->start();
    ports_.push_back({port, socket});
  }
}

SandboxBridges::~SandboxBridges() {
  for (auto& relay : relays_) relay->stop();
  relays_.clear();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace telemetry
