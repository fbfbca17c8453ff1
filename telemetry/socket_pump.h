// Byte pumps between two connected stream sockets, and the few socket calls the sandbox's bridges share
// (listen on a Unix path or on 127.0.0.1, connect to either). Used by the host-side Unix bridge, the egress
// proxy and the forwarder inside a sandbox. Every function is thread-safe (no shared state).
#pragma once

#include <string>

namespace telemetry::sockets {

// Copies bytes both ways until both directions have ended (EOF or error on either side), half-closing each
// direction as its source ends so that request/response protocols see their EOFs. Closes neither descriptor.
void pump(int a, int b);

// A listening socket on 127.0.0.1:`port` (0 = a free port; SO_REUSEADDR); -1 with errno set on failure.
int listen_loopback(int port);
// The port a bound socket listens on.
int local_port(int fd);
// A listening Unix socket at `path` (an old socket file there is replaced); -1 with errno set on failure.
int listen_unix(const std::string& path);
// A connected socket, or -1 with errno set.
int connect_unix(const std::string& path);
int connect_tcp(const std::string& host, int port);  // host: a name or an address (getaddrinfo)

// accept() that survives EINTR; -1 once the socket was shut down or closed.
int accept_retry(int listen_fd);

}  // namespace telemetry::sockets
