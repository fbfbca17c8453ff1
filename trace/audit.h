// `harness audit`: checks what the agents of a trace did against a policy (audit_policy.h): every file.read /
// file.write event, every command a shell tool ran (each part of a compound command) and every host a fetch tool
// or a command contacted. Each check is allowed, without policy (no rule covers it) or a violation; deny rules win
// over allow rules. Pure functions over a Store; not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "trace/audit_policy.h"
#include "trace/model.h"
#include "trace/store.h"

namespace trace {

enum class Verdict { allowed, no_policy, violation };
std::string_view to_string(Verdict verdict);

struct AuditFinding {
  Verdict verdict = Verdict::no_policy;
  std::string category;  // file.read, file.write, command, network
  std::string subject;   // the path, the command line, the host
  std::string rule;      // why: "files.write.deny '/etc/**'", "not in commands.allow", "no network rules"
  std::string session_id;
  std::string session;   // its label, for people
  std::string span_id;
  int64_t event_id = 0;  // the file event, or the tool call's first event (0 if it has none)
};

struct AuditReport {
  std::string policy_source;
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
