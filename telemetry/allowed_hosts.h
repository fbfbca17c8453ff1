// The egress allow-list of sandboxed agents (sandbox.allow_hosts): parsing its entries and matching a host
// against it, shared by the egress proxy and `harness validate`, so both read an entry the same way. Pure
// functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace telemetry {

// One allow_hosts entry: "host" (any port), "host:port", "*.domain" (its subdomains), "[::1]:443".
struct AllowedHost {
  std::string host;  // lower case; "*.example.com" matches a.example.com, not example.com
  int port = 0;      // 0 = any
};

// Parses an entry; nullopt when it is not host[:port] (the reason in `error`).
std::optional<AllowedHost> parse_allowed_host(const std::string& entry, std::string& error);
bool host_allowed(const std::vector<AllowedHost>& allowed, const std::string& host, int port);

// "host:port", "[v6]:port", "host" -> host (lower case) and port (default_port when none). False when malformed.
bool split_host_port(const std::string& text, int default_port, std::string& host, int& port);

}  // namespace telemetry
