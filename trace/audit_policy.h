// The policy `harness audit` checks a trace against, read from YAML or JSON:
//   files:    {read: {allow: [globs], deny: [globs]}, write: {allow: [...], deny: [...]}}
//   commands: {allow: [globs or prefixes], deny: [...]}
//   network:  {allow: [hosts], deny: [...]}
// Every mistake in the file is reported as `file:line:col: what is wrong, what was expected`. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace trace {

struct RuleSet {
  explicit RuleSet(std::string rules_name) : name(std::move(rules_name)) {}
  std::string name;  // "files.read", "commands", ... as the policy spells it
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  bool empty() const { return allow.empty() && deny.empty(); }
};

struct AuditPolicy {
  std::string source;  // the file it came from
  RuleSet file_read{"files.read"};
  RuleSet file_write{"files.write"};
  RuleSet commands{"commands"};
  RuleSet network{"network"};
};

// The policy, or why not ("policy.yaml:3:5: what is wrong, what was expected").
base::Result<AuditPolicy> parse_audit_policy(std::string_view text, const std::string& source_name);
base::Result<AuditPolicy> load_audit_policy(const std::string& path);

}  // namespace trace
