// format_audit / audit_to_json: see audit.h. The text is one aligned table of sections, written straight into one
// buffer: a night's audit is hundreds of thousands of rows, and a string per cell was most of its time.
#include <array>
#include <unordered_map>

#include <fmt/format.h>

#include "trace/audit.h"
#include "trace/query_format.h"

namespace trace {
namespace {

constexpr size_t kSubjectWidth = 70;

void append_padded(std::string& out, std::string_view text, size_t width) {
  out += text;
  if (size_t w = display_width(text); w < width) out.append(width - w, ' ');
}

size_t digits(int64_t n) {
  size_t d = 1;
  while (n >= 10) n /= 10, ++d;
  return d;
}

}  // namespace

std::string format_audit(const AuditReport& r) {
  struct Section {
    Verdict verdict;
    const char* title;
    const char* marker;
  };
  // Cells that repeat are made once: the clipped subject and "<short id> <label>" per distinct (interned) text.
  std::unordered_map<const char*, std::string> clipped, sessions;
  std::vector<const std::string*> subject_of(r.findings.size()), session_of(r.findings.size());
  std::array<size_t, 5> width{};
  std::array<int64_t, 3> in_section{};
  for (size_t i = 0; i < r.findings.size(); ++i) {
    const AuditFinding& f = r.findings[i];
    auto [s, new_subject] = clipped.try_emplace(f.subject.data());
    if (new_subject) s->second = one_line(f.subject, kSubjectWidth);
    auto [l, new_session] = sessions.try_emplace(f.session_id.data());
    if (new_session) l->second = fmt::format("{} {}", short_id(f.session_id), f.session);
    subject_of[i] = &s->second;
    session_of[i] = &l->second;
    width[0] = std::max(width[0], display_width(f.category));
    if (new_subject) width[1] = std::max(width[1], display_width(s->second));
    width[2] = std::max(width[2], f.event_id ? digits(f.event_id) + 2 : 1);
    if (new_session) width[3] = std::max(width[3], display_width(l->second));
    ++in_section[static_cast<size_t>(f.verdict)];
  }
  std::string out;
  out.reserve(r.findings.size() * (width[0] + width[1] + width[2] + width[3] + 48));
  auto row = [&](const char* marker, size_t i) {
    const AuditFinding& f = r.findings[i];
    out += "  ";
    out += marker;
    out += ' ';
    append_padded(out, f.category, width[0]);
    out += "  ";
    append_padded(out, *subject_of[i], width[1]);
    out += "  ";
    size_t label = 1;
    if (f.event_id) {
      fmt::format_to(std::back_inserter(out), "#e{}", f.event_id);
      label = digits(f.event_id) + 2;
    } else {
      out += '-';
    }
    if (label < width[2]) out.append(width[2] - label, ' ');
    out += "  ";
    append_padded(out, *session_of[i], width[3]);
    out += "  ";
    out += f.rule;
    out += '\n';
  };
  for (Section sec : {Section{Verdict::violation, "VIOLATIONS", "✗"}, Section{Verdict::no_policy, "NO POLICY", "?"},
                      Section{Verdict::allowed, "ALLOWED", "✓"}}) {
    int64_t n = in_section[static_cast<size_t>(sec.verdict)];
    if (n == 0) continue;
    fmt::format_to(std::back_inserter(out), "{} ({})\n", sec.title, n);
    for (size_t i = 0; i < r.findings.size(); ++i)
      if (r.findings[i].verdict == sec.verdict) row(sec.marker, i);
  }
  fmt::format_to(std::back_inserter(out), "{} against {}: {} allowed, {} without policy, {}\n",
                 plural(r.findings.size(), "check"), r.policy_source, r.allowed, r.no_policy,
                 plural(r.violations, "violation"));
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
