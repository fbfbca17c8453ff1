// Loopback TCP with one text line per message, and deadlines on every read.
#pragma once

#include <optional>
#include <string>

namespace cascade {

// A listening socket on 127.0.0.1:port; throws std::runtime_error naming the port and errno's text.
int listen_on(int port);
// A connection to 127.0.0.1:port, or -1.
int connect_to(int port);
bool send_line(int fd, const std::string& line);
// The next line (without '\n'), or nothing when the peer closed or `timeout_ms` passed first.
std::optional<std::string> read_line(int fd, int timeout_ms);
// Waits for the first of `fds` to have a line; returns its index and the line, or -1 on timeout.
int read_first_line(const int* fds, int count, int timeout_ms, std::string& line);
void close_fd(int fd);

}  // namespace cascade
