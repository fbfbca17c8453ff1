// Glob matching for audit policies: `*` (within a path segment), `**` (across segments; `**/` also matches no
// directory), `?`, `[abc]`, `[a-z]`, `[!abc]`. Linear-time dynamic programming: a pattern can never make a match
// blow up on an 8 KB command line. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace trace {

// Whole-string match. With `star_crosses_slash`, `*` and `?` match '/' too (commands, hosts).
bool glob_match(std::string_view pattern, std::string_view text, bool star_crosses_slash = false);

// Lexical path clean-up so `src/../.env` cannot slip past a rule on `.env`: collapses `//` and `/./`, resolves `..`
// (never above the root), drops a trailing '/'.
std::string normalize_path(std::string_view path);

// Policy semantics for file paths: an absolute pattern must match the whole (normalized) path; a relative one
// matches the whole path or any tail of it that starts at a directory boundary (so `*.env` or `src/**` match
// wherever the agent's working directory was). A pattern ending in '/' means everything below that directory.
bool path_matches(std::string_view pattern, std::string_view path);

// A command rule: a glob over the whole simple command, or (without glob characters) a prefix that ends at a word
// boundary (`git` allows `git status`, not `gitk`).
bool command_matches(std::string_view pattern, std::string_view command);

// A host rule, case-insensitive: `*.example.com` for subdomains, `example.com` exactly.
bool host_matches(std::string_view pattern, std::string_view host);

}  // namespace trace
