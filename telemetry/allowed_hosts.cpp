#include "telemetry/allowed_hosts.h"

#include <algorithm>
#include <cctype>

namespace telemetry {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

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

}  // namespace telemetry
