#include "trace/price_table.h"

#include <fmt/format.h>

#include <stdexcept>

namespace trace {
namespace {

base::Result<ModelPrice> parse_price(const std::string& where, const nlohmann::json& j) {
  if (!j.is_object()) return base::fail(where + ": expected {input, output, cache_read, cache_write} in USD per million tokens");
  ModelPrice p;
  const std::pair<const char*, double*> fields[] = {
      {"input", &p.input}, {"output", &p.output}, {"cache_read", &p.cache_read}, {"cache_write", &p.cache_write}};
  for (const auto& [key, value] : j.items()) {
    double* slot = nullptr;
    for (const auto& [name, field] : fields)
      if (key == name) slot = field;
    if (!slot) return base::fail(fmt::format("{}: unknown key \"{}\"; expected input, output, cache_read, cache_write", where, key));
    if (!value.is_number() || value.get<double>() < 0)
      return base::fail(fmt::format("{}.{}: expected a number >= 0 (USD per million tokens), got {}", where, key, value.dump()));
    *slot = value.get<double>();
  }
  if (!j.contains("input") || !j.contains("output"))
    return base::fail(where + ": input and output prices are required");
  return p;
}

base::Result<void> add_models(std::map<std::string, ModelPrice, std::less<>>& into, const nlohmann::json& models,
                              const std::string& source) {
  if (!models.is_object()) return base::fail(source + ": expected a map of model name to prices");
  for (const auto& [name, price] : models.items()) {
    if (name.empty()) return base::fail(source + ": a model name is empty");
    auto p = parse_price(source + "." + name, price);
    if (!p) return base::fail(p.error());
    into[name] = *p;
  }
  return {};
}

}  // namespace

const PriceTable& PriceTable::builtin() {
  static const PriceTable table = [] {
    auto t = parse(builtin_prices_json(), "trace/prices.json");
    if (!t) throw std::logic_error("the built-in price table is invalid: " + t.error());  // a build defect
    return std::move(t).value();
  }();
  return table;
}

base::Result<PriceTable> PriceTable::parse(std::string_view json_text, const std::string& source) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return base::fail(source + ": not a JSON object");
  PriceTable t;
  if (j.contains("date")) {
    if (!j["date"].is_string()) return base::fail(source + ": date: expected a string such as \"2025-11-01\"");
    t.date_ = j["date"].get<std::string>();
  }
  if (!j.contains("models")) return base::fail(source + ": missing \"models\"");
  if (auto added = add_models(t.models_, j["models"], source + ": models"); !added) return base::fail(added.error());
  return t;
}

base::Result<PriceTable> PriceTable::with_overrides(const nlohmann::json& models, const std::string& source) const {
  PriceTable t = *this;
  if (auto added = add_models(t.models_, models, source); !added) return base::fail(added.error());
  if (!models.empty()) t.date_ = (date_.empty() ? "" : date_ + " + ") + "config";
  return t;
}

std::optional<ModelPrice> PriceTable::find(std::string_view model) const {
  if (auto it = models_.find(model); it != models_.end()) return it->second;
  const ModelPrice* best = nullptr;
  size_t best_len = 0;
  for (const auto& [name, price] : models_) {
    if (name.size() <= best_len || model.size() <= name.size() || !model.starts_with(name)) continue;
    if (model[name.size()] != '-') continue;
    best = &price;
    best_len = name.size();
  }
  if (!best) return std::nullopt;
  return *best;
}

std::optional<double> PriceTable::cost(std::string_view model, const Usage& u) const {
  auto p = find(model);
  if (!p) return std::nullopt;
  return (static_cast<double>(u.input_tokens) * p->input + static_cast<double>(u.output_tokens) * p->output +
          static_cast<double>(u.cache_read_tokens) * p->cache_read +
          static_cast<double>(u.cache_creation_tokens) * p->cache_write) /
         1e6;
}

}  // namespace trace
