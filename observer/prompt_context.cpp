#include "observer/prompt_context.h"

#include <kainjow/mustache.hpp>

namespace observer {
namespace {

namespace mus = kainjow::mustache;

std::string value_text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

mus::data context(const PromptInputs& in) {
  mus::data d;
  d.set("bug", in.bug);
  d.set("verify_command", in.verify_command);
  d.set("has_verify_command", !in.verify_command.empty());
  d.set("generation", std::to_string(in.generation));
  d.set("generations", std::to_string(in.generations));
  d.set("has_generations", in.generations > 0);
  d.set("first_generation", in.generation <= 1);
  d.set("agent_id", in.agent_id);
  d.set("model", in.model);
  d.set("has_model", !in.model.empty());

  mus::data strategy;
  strategy.set("name", in.strategy_name);
  mus::data params{mus::data::type::list};
  if (in.strategy_params.is_object()) {
    for (const auto& [key, value] : in.strategy_params.items()) {
      mus::data p;
      p.set("key", key);
      p.set("value", value_text(value));
      params.push_back(p);
    }
  }
  strategy.set("has_params", in.strategy_params.is_object() && !in.strategy_params.empty());
  strategy.set("params", params);
  d.set("strategy", strategy);

  mus::data partial{mus::data::type::list};
  for (const auto& text : in.partial_fixes) {
    mus::data p;
    p.set("text", text);
    partial.push_back(p);
  }
  d.set("partial_fixes", partial);
  d.set("has_partial_fixes", !in.partial_fixes.empty());

  mus::data list{mus::data::type::list};
  for (const auto& o : in.observations) {
    mus::data item;
    item.set("line", render_line(o));
    item.set("id", o.id);
    item.set("priority", std::string(to_string(o.priority)));
    item.set("kind", std::string(to_string(o.kind)));
    item.set("text", o.text);
    item.set("count", std::to_string(o.count));
    list.push_back(item);
  }
  std::string lines = render_lines(in.observations);
  if (!lines.empty()) lines.pop_back();  // the template decides what follows the last line
  d.set("observations", lines);
  d.set("observation_list", list);
  d.set("has_observations", !in.observations.empty());
  d.set("observation_count", std::to_string(in.observations.size()));
  d.set("total_observations", std::to_string(std::max(in.total_observations, in.observations.size())));
  return d;
}

}  // namespace

std::string prompt_template_error(const std::string& template_text) {
  mus::mustache tmpl{template_text};
  return tmpl.is_valid() ? "" : tmpl.error_message();
}

std::string render_prompt(const std::string& template_text, const PromptInputs& inputs) {
  mus::mustache tmpl{template_text};
  if (!tmpl.is_valid()) throw PromptTemplateError("prompt template: " + tmpl.error_message());
  // A prompt is plain text: HTML escaping would turn `a < b` in a bug report into `a &lt; b`.
  tmpl.set_custom_escape([](const std::string& s) { return s; });
  std::string out = tmpl.render(context(inputs));
  if (!tmpl.is_valid()) throw PromptTemplateError("prompt template: " + tmpl.error_message());
  return out;
}

std::vector<std::string> partial_fix_texts(const ObservationSet& observations) {
  std::vector<std::string> out;
  for (const auto& o : observations.ranked())
    if (o.kind == Kind::partial_fix) out.push_back(o.text);
  return out;
}

}  // namespace observer
