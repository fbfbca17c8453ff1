#include "trace/audit.h"
#include "trace/store_internal.h"

#include <algorithm>
#include <array>
#include <functional>

#include <fmt/format.h>

#include "trace/audit_extract.h"
#include "trace/glob.h"
#include "trace/query_format.h"
#include "trace/query_sessions.h"

namespace trace {
namespace {

constexpr size_t kSubjectWidth = 70;

struct Decision {
  Verdict verdict;
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

struct Subject {
  int64_t time_ns = 0;
  AuditFinding finding;
};

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::allowed: return "allowed";
    case Verdict::no_policy: return "no-policy";
    case Verdict::violation: return "violation";
  }
  return "?";
}

namespace {

// One judged use: its time, category ("file.read", "command", "network"), subject, the decision, and where it
// was seen (session, span, event).
using AddFinding = std::function<void(int64_t, std::string, std::string, Decision, const std::string&,
                                      const std::string&, int64_t)>;

void audit_file_events(Store& store, const AuditPolicy& policy, const AddFinding& add) {
  Statement st(internal::db(store), fmt::format("SELECT e.id, e.span_id, e.time_ns, e.type, json_extract(e.payload, '$.path'), "
                                       "s.session_id FROM events e JOIN spans s ON s.span_id = e.span_id WHERE e.{}",
                                       kFileEventsSql));
  while (st.step()) {
    std::string type = st.text(3), path = st.text(4);
    if (path.empty()) continue;
    const RuleSet& rules = type == "file.read" ? policy.file_read : policy.file_write;
    add(st.int64(2), type, path, decide(rules, path, path_matches), st.text(5), st.text(1), st.int64(0));
  }
}

void audit_tool_calls(Store& store, const AuditPolicy& policy, const AddFinding& add) {
  // Only shell and fetch tools: their arguments are the only attributes parsed (JSON of kilobytes per span).
  std::string names;
  for (const auto& n : audited_tool_names()) names += (names.empty() ? "'" : ", '") + n + "'";
  Statement st(internal::db(store),
               fmt::format("SELECT s.span_id, s.session_id, s.name, s.start_ns, "
                           "json_extract(s.attributes, '$.\"gen_ai.tool.call.arguments\"'), "
                           "(SELECT min(e.id) FROM events e WHERE e.span_id = s.span_id) FROM spans s "
                           "WHERE s.kind = 'tool' AND lower(s.name) IN ({})",
                           names));
  while (st.step()) {
    std::string name = st.text(2);
    bool command_tool = is_command_tool(name), fetch_tool = is_fetch_tool(name);
    if (!command_tool && !fetch_tool) continue;
    std::string span = st.text(0), session = st.text(1), args = st.text(4);
    int64_t time = st.int64(3), event = st.int64(5);
    std::vector<std::string> hosts;
    if (command_tool) {
      std::string line = command_from_arguments(args);
      if (line.empty()) continue;
      std::vector<std::string> parts = split_shell_commands(line);
      add(time, "command", line, decide_command(policy.commands, line, parts), session, span, event);
      for (const auto& part : parts)
        for (auto& h : hosts_in_command(part))
          if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(std::move(h));
    } else if (std::string host = url_host(url_from_arguments(args)); !host.empty()) {
      hosts.push_back(host);
    }
    for (const auto& h : hosts) add(time, "network", h, decide(policy.network, h, host_matches), session, span, event);
  }
}

// What the sandbox's egress proxy saw (allowed by sandbox.allow_hosts or denied): each attempt is a network use
// of the agent, judged by the policy like a host a command named.
void audit_egress(Store& store, const AuditPolicy& policy, const AddFinding& add) {
  Statement st(internal::db(store),
               fmt::format("SELECT id, span_id, time_ns, lower(coalesce(json_extract(payload, '$.host'), '')) "
                           "FROM events WHERE {}",
                           kEgressEventsSql));
  while (st.step()) {
    std::string host = st.text(3);
    if (host.empty()) continue;
    add(st.int64(2), "network", host, decide(policy.network, host, host_matches), st.text(1), st.text(1),
        st.int64(0));
  }
}

}  // namespace

AuditReport run_audit(Store& store, const AuditPolicy& policy) {
  AuditReport report;
  report.policy_source = policy.source;
  SessionGraph graph = load_session_graph(store, /*with_totals=*/false);
  auto session_label = [&](const std::string& id) {
    auto it = graph.by_span_id.find(id);
    return it == graph.by_span_id.end() ? std::string("?") : graph.nodes[it->second].label();
  };
  std::vector<Subject> subjects;
  AddFinding add = [&](int64_t time, std::string category, std::string subject, Decision d,
                       const std::string& session, const std::string& span, int64_t event) {
    AuditFinding f{d.verdict, std::move(category), std::move(subject), std::move(d.rule), session,
                   session_label(session), span, event};
    subjects.push_back({time, std::move(f)});
  };
  std::lock_guard lock(internal::mutex(store));
  store.flush();
  audit_file_events(store, policy, add);
  audit_tool_calls(store, policy, add);
  audit_egress(store, policy, add);
  // Sorted by index: a finding is seven strings, too heavy to move about a million times.
  std::vector<uint32_t> order(subjects.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    const Subject& a = subjects[x];
    const Subject& b = subjects[y];
    if (a.time_ns != b.time_ns) return a.time_ns < b.time_ns;
    return a.finding.event_id < b.finding.event_id;
  });
  report.findings.reserve(subjects.size());
  for (uint32_t i : order) {
    AuditFinding& f = subjects[i].finding;
    switch (f.verdict) {
      case Verdict::allowed: ++report.allowed; break;
      case Verdict::no_policy: ++report.no_policy; break;
      case Verdict::violation: ++report.violations; break;
    }
    report.findings.push_back(std::move(f));
  }
  return report;
}

