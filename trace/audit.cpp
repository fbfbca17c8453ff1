// run_audit: see audit.h. Where a million-event store's time went (docs/benchmarks.md, issue 19): reading file
// events and tool spans at random, and a few strings per finding. Both are now read from covering indexes in span
// order and merged, each distinct subject is judged once (a fleet repeats its paths and commands), and its texts
// are kept once in the report's strings.
#include "trace/audit.h"
#include "trace/store_internal.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "trace/audit_extract.h"
#include "trace/glob.h"
#include "trace/query_format.h"
#include "trace/query_sessions.h"

namespace trace {
namespace {

struct Decision {
  Verdict verdict = Verdict::no_policy;
  std::string rule;
};

using Matcher = bool (*)(std::string_view pattern, std::string_view subject);

Decision decide(const RuleSet& rules, std::string_view subject, Matcher match) {
  if (rules.empty()) return {Verdict::no_policy, fmt::format("no {} rules", rules.name)};
  for (const auto& d : rules.deny)
    if (match(d, subject)) return {Verdict::violation, fmt::format("{}.deny '{}'", rules.name, d)};
  if (rules.allow.empty()) return {Verdict::allowed, fmt::format("not in {}.deny", rules.name)};
  for (const auto& a : rules.allow)
    if (match(a, subject)) return {Verdict::allowed, fmt::format("{}.allow '{}'", rules.name, a)};
  return {Verdict::violation, fmt::format("not in {}.allow", rules.name)};
}

int severity(Verdict v) { return v == Verdict::violation ? 2 : v == Verdict::no_policy ? 1 : 0; }

// A compound command is as bad as its worst part; a deny rule may also match the whole line.
Decision decide_command(const RuleSet& rules, const std::string& line, const std::vector<std::string>& parts) {
  Decision whole = decide(rules, line, command_matches);
  if (whole.verdict == Verdict::violation && whole.rule.find(".deny") != std::string::npos) return whole;
  if (parts.size() <= 1 && (parts.empty() || parts[0] == line)) return whole;
  std::optional<Decision> worst;
  for (const auto& part : parts) {
    Decision d = decide(rules, part, command_matches);
    if (!worst || severity(d.verdict) > severity(worst->verdict))
      worst = Decision{d.verdict, fmt::format("'{}': {}", one_line(part, 60), d.rule)};
  }
  return worst ? *worst : whole;
}

// A judged subject as findings carry it: its text and rule interned.
struct Judged {
  std::string_view subject;
  Verdict verdict;
  std::string_view rule;
};

// What a tool call's arguments gave, judged: the command (if any) and the hosts it or the fetch contacts.
struct ToolUse {
  std::optional<Judged> command;
  std::vector<Judged> hosts;
};

template <class V>
using TextMap = std::unordered_map<std::string, V, TextHash, std::equal_to<>>;

constexpr size_t kTextBlock = 64 * 1024;

class Auditor {
 public:
  Auditor(Store& store, const AuditPolicy& policy, AuditReport& report)
      : policy_(policy),
        texts_(*report.texts),
        session_span_(internal::db(store),
                      "SELECT name, kind, json_extract(attributes, '$.\"harness.agent\"') FROM spans "
                      "WHERE span_id = ?") {}

  std::string_view intern(std::string_view text) { return texts_.intern(text); }

  // Each distinct subject of a rule set judged once.
  const Judged& judge(const RuleSet& rules, std::string_view subject, Matcher match) {
    auto& memo = memo_[&rules];
    if (auto it = memo.find(subject); it != memo.end()) return it->second;
    Decision d = decide(rules, subject, match);
    return memo.emplace(std::string(subject), Judged{intern(subject), d.verdict, intern(d.rule)}).first->second;
  }

  // A command line, judged once per distinct line (with the hosts its parts contact).
  const ToolUse& command_use(std::string_view line) {
    if (auto it = command_uses_.find(line); it != command_uses_.end()) return it->second;
    ToolUse use;
    if (!line.empty()) {
      std::vector<std::string> parts = split_shell_commands(line);
      Decision d = decide_command(policy_.commands, std::string(line), parts);
      use.command = Judged{intern(line), d.verdict, intern(d.rule)};
      std::vector<std::string> hosts;
      for (const auto& part : parts)
        for (auto& h : hosts_in_command(part))
          if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(std::move(h));
      for (const auto& h : hosts) use.hosts.push_back(judge(policy_.network, h, host_matches));
    }
    return command_uses_.emplace(std::string(line), std::move(use)).first->second;
  }

