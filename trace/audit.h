// `harness audit`: checks what the agents of a trace did against a policy (audit_policy.h): every file.read /
// file.write event, every command a shell tool ran (each part of a compound command) and every host a fetch tool
// or a command contacted. Each check is allowed, without policy (no rule covers it) or a violation; deny rules win
// over allow rules. Pure functions over a Store; not thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "trace/audit_policy.h"
#include "trace/model.h"
#include "trace/store.h"

namespace trace {

enum class Verdict { allowed, no_policy, violation };
std::string_view to_string(Verdict verdict);

// A night's fleet gives hundreds of thousands of findings made of few distinct rules, sessions and subjects: a
// finding holds views into its report's `texts` (valid as long as a copy of the report), so it owns no memory.
struct AuditFinding {
  Verdict verdict = Verdict::no_policy;
  std::string_view category;    // file.read, file.write, command, network
  std::string_view subject;     // the path, the command line, the host
  std::string_view rule;        // why: "files.write.deny '/etc/**'", "not in commands.allow", "no network rules"
  std::string_view session_id;
  std::string_view session;     // its label, for people
  std::string_view span_id;
  int64_t event_id = 0;  // the file event, or the tool call's first event (0 if it has none)
};

struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The texts findings point into: each distinct one once (intern), or appended to blocks that never move (keep:
// span ids, nearly all distinct, for which a hash set would cost more than it saves).
class AuditTexts {
 public:
  std::string_view intern(std::string_view text);
  std::string_view keep(std::string_view text);

 private:
  std::unordered_set<std::string, TextHash, std::equal_to<>> distinct_;
  std::deque<std::string> blocks_;
};

struct AuditReport {
  std::string policy_source;
  std::shared_ptr<AuditTexts> texts = std::make_shared<AuditTexts>();
  std::vector<AuditFinding> findings;  // in event order
  int64_t allowed = 0;
  int64_t no_policy = 0;
  int64_t violations = 0;
};

AuditReport run_audit(Store& store, const AuditPolicy& policy);
// Sections VIOLATIONS, NO POLICY, ALLOWED (aligned) and a summary line.
std::string format_audit(const AuditReport& report);
Json audit_to_json(const AuditReport& report);

}  // namespace trace