std::string format_audit(const AuditReport& r) {
  std::string out;
  struct Section {
    Verdict verdict;
    const char* title;
    const char* marker;
  };
  using Row = std::array<std::string, 5>;
  auto row_of = [](const AuditFinding& f) {
    return Row{f.category, one_line(f.subject, kSubjectWidth), f.event_id ? fmt::format("#e{}", f.event_id) : "-",
               fmt::format("{} {}", short_id(f.session_id), f.session), f.rule};
  };
  // One set of column widths for all sections, so a long report reads as one table. Each row is built once.
  std::array<size_t, 5> width{};
  std::vector<Row> rows;
  rows.reserve(r.findings.size());
  for (const auto& f : r.findings) {
    rows.push_back(row_of(f));
    for (size_t c = 0; c < rows.back().size(); ++c) width[c] = std::max(width[c], display_width(rows.back()[c]));
  }
  for (Section sec : {Section{Verdict::violation, "VIOLATIONS", "✗"}, Section{Verdict::no_policy, "NO POLICY", "?"},
                      Section{Verdict::allowed, "ALLOWED", "✓"}}) {
    size_t n = 0;
    for (const auto& f : r.findings) n += f.verdict == sec.verdict;
    if (n == 0) continue;
    out += fmt::format("{} ({})\n", sec.title, n);
    for (size_t i = 0; i < rows.size(); ++i) {
      if (r.findings[i].verdict != sec.verdict) continue;
      const Row& row = rows[i];
      out += fmt::format("  {} {}  {}  {}  {}  {}\n", sec.marker, pad_right(row[0], width[0]),
                         pad_right(row[1], width[1]), pad_right(row[2], width[2]), pad_right(row[3], width[3]), row[4]);
    }
  }
  out += fmt::format("{} against {}: {} allowed, {} without policy, {}\n", plural(r.findings.size(), "check"),
                     r.policy_source, r.allowed, r.no_policy, plural(r.violations, "violation"));
  return out;
}

Json audit_to_json(const AuditReport& r) {
  Json findings = Json::array();
  for (const auto& f : r.findings) {
    Json j = {{"verdict", to_string(f.verdict)}, {"category", f.category},     {"subject", f.subject},
              {"rule", f.rule},                  {"session", f.session_id},    {"session_name", f.session},
              {"span_id", f.span_id}};
    j["event_id"] = f.event_id ? Json(f.event_id) : Json(nullptr);
    findings.push_back(std::move(j));
  }
  return {{"policy", r.policy_source},
          {"allowed", r.allowed},
          {"no_policy", r.no_policy},
          {"violations", r.violations},
          {"findings", findings}};
}

}  // namespace trace