  // The arguments of a shell or fetch tool call in any shape agents write them.
  const ToolUse& tool_use(bool command_tool, std::string_view args) {
    if (command_tool) return command_use(command_from_arguments(args));
    if (auto it = fetch_uses_.find(args); it != fetch_uses_.end()) return it->second;
    ToolUse use;
    if (std::string host = url_host(url_from_arguments(args)); !host.empty())
      use.hosts.push_back(judge(policy_.network, host, host_matches));
    return fetch_uses_.emplace(std::string(args), std::move(use)).first->second;
  }

  void add(int64_t time, std::string_view category, const Judged& j, std::string_view session,
           std::string_view span, int64_t event) {
    const auto& [id, label] = session_of(session);
    order_.push_back({time, event, static_cast<uint32_t>(found_.size())});
    found_.push_back({j.verdict, category, j.subject, j.rule, id, label, texts_.keep(span), event});
  }

  void reserve(size_t findings) {
    found_.reserve(findings);
    order_.reserve(findings);
  }

  void finish(AuditReport& report) {
    // In event order. The keys are sorted apart from the findings (a key is a third of a finding's size), the
    // index making them unique so that the order is the same from run to run; the findings then follow their
    // keys in place, cycle by cycle, rather than into a second vector of a few hundred thousand.
    std::sort(order_.begin(), order_.end(), [](const Key& a, const Key& b) {
      return std::tie(a.time, a.event, a.index) < std::tie(b.time, b.event, b.index);
    });
    for (uint32_t start = 0; start < order_.size(); ++start) {
      if (order_[start].index == start) continue;
      AuditFinding first = found_[start];
      for (uint32_t at = start;;) {
        uint32_t from = order_[at].index;
        order_[at].index = at;  // placed
        if (from == start) {
          found_[at] = first;
          break;
        }
        found_[at] = found_[from];
        at = from;
      }
    }
    for (const AuditFinding& f : found_) {
      switch (f.verdict) {
        case Verdict::allowed: ++report.allowed; break;
        case Verdict::no_policy: ++report.no_policy; break;
        case Verdict::violation: ++report.violations; break;
      }
    }
    report.findings = std::move(found_);
  }

  const AuditPolicy& policy() const { return policy_; }

 private:
  // A session's id and label, read once per session (a fleet has thousands of sessions and subagents and a few
  // hundred thousand uses), with one prepared statement: preparing a lookup per session was a tenth of the audit.
  const std::pair<std::string_view, std::string_view>& session_of(std::string_view id) {
    if (auto it = sessions_.find(id); it != sessions_.end()) return it->second;
    session_span_.reset();
    session_span_.bind(1, std::string(id));
    std::string label = "?";
    if (session_span_.step()) {
      std::optional<SpanKind> kind = span_kind_from(internal::column_view(session_span_.raw(), 1));
      label = session_label(internal::column_view(session_span_.raw(), 0), kind.value_or(SpanKind::session),
                            internal::column_view(session_span_.raw(), 2));
    }
    return sessions_.emplace(std::string(id), std::pair{intern(id), intern(label)}).first->second;
  }

