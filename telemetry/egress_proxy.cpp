#include "telemetry/egress_proxy.h"

#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "telemetry/socket_forwarder.h"
#include "telemetry/socket_pump.h"
#include "telemetry/telemetry_events.h"

namespace telemetry {
namespace {

constexpr size_t kMaxHead = 16 * 1024;
constexpr int kHeadTimeoutMs = 10000;

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

// A proxy request's head, as the proxy needs it.
struct ProxyRequest {
  std::string method, target, version;
  std::string token;              // from Proxy-Authorization: Basic base64(user:token); it is not passed on
  std::string forwarded_headers;  // every other header but Proxy-Connection, each ending in CRLF
};

bool starts_with_nocase(const std::string& s, const char* prefix) {
  size_t n = std::strlen(prefix);
  return s.size() >= n && ::strncasecmp(s.data(), prefix, n) == 0;
}
bool equals_nocase(const std::string& s, const char* other) {
  return s.size() == std::strlen(other) && starts_with_nocase(s, other);
}

// Parses a head read by read_head() (`end` is past its blank line); false when the request line is malformed.
bool parse_request(const std::string& head, size_t end, ProxyRequest& r) {
  size_t line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  size_t a = line.find(' '), b = a == std::string::npos ? a : line.find(' ', a + 1);
  if (b == std::string::npos) return false;
  r.method = line.substr(0, a);
  r.target = line.substr(a + 1, b - a - 1);
  r.version = line.substr(b + 1);
  for (size_t pos = line_end + 2; pos < end - 2;) {
    size_t next = head.find("\r\n", pos);
    std::string header = head.substr(pos, next - pos);
    pos = next + 2;
    std::string name = header.substr(0, header.find(':'));
    if (equals_nocase(name, "proxy-authorization")) {
      std::string value = header.substr(header.find(':') + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (starts_with_nocase(value, "basic ")) {
        std::string decoded = base64_decode(value.substr(6));
        r.token = decoded.substr(decoded.find(':') == std::string::npos ? 0 : decoded.find(':') + 1);
      }
    } else if (!equals_nocase(name, "proxy-connection")) {
      r.forwarded_headers += header + "\r\n";
    }
  }
  return true;
}

// Where a request goes: CONNECT host:port (a tunnel; port 443 by default) or an absolute http:// URL. False when
// it is neither; host and port then hold what could be read.
struct Destination {
  std::string host, path = "/";
  int port = 0;
  bool tunnel = false;
};
bool parse_destination(const ProxyRequest& r, Destination& d) {
  d.tunnel = r.method == "CONNECT";
  if (d.tunnel) return split_host_port(r.target, 443, d.host, d.port);
  if (!starts_with_nocase(r.target, "http://")) return false;
  std::string rest = r.target.substr(7);
  size_t slash = rest.find('/');
  if (slash != std::string::npos) d.path = rest.substr(slash);
  return split_host_port(rest.substr(0, slash), 80, d.host, d.port);
}

}  // namespace

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
  ProxyRequest request;
  if (!parse_request(head, end, request)) {
    send_all(client, reply(400, "Bad Request", "harness egress proxy: malformed request line\n"));
    return -1;
  }
  Destination to;
  bool parsed = parse_destination(request, to);
  auto entry = tokens_.find(request.token);
  std::string span_id = entry ? entry->target.agent_span_id : options_.run_span_id;
  auto record = [&](const char* type, const std::string& detail) {
    trace::Event e;
    e.span_id = span_id;
    e.time_ns = wall_now_ns();
    e.type = type;
    e.payload = {{"host", to.host}, {"port", to.port}, {"method", request.method}};
    if (entry) e.payload["agent"] = entry->target.agent_id;
    if (!detail.empty()) e.payload["error"] = detail;
    store_.put_event(e);
  };
  if (!parsed) {
    to.host = request.target;
    record("egress.denied", "not a CONNECT or absolute http:// request");
    send_all(client, reply(400, "Bad Request", "harness egress proxy: expected CONNECT host:port or an absolute "
                                               "http:// URL\n"));
    return -1;
  }
  if (!host_allowed(options_.allow, to.host, to.port)) {
    record("egress.denied", "");
    send_all(client, reply(403, "Forbidden",
                           fmt::format("harness sandbox: {}:{} is not in sandbox.allow_hosts\n", to.host, to.port)));
    return -1;
  }
  int upstream = sockets::connect_tcp(to.host, to.port);
  if (upstream < 0) {
    std::string why = std::strerror(errno);
    record("egress.allowed", why);
    send_all(client,
             reply(502, "Bad Gateway", fmt::format("harness egress proxy: {}:{}: {}\n", to.host, to.port, why)));
    return -1;
  }
  record("egress.allowed", "");
  std::string after = head.substr(end);
  bool ok = to.tunnel ? send_all(client, "HTTP/1.1 200 Connection established\r\n\r\n") && send_all(upstream, after)
                      : send_all(upstream, fmt::format("{} {} {}\r\n{}\r\n", request.method, to.path,
                                                       request.version, request.forwarded_headers) +
                                               after);
  if (!ok) {
    ::close(upstream);
    return -1;
  }
  return upstream;
}

}  // namespace telemetry
