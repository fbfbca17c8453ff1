#include "runners/egress_proxy.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "runners/socket_forwarder.h"
#include "runners/socket_pump.h"
#include "runners/telemetry_events.h"

namespace runners {
namespace {

constexpr size_t kMaxHead = 16 * 1024;
constexpr int kHeadTimeoutMs = 10000;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// "host:port", "[v6]:port", "host" -> host and port (default_port when none). False when malformed.
bool split_host_port(const std::string& text, int default_port, std::string& host, int& port) {
  std::string rest;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos) return false;
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
  } else {
    size_t colon = text.rfind(':');
    host = colon == std::string::npos ? text : text.substr(0, colon);
    rest = colon == std::string::npos ? "" : text.substr(colon);
  }
  if (rest.empty()) {
    port = default_port;
  } else {
    if (rest.front() != ':' || !all_digits(rest.substr(1)) || rest.size() > 6) return false;
    port = std::stoi(rest.substr(1));
    if (port <= 0 || port > 65535) return false;
  }
  host = lower(host);
  return !host.empty() && host.find_first_of(" /\t@") == std::string::npos;
}

std::string base64_decode(const std::string& in) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int value = 0, bits = -8;
  for (char c : in) {
    size_t pos = chars.find(c);
    if (pos == std::string::npos) break;  // '=' padding or the end
    value = (value << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((value >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

bool send_all(int fd, const std::string& data) {
  for (size_t sent = 0; sent < data.size();) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads the request head (up to the blank line); what came after it stays in `head` past `end`.
bool read_head(int fd, std::string& head, size_t& end) {
  char buf[4096];
  while ((end = head.find("\r\n\r\n")) == std::string::npos) {
    if (head.size() > kMaxHead) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kHeadTimeoutMs) <= 0) return false;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    head.append(buf, static_cast<size_t>(n));
  }
  end += 4;
  return true;
}

std::string reply(int status, const std::string& reason, const std::string& body) {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                     status, reason, body.size(), body);
}

}  // namespace

std::optional<AllowedHost> parse_allowed_host(const std::string& entry, std::string& error) {
  AllowedHost out;
  if (!split_host_port(entry, 0, out.host, out.port)) {
    error = "expected host or host:port (a port 1-65535), like registry.npmjs.org or pypi.org:443";
    return std::nullopt;
  }
  if (out.host.find('*') != std::string::npos && (out.host.rfind("*.", 0) != 0 || out.host.size() < 3 ||
                                                  out.host.find('*', 1) != std::string::npos)) {
    error = "expected a wildcard only as a leading '*.', like *.example.com";
    return std::nullopt;
  }
  return out;
}

bool host_allowed(const std::vector<AllowedHost>& allowed, const std::string& host_in, int port) {
  std::string host = lower(host_in);
  for (const auto& a : allowed) {
    if (a.port != 0 && a.port != port) continue;
    if (a.host.rfind("*.", 0) == 0) {
      std::string suffix = a.host.substr(1);  // ".example.com"
      if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0)
        return true;
    } else if (a.host == host) {
      return true;
    }
  }
  return false;
}

EgressProxy::EgressProxy(trace::Store& store, AgentTokens& tokens, EgressProxyOptions options)
    : store_(store), tokens_(tokens), options_(std::move(options)) {}

EgressProxy::~EgressProxy() { stop(); }

int EgressProxy::start() {
  int fd = sockets::listen_loopback(0);
  if (fd < 0) throw std::runtime_error(fmt::format("egress proxy: cannot bind a port on 127.0.0.1: {}", std::strerror(errno)));
  port_ = sockets::local_port(fd);
  server_ = std::make_unique<SocketForwarder>(fd, [this](int client) { return serve(client); });
  server_->start();
  return port_;
}

void EgressProxy::stop() {
  if (server_) server_->stop();
  server_.reset();
}

