// The winning agent's trace as a compact text tree: one line per session, tool and subagent; consecutive LLM calls
// of the same model folded into one line. Bounded in lines and in spans read, so a huge trace stays a short read.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "harness/report/report_data.h"
#include "harness/report/report_text.h"
#include "trace/json_parse.h"

namespace harness {
namespace {

constexpr size_t kMaxSpansRead = 20000;

using Children = std::map<std::string, std::vector<trace::Span>>;

std::string sql_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Every span below `root`, level by level (parent_span_id is indexed), a few hundred parents per query.
Children load_subtree(trace::Store& store, const std::string& root, int& count) {
  Children children;
  std::vector<std::string> frontier = {root};
  count = 0;
  while (!frontier.empty() && static_cast<size_t>(count) < kMaxSpansRead) {
    std::vector<std::string> next;
    for (size_t begin = 0; begin < frontier.size(); begin += 500) {
      std::string in;
      for (size_t i = begin; i < std::min(frontier.size(), begin + 500); ++i)
        in += (in.empty() ? "" : ",") + sql_quoted(frontier[i]);
      store.for_each_span(
          [&](const trace::Span& s) {
            if (static_cast<size_t>(count) >= kMaxSpansRead) return;
            ++count;
            next.push_back(s.span_id);
            children[s.parent_span_id].push_back(s);
          },
          "parent_span_id IN (" + in + ")");
    }
    frontier = std::move(next);
  }
  return children;
}

// Tokens of every span and all below it, summed once bottom-up without recursion: an agent can print a chain of
// thousands of nested subagents, which a recursive walk (once per line) turned into a stack overflow.
std::map<std::string, int64_t> subtree_tokens(const Children& children, const std::string& root) {
  std::map<std::string, int64_t> sums;
  std::vector<const trace::Span*> order;  // pre-order: parents before children
  std::vector<std::string> stack = {root};
  while (!stack.empty()) {
    std::string id = std::move(stack.back());
    stack.pop_back();
    auto it = children.find(id);
    if (it == children.end()) continue;
    for (const auto& c : it->second) {
      order.push_back(&c);
      stack.push_back(c.span_id);
    }
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const trace::Span& s = **it;
    int64_t& sum = sums[s.span_id];
    sum += s.usage.input_tokens + s.usage.output_tokens;
    sums[s.parent_span_id] += sum;
  }
  return sums;
}

// What a tool call was about, in a few words: the command, the path or the pattern it was given.
std::string tool_subject(const trace::Span& s) {
  const auto& at = s.attributes;
  if (!at.contains("gen_ai.tool.call.arguments")) return "";
  const auto& raw = at["gen_ai.tool.call.arguments"];
  nlohmann::json args = raw.is_string() ? trace::parse_untrusted_json(raw.get<std::string>()) : raw;
  if (args.is_object()) {
    for (const char* key : {"command", "file_path", "path", "pattern", "query", "url", "description", "prompt"})
      if (args.contains(key) && args[key].is_string()) return report_text::one_line(args[key].get<std::string>(), 60);
    return report_text::one_line(args.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), 60);
  }
  return raw.is_string() ? report_text::one_line(raw.get<std::string>(), 60) : "";
}

std::string span_line(const std::map<std::string, int64_t>& tokens_below, const trace::Span& s) {
  std::string line = fmt::format("{} {}", trace::to_string(s.kind), report_text::one_line(s.name, 60));
  if (s.kind == trace::SpanKind::tool) {
    std::string subject = tool_subject(s);
    if (!subject.empty()) line += fmt::format(" `{}`", subject);
  }
  if (s.end_ns > s.start_ns) line += " " + report_text::duration(s.end_ns - s.start_ns);
  if (s.kind == trace::SpanKind::session || s.kind == trace::SpanKind::subagent || s.kind == trace::SpanKind::llm) {
    auto it = tokens_below.find(s.span_id);
    int64_t tokens = it == tokens_below.end() ? s.usage.input_tokens + s.usage.output_tokens : it->second;
    if (tokens > 0) line += ", " + report_text::tokens(tokens) + " tokens";
  }
  if (s.status == trace::SpanStatus::error) {
    std::string why = s.attributes.value("error.message", "");
    if (why.empty() && s.attributes.contains("process.exit.code"))
      why = "exit " + s.attributes["process.exit.code"].dump();
    line += why.empty() ? " ✗" : " ✗ " + report_text::one_line(why, 80);
  }
  return line;
}

// Levels drawn below the root; deeper subtrees are one line saying so (the indent alone would fill a page).
constexpr int kMaxLevels = 24;

struct TreeWriter {
  const Children& children;
  const std::map<std::string, int64_t>& tokens_below;
  int max_lines;
  int lines = 0;
  int hidden = 0;
  std::string out;

  void add(const std::string& prefix, const std::string& text) {
    if (lines >= max_lines) {
      ++hidden;
      return;
    }
    ++lines;
    out += prefix + text + "\n";
  }

  void walk(const std::string& parent, const std::string& indent, int level) {
    auto it = children.find(parent);
    if (it == children.end()) return;
    const auto& kids = it->second;
    if (level >= kMaxLevels) {
      add(indent + "└─ ", fmt::format("… more nested deeper than {} levels, not shown", kMaxLevels));
      return;
    }
    for (size_t i = 0; i < kids.size();) {
      size_t j = i + 1;  // fold a run of LLM calls with the same name
      if (kids[i].kind == trace::SpanKind::llm)
        while (j < kids.size() && kids[j].kind == trace::SpanKind::llm && kids[j].name == kids[i].name &&
               !children.count(kids[j].span_id))
          ++j;
      bool last = j == kids.size();
      std::string branch = indent + (last ? "└─ " : "├─ ");
      if (j - i > 1) {
        int64_t tokens = 0, errors = 0;
        for (size_t k = i; k < j; ++k) {
          tokens += kids[k].usage.input_tokens + kids[k].usage.output_tokens;
          errors += kids[k].status == trace::SpanStatus::error;
        }
        add(branch, fmt::format("llm {} ×{}, {} tokens{}", report_text::one_line(kids[i].name, 60), j - i,
                                report_text::tokens(tokens), errors ? fmt::format(", {} failed ✗", errors) : ""));
      } else {
        add(branch, span_line(tokens_below, kids[i]));
        walk(kids[i].span_id, indent + (last ? "   " : "│  "), level + 1);
      }
      i = j;
    }
  }
};

}  // namespace

std::string render_trace_tree(trace::Store& store, const std::string& root_span_id, int max_lines, int* span_count) {
  int count = 0;
  Children children = load_subtree(store, root_span_id, count);
  if (span_count) *span_count = count;
  for (auto& [parent, kids] : children)
    std::stable_sort(kids.begin(), kids.end(), [](const auto& a, const auto& b) { return a.start_ns < b.start_ns; });
  std::map<std::string, int64_t> tokens_below = subtree_tokens(children, root_span_id);
  TreeWriter writer{children, tokens_below, max_lines, 0, 0, {}};
  if (auto root = store.span(root_span_id)) {
    tokens_below[root->span_id] += root->usage.input_tokens + root->usage.output_tokens;
    writer.add("", span_line(tokens_below, *root));
  }
  writer.walk(root_span_id, "", 0);
  if (writer.hidden > 0) writer.out += fmt::format("… {} more lines not shown\n", writer.hidden);
  if (static_cast<size_t>(count) >= kMaxSpansRead) writer.out += fmt::format("… stopped after {} spans\n", count);
  return writer.out;
}

}  // namespace harness
