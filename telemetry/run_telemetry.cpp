#include "telemetry/run_telemetry.h"

namespace telemetry {

RunTelemetry::RunTelemetry(trace::Store& store, TelemetryOptions options, const std::string& run_span_id) {
  if (options.otlp_receiver) {
    OtlpReceiverOptions o;
    o.run_span_id = run_span_id;
    o.max_body_bytes = options.otlp_max_body_bytes;
    o.raw_limit = options.otlp_raw_limit;
    receiver_ = std::make_unique<OtlpReceiver>(store, tokens_, o);
  }
  if (options.proxy) {
    LlmProxyOptions o;
    o.run_span_id = run_span_id;
    o.anthropic_upstream = options.anthropic_upstream;
    o.openai_upstream = options.openai_upstream;
    o.max_request_bytes = options.proxy_max_request_bytes;
    o.prices = options.prices;
    o.ledger = options.ledger;
    proxy_ = std::make_unique<LlmProxy>(store, tokens_, o);
  }
  if (options.egress_allow) {
    EgressProxyOptions o;
    o.allow = *options.egress_allow;
    o.run_span_id = run_span_id;
    egress_ = std::make_unique<EgressProxy>(store, tokens_, o);
  }
}

RunTelemetry::~RunTelemetry() { stop(); }

void RunTelemetry::start() {
  ports_.clear();
  if (receiver_) ports_.push_back(receiver_->start());
  if (proxy_) ports_.push_back(proxy_->start());
  if (egress_) ports_.push_back(egress_->start());
}

void RunTelemetry::stop() {
  if (egress_) egress_->stop();
  if (proxy_) proxy_->stop();
  if (receiver_) receiver_->stop();
}

AgentTelemetry RunTelemetry::begin_agent(const TelemetryTarget& target) {
  AgentTelemetry out;
  if (!receiver_ && !proxy_ && !egress_) return out;
  out.token = tokens_.add(target)->token;
  if (receiver_) out.env.merge(receiver_->agent_env(out.token));
  if (proxy_) out.env.merge(proxy_->agent_env(out.token));
  if (egress_) out.env.merge(egress_->agent_env(out.token));
  return out;
}

void RunTelemetry::end_agent(const std::string& token) {
  auto entry = tokens_.remove(token);
  if (entry && receiver_) receiver_->finish_agent(*entry);
}

}  // namespace telemetry