  const AuditPolicy& policy_;
  AuditTexts& texts_;
  std::unordered_map<const RuleSet*, TextMap<Judged>> memo_;
  TextMap<ToolUse> command_uses_, fetch_uses_;
  Statement session_span_;
  TextMap<std::pair<std::string_view, std::string_view>> sessions_;
  struct Key {
    int64_t time, event;
    uint32_t index;
  };
  std::vector<AuditFinding> found_;
  std::vector<Key> order_;
};

constexpr std::string_view kFileRead = "file.read", kFileWrite = "file.write", kCommand = "command",
                           kNetwork = "network";

// The file events and the tool spans, both in span order (events_file_uses, spans_tool_uses), merged: each file
// event takes its session from the tool span it belongs to without a lookup, and each shell or fetch tool call is
// judged on the way. A file event of a span that is no tool (the generic protocol allows it) is looked up.
void audit_files_and_tools(Store& store, Auditor& audit) {
  sqlite3* db = internal::db(store);
  Statement files(db, fmt::format("SELECT id, span_id, time_ns, type, json_extract(payload, '$.path') FROM events "
                                  "WHERE {} ORDER BY span_id",
                                  kFileEventsSql));
  Statement tools(db, fmt::format("SELECT span_id, session_id, name, start_ns, {0}, CASE WHEN {0} IS NOT NULL THEN "
                                  "(SELECT min(e.id) FROM events e WHERE e.span_id = s.span_id) END FROM spans s "
                                  "WHERE kind = 'tool' ORDER BY span_id",
                                  audited_tool_arguments_sql()));
  Statement session_of(db, "SELECT session_id FROM spans WHERE span_id = ?");
  // One finding per file event and per shell or fetch call (more when a command names hosts): room made at once,
  // counted from the same indexes, rather than regrown from a few hundred thousand findings on.
  Statement count(db, fmt::format("SELECT (SELECT count(*) FROM events WHERE {}), (SELECT count(*) FROM spans "
                                  "WHERE kind = 'tool' AND {} IS NOT NULL)",
                                  kFileEventsSql, audited_tool_arguments_sql()));
  if (count.step()) audit.reserve(static_cast<size_t>(count.int64(0) + count.int64(1)));
  auto tool_call = [&] {
    std::string_view name = internal::column_view(tools.raw(), 2);
    bool command_tool = is_command_tool(name);
    if (tools.is_null(4) || (!command_tool && !is_fetch_tool(name))) return;
    const ToolUse& use = audit.tool_use(command_tool, internal::column_view(tools.raw(), 4));
    std::string_view span = internal::column_view(tools.raw(), 0), session = internal::column_view(tools.raw(), 1);
    int64_t time = tools.int64(3), event = tools.is_null(5) ? 0 : tools.int64(5);
    if (use.command) audit.add(time, kCommand, *use.command, session, span, event);
    for (const auto& h : use.hosts) audit.add(time, kNetwork, h, session, span, event);
  };
  bool tool = tools.step();
  while (files.step()) {
    std::string_view span = internal::column_view(files.raw(), 1);
    while (tool && internal::column_view(tools.raw(), 0) < span) {
      tool_call();
      tool = tools.step();
    }
    std::string looked_up;
    std::string_view session;
    if (tool && internal::column_view(tools.raw(), 0) == span) {
      session = internal::column_view(tools.raw(), 1);
    } else {
      session_of.reset();
      session_of.bind(1, std::string(span));
      if (!session_of.step()) continue;  // an event of no span: nobody to blame
      session = looked_up = session_of.text(0);
    }
    std::string_view path = internal::column_view(files.raw(), 4);
    if (path.empty()) continue;
    bool read = internal::column_view(files.raw(), 3) == kFileRead;
    const Judged& j = audit.judge(read ? audit.policy().file_read : audit.policy().file_write, path, path_matches);
    audit.add(files.int64(2), read ? kFileRead : kFileWrite, j, session, span, files.int64(0));
  }
  for (; tool; tool = tools.step()) tool_call();
}

// What the sandbox's egress proxy saw (allowed by sandbox.allow_hosts or denied): each attempt is a network use
// of the agent, judged by the policy like a host a command named.
void audit_egress(Store& store, Auditor& audit) {
  Statement st(internal::db(store),
               fmt::format("SELECT id, span_id, time_ns, lower(coalesce(json_extract(payload, '$.host'), '')) "
                           "FROM events WHERE {}",
                           kEgressEventsSql));
  while (st.step()) {
    std::string_view host = internal::column_view(st.raw(), 3);
    if (host.empty()) continue;
    std::string_view span = internal::column_view(st.raw(), 1);
    audit.add(st.int64(2), kNetwork, audit.judge(audit.policy().network, host, host_matches), span, span,
              st.int64(0));
  }
}

}  // namespace

std::string_view AuditTexts::intern(std::string_view text) {
  auto it = distinct_.find(text);
  return it != distinct_.end() ? std::string_view(*it) : std::string_view(*distinct_.emplace(text).first);
}

std::string_view AuditTexts::keep(std::string_view text) {
  // A block is filled up to the capacity it was given and never grown, so views into it stay valid.
  if (blocks_.empty() || blocks_.back().capacity() - blocks_.back().size() < text.size())
    blocks_.emplace_back().reserve(std::max(kTextBlock, text.size()));
  std::string& block = blocks_.back();
  size_t at = block.size();
  block += text;
  return std::string_view(block).substr(at, text.size());
}

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::allowed: return "allowed";
    case Verdict::no_policy: return "no-policy";
    case Verdict::violation: return "violation";
  }
  return "?";
}

AuditReport run_audit(Store& store, const AuditPolicy& policy) {
  AuditReport report;
  report.policy_source = policy.source;
  std::lock_guard lock(internal::mutex(store));
  store.flush();
  Auditor audit(store, policy, report);
  audit_files_and_tools(store, audit);
  audit_egress(store, audit);
  audit.finish(report);
  return report;
}

}  // namespace trace
