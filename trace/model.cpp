#include "trace/model.h"

#include <array>

namespace trace {
namespace {
constexpr std::array<std::string_view, 9> kKindNames = {"run", "generation", "agent",    "session", "llm",
                                                        "tool", "subagent",  "verify", "observer"};
constexpr std::array<std::string_view, 3> kStatusNames = {"unset", "ok", "error"};
}  // namespace

std::string_view to_string(SpanKind kind) { return kKindNames[static_cast<size_t>(kind)]; }
std::string_view to_string(SpanStatus status) { return kStatusNames[static_cast<size_t>(status)]; }

std::optional<SpanKind> span_kind_from(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i)
    if (kKindNames[i] == name) return static_cast<SpanKind>(i);
  return std::nullopt;
}

std::optional<SpanStatus> span_status_from(std::string_view name) {
  for (size_t i = 0; i < kStatusNames.size(); ++i)
    if (kStatusNames[i] == name) return static_cast<SpanStatus>(i);
  return std::nullopt;
}

}  // namespace trace
