#include "strategies/meta_agent.h"

#include <exception>

#include <fmt/format.h>

namespace strategies {
namespace {

using Json = nlohmann::json;

MetaPlan fallback_plan(const std::vector<Strategy>& fallback, std::string error) {
  return {fallback, false, std::move(error)};
}

// The start of the output on one line for an error message: whitespace runs collapsed, trimmed, at most 80 bytes
// and never cut inside a UTF-8 sequence (the same form as the LLM observer's message).
std::string preview(std::string_view text) {
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
    if (out.size() >= 80) break;
  }
  if (out.size() > 80) out.resize(80);
  size_t cut = out.size();
  while (cut > 0 && (static_cast<unsigned char>(out[cut - 1]) & 0xC0) == 0x80) --cut;  // continuation bytes
  if (cut > 0 && static_cast<unsigned char>(out[cut - 1]) >= 0xC0) {
    unsigned char lead = static_cast<unsigned char>(out[cut - 1]);
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (out.size() - (cut - 1) < need) out.resize(cut - 1);  // an incomplete last character
  }
  return out;
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
                                 const std::vector<Strategy>& fallback) {
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
    if (item.contains("model") && !item["model"].is_string()) {
      bad.error = where + ".model: expected a string";
      return bad;
    }
    Strategy s;
    if (const Strategy* base = find_strategy(known, name)) {
      s = *base;
    } else if (!item.contains("params")) {
      bad.error = fmt::format("{}: unknown strategy \"{}\" without params", where, name);
      return bad;
    }
    s.name = name;
    if (item.contains("params"))
      for (const auto& [key, value] : item["params"].items()) s.params[key] = value;
    if (item.contains("model")) s.model = item["model"];
    plan.strategies.push_back(std::move(s));
  }
  for (size_t i = plan.strategies.size(); i < static_cast<size_t>(slots) && i < fallback.size(); ++i)
    plan.strategies.push_back(fallback[i]);
  return plan;
}

MetaPlan plan_with_meta_agent(const MetaAgentRequest& request, const CommandRunner& run,
                              const std::vector<Strategy>& fallback) {
  if (request.command.empty()) return fallback_plan(fallback, "meta.command is empty");
  if (!run) return fallback_plan(fallback, "meta.command: no command runner");
  CommandOutcome ran;
  try {
    ran = run(request.command, meta_agent_input(request).dump(-1, ' ', false, Json::error_handler_t::replace));
  } catch (const std::exception& e) {
    return fallback_plan(fallback, std::string("meta.command could not run: ") + e.what());
  }
  if (!ran.error.empty()) return fallback_plan(fallback, "meta.command " + ran.error);
  MetaPlan plan = parse_meta_agent_output(ran.output, request.slots, request.known, fallback);
  if (!plan.error.empty()) return fallback_plan(fallback, plan.error);
  return plan;
}

}  // namespace strategies
