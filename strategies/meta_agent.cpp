#include "strategies/meta_agent.h"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

namespace strategies {
namespace {

using Json = nlohmann::json;

MetaPlan fallback_plan(const std::vector<Strategy>& fallback, std::string error) {
  MetaPlan plan;
  plan.strategies = fallback;
  plan.error = std::move(error);
  return plan;
}

// The start of a text on one line (an error message, a reason): whitespace runs collapsed, trimmed, at most `max` bytes
// and never cut inside a UTF-8 sequence (the same form as the LLM observer's message).
std::string preview(std::string_view text, size_t max = 80) {
  std::string out;
  bool pending_space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
    if (out.size() >= max) break;
  }
  if (out.size() > max) out.resize(max);
  size_t cut = out.size();
  while (cut > 0 && (static_cast<unsigned char>(out[cut - 1]) & 0xC0) == 0x80) --cut;  // continuation bytes
  if (cut > 0 && static_cast<unsigned char>(out[cut - 1]) >= 0xC0) {
    unsigned char lead = static_cast<unsigned char>(out[cut - 1]);
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (out.size() - (cut - 1) < need) out.resize(cut - 1);  // an incomplete last character
  }
  return out;
}

bool valid_model_name(const std::string& model) {
  if (model.size() > 128) return false;
  for (unsigned char c : model)
    if (c <= ' ' || c == 0x7f) return false;
  return true;
}

// The answer's reasons for one strategy: `why` (a string, clipped) and `observations` (known ids).
std::string read_reasons(const Json& item, const std::string& where, const std::vector<std::string>* known_ids,
                         MetaProposal& proposal) {
  if (item.contains("why")) {
    if (!item["why"].is_string()) return where + ".why: expected a string";
    proposal.why = preview(item["why"].get<std::string>(), 600);
  }
  if (!item.contains("observations")) return "";
  if (!item["observations"].is_array()) return where + ".observations: expected an array of observation ids";
  for (const auto& id : item["observations"]) {
    if (!id.is_string()) return where + ".observations: expected an array of observation ids";
    if (known_ids && std::find(known_ids->begin(), known_ids->end(), id.get<std::string>()) == known_ids->end())
      return fmt::format("{}.observations: unknown observation {} (expected one of the ids listed)", where,
                         preview(id.dump()));
    if (proposal.observations.size() < 20) proposal.observations.push_back(id);
  }
  return "";
}

// Messages are written for meta.command; a preset's name them after the preset.
std::string relabel(const std::string& error, const std::string& label) {
  const std::string prefix = "meta.command";
  if (label == prefix || error.rfind(prefix, 0) != 0) return error;
  return label + error.substr(prefix.size());
}

}  // namespace

Json meta_agent_input(const MetaAgentRequest& request) {
  Json known = Json::array();
  for (const auto& s : request.known) {
    Json item = s.to_json();
    for (const auto& st : request.stats) {
      if (st.name == s.name) {
        item["trials"] = st.trials;
        item["mean_score"] = st.mean();
      }
    }
    known.push_back(item);
  }
  return {{"protocol", kMetaProtocol},        {"generation", request.generation},
          {"slots", request.slots},            {"strategies", known},
          {"digest", request.digest},          {"observations", request.observations}};
}

