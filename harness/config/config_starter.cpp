// The commented starter config `harness init` writes, derived from the key table: the keys marked in_starter are
// set (to their example), every other key is shown commented out at its default, each with its doc above it.
#include <optional>

#include "harness/config/config.h"
#include "harness/config/config_keys.h"

namespace harness {
namespace {

constexpr size_t kWidth = 100;

bool shown_in_starter(const ConfigKey& key) { return key.key.find("[]") == std::string::npos; }

bool active(const ConfigKey& key) {
  if (key.in_starter) return true;
  for (const ConfigKey* child : child_keys(key.key))
    if (shown_in_starter(*child) && active(*child)) return true;
  return false;
}

std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// A set key shows its example; a commented-out one its default, unless that is empty and an example says more.
std::string shown_value(const ConfigKey& key, bool commented) {
  const std::string& d = key.default_value;
  bool empty_default = d.empty() || d == "\"\"" || d == "[]" || d == "{}";
  if (key.example.empty() || (commented && !empty_default)) return d;
  return key.example;
}

class StarterWriter {
 public:
  std::string out;

  void children(const std::string& parent, const std::string& indent, const std::optional<std::string>& base) {
    bool first = true;
    for (const ConfigKey* key : child_keys(parent)) {
      if (!shown_in_starter(*key)) continue;
      if (parent.empty() && !first) out += "\n";
      first = false;
      entry(*key, indent, base);
    }
  }

 private:
  // A line at `indent`; inside a commented-out block the "# " goes at the block's own indentation, so that
  // deleting it leaves correctly indented YAML.
  void line(const std::string& indent, const std::optional<std::string>& base, const std::string& text) {
    if (!base) out += indent + text + "\n";
    else out += *base + "# " + indent.substr(base->size()) + text + "\n";
  }

  void value_lines(const ConfigKey& key, const std::string& indent, const std::optional<std::string>& base,
                   const std::string& value) {
    size_t newline = value.find('\n');
    std::string first = value.substr(0, newline);
    line(indent, base, leaf_key(key.key) + ":" + (first.empty() ? "" : " " + first));
    while (newline != std::string::npos) {
      size_t next = value.find('\n', newline + 1);
      line(indent + "  ", base, value.substr(newline + 1, next == std::string::npos ? next : next - newline - 1));
      newline = next;
    }
  }

  void entry(const ConfigKey& key, const std::string& indent, const std::optional<std::string>& base) {
    const std::optional<std::string> own_base = base ? base : active(key) ? std::nullopt : std::optional(indent);
    for (const auto& doc_line : wrap(key.doc, kWidth - indent.size() - 2)) line(indent, base, "# " + doc_line);
    switch (key.type) {
      case KeyType::kSection:
        line(indent, own_base, leaf_key(key.key) + ":");
        children(key.key, indent + "  ", own_base);
        return;
      case KeyType::kPresetOrSection:
        value_lines(key, indent, own_base, key.example);
        line(indent, base, "# Or as a map of these keys (a preset's keys are defaults under yours):");
        line(indent, base ? base : std::optional(indent), leaf_key(key.key) + ":");
        children(key.key, indent + "  ", base ? base : std::optional(indent));
        return;
      default:
        value_lines(key, indent, own_base, shown_value(key, own_base.has_value()));
    }
  }
};

}  // namespace

std::string starter_config() {
  StarterWriter writer;
  writer.out =
      "# harness config, written by `harness init`. Every key, its type and default: docs/config.md.\n"
      "# Check it with `harness validate FILE`; run it with `harness run FILE`.\n"
      "# Durations are seconds or like 90s, 15m, 2h. ${VAR} and ${VAR:-default} read the environment at load time;\n"
      "# the run directory keeps the text unexpanded, so secrets stay out of it.\n"
      "# Lines starting with '#' show optional keys at their defaults (or an example where the default is empty):\n"
      "# delete the '#' to set one.\n\n";
  writer.children("", "", std::nullopt);
  return writer.out;
}

}  // namespace harness
