#include "net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace cascade {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

long now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Reads one byte at a time: messages are a few bytes, and no byte of the next line is ever consumed.
bool read_rest_of_line(int fd, std::string& line) {
  for (char c; ;) {
    ssize_t n = ::recv(fd, &c, 1, 0);
    if (n <= 0) return false;
    if (c == '\n') return true;
    line += c;
  }
}

}  // namespace

int listen_on(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = loopback(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + why);
  }
  return fd;
}

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_line(int fd, const std::string& line) {
  std::string data = line + "\n";
  return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
}

std::optional<std::string> read_line(int fd, int timeout_ms) {
  std::string line;
  if (read_first_line(&fd, 1, timeout_ms, line) != 0) return std::nullopt;
  return line;
}

int read_first_line(const int* fds, int count, int timeout_ms, std::string& line) {
  const long deadline = now_ms() + timeout_ms;
  pollfd polls[8];
  for (int i = 0; i < count && i < 8; ++i) polls[i] = {fds[i], POLLIN, 0};
  for (long left; (left = deadline - now_ms()) > 0;) {
    int ready = ::poll(polls, static_cast<nfds_t>(count), static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return -1;
    for (int i = 0; i < count; ++i) {
      if (!(polls[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      line.clear();
      if (read_rest_of_line(fds[i], line)) return i;
      polls[i].fd = -1;  // closed: wait for the others
    }
  }
  return -1;
}

void close_fd(int fd) {
  if (fd >= 0) ::close(fd);
}

}  // namespace cascade
