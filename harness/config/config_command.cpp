// The walker's check of runner.command: an argv from a list or a shell-like string, ${ENV} in each word, and
// placeholders that look like typos of the known ones.
#include <algorithm>

#include <fmt/format.h>

#include "harness/config/config_text.h"
#include "harness/config/config_walk.h"

namespace harness {

std::optional<std::vector<std::string>> ConfigWalker::check_command(const YAML::Node& node, const std::string& shown) {
  std::vector<std::string> argv;
  bool ok = true;
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      if (!node[i].IsScalar()) {
        error(place(node[i]), fmt::format("wrong type for {}: got {}, expected a string",
                                          quote(fmt::format("{}[{}]", shown, i)), describe_node(node[i])));
        ok = false;
      } else if (auto s = expand(node[i], shown)) {
        argv.push_back(*s);
      } else {
        ok = false;
      }
    }
  } else if (node.IsScalar()) {
    // Split first, expand each word after: a variable's value stays one word, as "$VAR" in a shell.
    SplitResult split = shell_split(node.Scalar());
    if (!split.ok()) {
      error(place(node), fmt::format("cannot split {}: got {} ({}), expected a command line with its quotes closed",
                                     quote(shown), describe_node(node), split.error()));
      return std::nullopt;
    }
    for (const auto& word : *split) {
      ExpandResult r = expand_env(word);
      if (!r.ok()) {
        expand_problem(r, node, shown);
        return std::nullopt;
      }
      argv.push_back(r.text);
    }
  } else {
    wrong_type(*find_config_key("runner.command"), node, shown);
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  if (argv.empty() || argv[0].empty()) {
    error(place(node), fmt::format("empty command for {}: got {}, expected at least the program to run", quote(shown),
                                   describe_node(node)));
    return std::nullopt;
  }
  // Braces also belong to shells and scripts (`sh -c 'awk "{print}"'`, "${HOME}"), so only a near miss of a
  // placeholder is an error: a typo would otherwise reach the agent silently as literal text.
  const auto& known = runner_placeholders();
  for (const auto& word : argv) {
    for (size_t open = word.find('{'); open != std::string::npos; open = word.find('{', open + 1)) {
      size_t close = word.find('}', open);
      if (close == std::string::npos) break;
      std::string name = word.substr(open + 1, close - open - 1);
      if ((open > 0 && word[open - 1] == '$') || !is_plain_name(name, false) ||
          std::find(known.begin(), known.end(), name) != known.end())
        continue;
      std::optional<std::string> near = did_you_mean(name, known);
      if (!near) continue;
      std::vector<std::string> braced;
      for (const auto& k : known) braced.push_back("{" + k + "}");
      error(place(node), fmt::format("unknown placeholder in {}: got '{{{}}}', expected one of {}; did you mean "
                                     "'{{{}}}'?",
                                     quote(shown), name, join(braced, " "), *near));
      ok = false;
    }
  }
  return ok ? std::optional(argv) : std::nullopt;
}

}  // namespace harness
