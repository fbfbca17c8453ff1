// The run's egress proxy for sandboxed agents: an HTTP proxy on the host's 127.0.0.1 (reached from inside a
// sandbox through its bridge) that lets an agent reach only the hosts of `sandbox.allow_hosts`, by CONNECT
// (https) or an absolute-form request (plain http). Every attempt, allowed or denied, is an event on the agent's
// span (`egress.allowed`, `egress.denied`, with host, port and method), found by the agent's token, which its
// proxy URL carries as the password (http://harness:<token>@127.0.0.1:<port>). Thread-safe: one thread per
// connection; the Store and AgentTokens are thread-safe. start()/stop() from one thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "telemetry/agent_tokens.h"
#include "telemetry/allowed_hosts.h"
#include "trace/store.h"

namespace telemetry {

class SocketForwarder;

struct EgressProxyOptions {
  std::vector<AllowedHost> allow;
  std::string run_span_id;  // where attempts without a valid token are recorded
};

class EgressProxy {
 public:
  EgressProxy(trace::Store& store, AgentTokens& tokens, EgressProxyOptions options);
  ~EgressProxy();
  // Listens on 127.0.0.1 and a free port; returns it. Throws std::runtime_error when no port can be bound.
  int start();
  void stop();
  int port() const { return port_; }
  // HTTPS_PROXY, HTTP_PROXY (and lower-case forms) pointing here with the agent's token; NO_PROXY for loopback,
  // so the run's LLM proxy and OTLP receiver are still reached directly.
  std::map<std::string, std::string> agent_env(const std::string& token) const;

 private:
  int serve(int client);  // handles one client connection; returns the upstream descriptor or -1

  trace::Store& store_;
  AgentTokens& tokens_;
  EgressProxyOptions options_;
  int port_ = 0;
  std::unique_ptr<SocketForwarder> server_;
};

}  // namespace telemetry