std::map<std::string, std::string> EgressProxy::agent_env(const std::string& token) const {
  std::string url = fmt::format("http://harness:{}@127.0.0.1:{}", token, port_);
  std::string local = "127.0.0.1,localhost,::1";
  return {{"HTTPS_PROXY", url}, {"https_proxy", url}, {"HTTP_PROXY", url}, {"http_proxy", url},
          {"NO_PROXY", local},  {"no_proxy", local}};
}

int EgressProxy::serve(int client) {
  std::string head;
  size_t end = 0;
  if (!read_head(client, head, end)) {
    send_all(client, reply(400, "Bad Request", "harness egress proxy: incomplete request\n"));
    return -1;
  }
  size_t line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  std::string method, target, version;
  {
    size_t a = line.find(' '), b = a == std::string::npos ? a : line.find(' ', a + 1);
    if (b == std::string::npos) {
      send_all(client, reply(400, "Bad Request", "harness egress proxy: malformed request line\n"));
      return -1;
    }
    method = line.substr(0, a);
    target = line.substr(a + 1, b - a - 1);
    version = line.substr(b + 1);
  }
  // Headers: the agent's token (Proxy-Authorization: Basic base64(user:token)); it is not passed on.
  std::string token, forwarded_headers;
  for (size_t pos = line_end + 2; pos < end - 2;) {
    size_t next = head.find("\r\n", pos);
    std::string header = head.substr(pos, next - pos);
    pos = next + 2;
    std::string name = lower(header.substr(0, header.find(':')));
    if (name == "proxy-authorization") {
      std::string value = header.substr(header.find(':') + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (lower(value.substr(0, 6)) == "basic ") {
        std::string decoded = base64_decode(value.substr(6));
        token = decoded.substr(decoded.find(':') == std::string::npos ? 0 : decoded.find(':') + 1);
      }
    } else if (name != "proxy-connection") {
      forwarded_headers += header + "\r\n";
    }
  }
  std::string host, path = "/";
  int port = 0;
  bool tunnel = method == "CONNECT";
  bool parsed = false;
  if (tunnel) {
    parsed = split_host_port(target, 443, host, port);
  } else if (lower(target.substr(0, 7)) == "http://") {
    std::string rest = target.substr(7);
    size_t slash = rest.find('/');
    if (slash != std::string::npos) path = rest.substr(slash);
    parsed = split_host_port(rest.substr(0, slash), 80, host, port);
  }
  auto entry = tokens_.find(token);
  std::string span_id = entry ? entry->target.agent_span_id : options_.run_span_id;
  auto record = [&](const char* type, const std::string& detail) {
    trace::Event e;
    e.span_id = span_id;
    e.time_ns = wall_now_ns();
    e.type = type;
    e.payload = {{"host", host}, {"port", port}, {"method", method}};
    if (entry) e.payload["agent"] = entry->target.agent_id;
    if (!detail.empty()) e.payload["error"] = detail;
    store_.put_event(e);
  };
  if (!parsed) {
    host = target;
    record("egress.denied", "not a CONNECT or absolute http:// request");
    send_all(client, reply(400, "Bad Request", "harness egress proxy: expected CONNECT host:port or an absolute "
                                               "http:// URL\n"));
    return -1;
  }
  if (!host_allowed(options_.allow, host, port)) {
    record("egress.denied", "");
    send_all(client, reply(403, "Forbidden",
                           fmt::format("harness sandbox: {}:{} is not in sandbox.allow_hosts\n", host, port)));
    return -1;
  }
  int upstream = sockets::connect_tcp(host, port);
  if (upstream < 0) {
    std::string why = std::strerror(errno);
    record("egress.allowed", why);
    send_all(client, reply(502, "Bad Gateway", fmt::format("harness egress proxy: {}:{}: {}\n", host, port, why)));
    return -1;
  }
  record("egress.allowed", "");
  std::string after = head.substr(end);
  bool ok = tunnel ? send_all(client, "HTTP/1.1 200 Connection established\r\n\r\n") && send_all(upstream, after)
                   : send_all(upstream, fmt::format("{} {} {}\r\n{}\r\n", method, path, version, forwarded_headers) +
                                            after);
  if (!ok) {
    ::close(upstream);
    return -1;
  }
  return upstream;
}

}  // namespace runners
