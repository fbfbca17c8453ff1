// Text helpers of the config loader: durations, shell-like splitting, ${ENV} expansion, "did you mean" suggestions.
// Pure functions of their arguments (expand_env reads the process environment); thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace harness {

// "90", "90s", "1.5h", "1h30m", "500ms", "2d" -> seconds. nullopt when malformed or negative.
std::optional<double> parse_duration(std::string_view text);
// Seconds -> a short exact form: 0 -> "0s", 90 -> "1m30s", 900 -> "15m", 5400 -> "1h30m", 0.5 -> "500ms".
std::string format_duration(double seconds);

// Splits a command line like a POSIX shell would (quotes, backslashes), without expanding anything.
// The words, or why the text cannot be split (an unclosed quote, a trailing backslash).
using SplitResult = base::Result<std::vector<std::string>>;
SplitResult shell_split(std::string_view text);

// Replaces ${NAME} and ${NAME:-default} (default used when NAME is unset or empty); "$${" is a literal "${".
// A `$` not followed by `{` is left alone, so shell variables like $HOME pass through to the shell.
struct ExpandResult {
  enum class Problem { kNone, kUnset, kMalformed };
  std::string text;
  Problem problem = Problem::kNone;  // the first problem found; text is incomplete then
  std::string reference;             // the offending "${...}" as written
  std::string variable;              // its variable name (for kUnset)
  bool ok() const { return problem == Problem::kNone; }
};
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
ExpandResult expand_env(std::string_view text, const EnvLookup& lookup);
ExpandResult expand_env(std::string_view text);  // from the process environment

// The candidate closest to `word` when it is close enough to be a likely typo; nullopt otherwise.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
size_t edit_distance(std::string_view a, std::string_view b);

// Letters, digits and '_' (not starting with a digit): an environment variable or placeholder name. With
// `allow_dots_and_dashes`, also '.' and '-' and any first character: a name that becomes part of a file name.
bool is_plain_name(std::string_view s, bool allow_dots_and_dashes);

// "a, b, c"
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace harness