MetaPlan parse_meta_agent_output(std::string_view output, int slots, const std::vector<Strategy>& known,
                                 const std::vector<Strategy>& fallback,
                                 const std::vector<std::string>* observation_ids) {
  MetaPlan bad;
  // The user's own meta.command, not an agent: its output is trusted as config is (strategies/ sits below trace/).
  Json j = Json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    bad.error = fmt::format("meta.command output is not JSON: \"{}\"", preview(output));
    return bad;
  }
  if (!j.is_object() || !j.contains("strategies") || !j["strategies"].is_array()) {
    bad.error = "meta.command output: expected an object with a \"strategies\" array";
    return bad;
  }
  const Json& items = j["strategies"];
  if (items.empty() || items.size() > static_cast<size_t>(slots)) {
    bad.error = fmt::format("meta.command output: {} strategies for {} slots; expected 1 to {}", items.size(), slots,
                            slots);
    return bad;
  }
  MetaPlan plan;
  plan.from_meta_agent = true;
  for (size_t i = 0; i < items.size(); ++i) {
    const Json& item = items[i];
    std::string where = fmt::format("meta.command output: strategies[{}]", i);
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string() ||
        !valid_strategy_name(item["name"].get<std::string>())) {
      bad.error = where + ".name: expected a strategy name (1-64 letters, digits, - _ . + ~)";
      return bad;
    }
    std::string name = item["name"];
    if (item.contains("params") && !item["params"].is_object()) {
      bad.error = where + ".params: expected an object";
      return bad;
    }
    if (item.contains("model") && (!item["model"].is_string() || !valid_model_name(item["model"]))) {
      bad.error = where + ".model: expected a model name (at most 128 characters, no spaces)";
      return bad;
    }
    if (item.contains("params") && item["params"].contains("budget_steps")) {
      const Json& steps = item["params"]["budget_steps"];
      if (!steps.is_number_integer() || steps.get<int64_t>() < 1 || steps.get<int64_t>() > 10000) {
        bad.error = fmt::format("{}.params.budget_steps: expected an integer from 1 to 10000, got {}", where,
                                preview(steps.dump()));
        return bad;
      }
    }
    MetaProposal proposal;
    proposal.name = name;
    if (auto error = read_reasons(item, where, observation_ids, proposal); !error.empty()) {
      bad.error = error;
      return bad;
    }
    Strategy s;
    if (const Strategy* base = find_strategy(known, name)) {
      s = *base;
    } else {
      proposal.is_new = true;
      if (item.contains("based_on")) {
        const Strategy* from = item["based_on"].is_string() ? find_strategy(known, item["based_on"]) : nullptr;
        if (!from) {
          bad.error = fmt::format("{}.based_on: expected one of the known strategies, got {}", where,
                                  preview(item["based_on"].dump()));
          return bad;
        }
        s = *from;
        s.space = Json::object();  // what evolve may mutate belongs to the strategy it came from
        proposal.based_on = from->name;
      }
      if (!item.contains("params") || item["params"].empty()) {
        bad.error = fmt::format("{}: new strategy \"{}\" without params (say at least what its agents must do)",
                                where, name);
        return bad;
      }
    }
    s.name = name;
    if (item.contains("params"))
      for (const auto& [key, value] : item["params"].items()) s.params[key] = value;
    if (item.contains("model")) s.model = item["model"];
    plan.strategies.push_back(std::move(s));
    plan.proposals.push_back(std::move(proposal));
  }
  for (size_t i = plan.strategies.size(); i < static_cast<size_t>(slots) && i < fallback.size(); ++i)
    plan.strategies.push_back(fallback[i]);
  return plan;
}

MetaPlan plan_with_meta_agent(const MetaAgentRequest& request, const CommandRunner& run,
                              const std::vector<Strategy>& fallback) {
  if (request.command.empty()) return fallback_plan(fallback, "meta.command is empty");
  if (!run) return fallback_plan(fallback, "meta.command: no command runner");
  std::vector<std::string> ids;
  for (const auto& o : request.observations)
    if (o.is_object() && o.contains("id") && o["id"].is_string()) ids.push_back(o["id"]);
  Json input = meta_agent_input(request);
  std::string retried_error;
  for (int attempt = 1;; ++attempt) {
    CommandOutcome ran;
    try {
      ran = run(request.command, input.dump(-1, ' ', false, Json::error_handler_t::replace));
    } catch (const std::exception& e) {
      ran.error = std::string("could not run: ") + e.what();
    }
    MetaPlan plan;
    if (!ran.error.empty()) {
      plan = fallback_plan(fallback, "meta.command " + ran.error);
    } else {
      plan = parse_meta_agent_output(ran.output, request.slots, request.known, fallback, &ids);
      if (!plan.error.empty()) {
        if (attempt <= request.retries) {
          retried_error = relabel(plan.error, request.label);
          input["previous_error"] = retried_error;
          input["previous_answer"] = ran.output.substr(0, 4000);
          continue;
        }
        plan = fallback_plan(fallback, plan.error);
      }
    }
    plan.attempts = attempt;
    plan.retried_error = retried_error;
    plan.error = relabel(plan.error, request.label);
    return plan;
  }
}

}  // namespace strategies
