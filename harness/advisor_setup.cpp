// make_observer_advisor / make_meta_advisor / seed_advisor_spend: see advisor_setup.h.
#include "harness/advisor_setup.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "harness/advisor/advisor_schemas.h"
#include "harness/config/config_presets.h"
#include "harness/interrupt.h"
#include "trace/proxy_usage.h"
#include "trace/usage_totals.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

std::string read_template(const std::string& name) {
  fs::path path = harness_home() / "templates" / name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read the advisor's prompt template (set HARNESS_HOME)",
                                                path.string()));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

telemetry::Spend spend_of(const trace::SubtreeTotals& t) {
  return {t.usage.input_tokens + t.usage.output_tokens, t.usage.cost_usd};
}

AdvisorSetup base_setup(AgentEnvironment& env, const std::string& role, ModelCli cli, const std::string& model) {
  AdvisorSetup s;
  s.role = role;
  s.cli = cli;
  s.model = model;
  s.timeout_s = env.config.observer.command_timeout_s;
  s.store = &env.store;
  s.run_dir = fs::absolute(env.dir.root).string();
  s.trace_id = env.trace_id;
  s.stop = interrupt_requested;
  // The advisors reach the model the agents reach: the endpoint and key variable of runner.env (with the proxy on,
  // the proxy's own env, added per question below, wins). Values with {placeholders} are an agent's own.
  for (const char* name : {"ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "CODEX_API_KEY_ENV"})
    if (auto it = env.config.runner.env.find(name);
        it != env.config.runner.env.end() && it->second.find('{') == std::string::npos)
      s.env[name] = it->second;
  // Tokens of the proxy by span: a question's token is dropped once its session is in.
  auto tokens = std::make_shared<std::map<std::string, std::string>>();
  s.begin = [&env, tokens](const std::string& span_id, const std::string& folder, int generation) {
    env.ledger.open_agent(span_id, generation);
    std::map<std::string, std::string> extra;
    if (env.telemetry && env.telemetry->proxy()) {
      telemetry::TelemetryTarget target{env.trace_id, span_id, folder, fs::absolute(env.dir.root).string(),
                                        (fs::path("advisors") / folder).string()};
      telemetry::AgentTelemetry t = env.telemetry->begin_agent(target);
      (*tokens)[span_id] = t.token;
      extra = t.env;
    }
    return extra;
  };
  s.end = [&env, tokens](const std::string& span_id) {
    if (auto it = tokens->find(span_id); it != tokens->end()) {
      env.telemetry->end_agent(it->second);
      tokens->erase(it);
      trace::reconcile_proxy_usage(env.store, span_id);
    }
    env.ledger.settle(span_id, spend_of(trace::subtree_totals(env.store, span_id)));
  };
  return s;
}

}  // namespace

std::optional<Advisor> make_observer_advisor(AgentEnvironment& env) {
  auto cli = model_cli_from(env.config.observer.llm);
  if (!cli) return std::nullopt;
  AdvisorSetup s = base_setup(env, "observer", *cli, env.config.observer.llm_model);
  s.template_text = read_template("observer_llm.mustache");
  s.schema = observer_answer_schema();
  return Advisor(std::move(s));
}

std::optional<Advisor> make_meta_advisor(AgentEnvironment& env) {
  auto cli = model_cli_from(env.config.strategies.meta);
  if (!cli) return std::nullopt;
  AdvisorSetup s = base_setup(env, "meta-agent", *cli, env.config.strategies.meta_model);
  s.template_text = read_template("meta_agent.mustache");
  s.schema = meta_answer_schema();
  s.to_protocol = meta_answer_to_protocol;
  return Advisor(std::move(s));
}

void seed_advisor_spend(AgentEnvironment& env) {
  std::vector<std::pair<std::string, int>> spans;
  env.store.query("SELECT span_id, json_extract(attributes, '$.\"harness.generation\"') FROM spans "
                  "WHERE kind='observer' AND name LIKE 'advisor.%'",
                  {}, [&](const trace::Row& row) { spans.emplace_back(row.text(0), static_cast<int>(row.int64(1))); });
  for (const auto& [span_id, generation] : spans)
    env.ledger.seed(generation, spend_of(trace::subtree_totals(env.store, span_id)));
}

}  // namespace harness
