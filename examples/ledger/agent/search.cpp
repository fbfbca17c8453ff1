#include "search.h"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "workspace_io.h"

namespace demo {
namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    item.erase(0, item.find_first_not_of(" \t\"'"));
    item.erase(item.find_last_not_of(" \t\"'") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string unquote(std::string v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
  return v;
}

std::string quoted_ids(const std::vector<Candidate>& edits) {
  std::vector<std::string> ids;
  for (const auto& e : edits) ids.push_back("`" + e.id + "`");
  return fmt::format("{}", fmt::join(ids, " + "));
}

std::string file_stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

}  // namespace

Profile profile_for(const std::string& strategy, const std::map<std::string, std::string>& params,
                    std::vector<std::string>& warnings) {
  Profile p;
  if (strategy == "reproduce-first") p.reproduce_first = true;
  if (strategy == "minimal-fix") p.order = "smallest";
  if (strategy == "read-recent-changes") p.read_first = "changelog";
  if (strategy == "bisect") p.read_first = "tests";
  if (strategy == "instrument-and-log") {
    p.reproduce_first = true;
    p.focus_kinds = {"lock", "yield", "seq-cst", "notify-under-lock"};
  }
  for (const auto& [key, raw] : params) {
    const std::string v = unquote(raw);
    try {
      if (key == "budget_steps") p.budget_steps = std::clamp(std::stoi(v), 1, 100);
      else if (key == "reproduce_first") p.reproduce_first = v == "true" || v == "1" || v == "yes";
      else if (key == "order") p.order = v;
      else if (key == "read_first") p.read_first = v;
      else if (key == "focus") p.focus = split_list(v);
      else if (key == "focus_kinds") p.focus_kinds = split_list(v);
      else if (key == "test_command") p.test_command = v;
      else if (key == "test_timeout") p.test_timeout_s = std::clamp(std::stoi(v), 1, 86400);
    } catch (const std::exception&) {
      warnings.push_back(fmt::format("ignored --param {}={}: not a number", key, raw));
    }
  }
  return p;
}

std::set<std::string> TestRun::passing() const {
  std::set<std::string> out;
  for (const auto& [name, ok] : checks)
    if (ok) out.insert(name);
  return out;
}

std::string TestRun::failing_list() const {
  std::vector<std::string> out;
  for (const auto& [name, ok] : checks)
    if (!ok) out.push_back(name);
  return out.empty() ? (started ? "none named" : "the test did not run") : fmt::format("{}", fmt::join(out, ", "));
}

Search::Search(TraceWriter& trace, Profile profile, PromptKnowledge knowledge, std::string workspace, uint64_t seed)
    : trace_(trace), profile_(std::move(profile)), knowledge_(std::move(knowledge)),
      workspace_(std::move(workspace)), rng_(seed) {
  if (profile_.test_command.empty()) profile_.test_command = knowledge_.test_command;
  if (profile_.test_command.empty()) profile_.test_command = "make test";
}

void Search::read_sources() {
  trace_.llm_call("I'll list the workspace and read the sources before changing anything.");
  auto paths = list_source_files(workspace_);
  std::string glob = trace_.tool_start("Glob", {{"pattern", "**/*"}, {"path", workspace_}});
  trace_.tool_end(glob, true, fmt::format("{}", fmt::join(paths, "\n")));
  std::shuffle(paths.begin(), paths.end(), rng_);
  auto first = [&](auto pred) { std::stable_partition(paths.begin(), paths.end(), pred); };
  if (profile_.read_first == "tests") first([](const std::string& p) { return p.find("test") != std::string::npos; });
  if (profile_.read_first == "changelog") {
    first([](const std::string& p) {
      std::string name = std::filesystem::path(p).filename().string();
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      return name.starts_with("changelog") || name.starts_with("news") || name.starts_with("changes");
    });
  }
  for (const auto& path : paths) {
    std::string id = trace_.tool_start("Read", {{"file_path", path}});
    auto text = read_text(workspace_ + "/" + path);
    if (!text) {
      trace_.tool_end(id, false, "", std::nullopt, "cannot read " + path + " (missing, unreadable or too large)");
      continue;
    }
    trace_.file_read(path, id);
    trace_.tool_end(id, true, *text);
    files_.push_back({path, *text});
    focus_from(files_.back());
  }
  for (const auto& f : files_)
    for (const auto& fragment : profile_.focus)
      if (f.path.find(fragment) != std::string::npos) focus_files_.insert(f.path);
}

// What the strategy's first reads point at: the newest changelog entry's files, or the headers a test includes.
void Search::focus_from(const SourceFile& file) {
  std::string text = file.text;
  if (profile_.read_first == "changelog" && files_.size() == 1) {
    size_t first = text.find("\n## "), second = first == std::string::npos ? first : text.find("\n## ", first + 4);
    text = text.substr(0, second);
  } else if (!(profile_.read_first == "tests" && file.path.find("test") != std::string::npos)) {
    return;
  }
  static const std::regex include(R"(#include\s+"([^"]+)\")");
  std::set<std::string> named;
  for (std::sregex_iterator it(text.begin(), text.end(), include), end; it != end; ++it) named.insert(file_stem((*it)[1]));
  for (const auto& path : list_source_files(workspace_)) {
    bool mentioned = text.find(path) != std::string::npos || named.count(file_stem(path));
    if (mentioned && path != file.path) focus_files_.insert(path);
  }
}

std::vector<Candidate> Search::plan(const std::vector<Candidate>& found) {
  std::vector<std::pair<double, Candidate>> scored;
  std::uniform_real_distribution<double> jitter(0, 1);
  for (const auto& c : found) {
    if (knowledge_.ruled_out.count(c.id) || knowledge_.helped.count(c.id)) continue;
    double score = profile_.order == "smallest" ? -c.size + 0.5 * jitter(rng_) : jitter(rng_);
    if (focus_files_.count(c.file)) score += 0.6;
    if (std::find(profile_.focus_kinds.begin(), profile_.focus_kinds.end(), c.kind) != profile_.focus_kinds.end())
      score += 0.6;
    scored.push_back({score, c});
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<Candidate> order;
  for (auto& [score, c] : scored) order.push_back(std::move(c));
  return order;
}

TestRun Search::run_test(const std::string& why) {
  trace_.llm_call(why);
  std::string id = trace_.tool_start("Bash", {{"command", profile_.test_command}});
  CommandResult r = run_command(profile_.test_command, workspace_, profile_.test_timeout_s);
  ++outcome_.steps;
  TestRun run;
  run.started = r.started;
  run.exit_code = r.exit_code;
  static const std::regex check(R"(^(PASS|FAIL):?\s+([A-Za-z0-9_.-]*[A-Za-z0-9_]))");
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, check)) run.checks[m[2]] = m[1] == "PASS";
  }
  std::string error;
  if (!r.started) error = "could not start /bin/sh";
  else if (r.exit_code == 124) error = fmt::format("timed out after {} s", profile_.test_timeout_s);
  else if (r.exit_code != 0) error = fmt::format("exit code {}", r.exit_code);
  trace_.tool_end(id, run.passed(), r.output, r.exit_code, error);
  return run;
}

bool Search::apply(const Candidate& c) {
  const std::string path = workspace_ + "/" + c.file;
  auto text = read_text(path);
  std::string id = trace_.tool_start("Edit", {{"file_path", c.file},
                                              {"old_string", c.replacements.front().first},
                                              {"new_string", c.replacements.front().second},
                                              {"replace_all", true}});
  std::string edited = text.value_or("");
  if (!text || !apply_candidate(c, edited)) {
    trace_.tool_end(id, false, "", std::nullopt, "old_string not found in " + c.file);
    return false;
  }
  if (!write_text(path, edited)) {
    trace_.tool_end(id, false, "", std::nullopt, "cannot write " + c.file);
    return false;
  }
  before_edit_.try_emplace(c.file, *text);
  trace_.file_write(c.file, id);
  trace_.tool_end(id, true, "The file " + c.file + " has been updated.");
  return true;
}

void Search::revert_pending(const std::vector<Candidate>& edits) {
  for (const auto& [file, original] : before_edit_) {
    std::string id = trace_.tool_start("Write", {{"file_path", file}, {"reason", "revert " + quoted_ids(edits)}});
    bool ok = write_text(workspace_ + "/" + file, original);
    if (ok) trace_.file_write(file, id);
    trace_.tool_end(id, ok, ok ? "Reverted " + file : "", std::nullopt, ok ? "" : "cannot write " + file);
  }
  before_edit_.clear();
}

bool Search::judge(const std::vector<Candidate>& edits, const TestRun& run) {
  const std::set<std::string> before = have_baseline_ ? best_.passing() : std::set<std::string>{};
  const std::set<std::string> after = run.passing();
  std::vector<std::string> gained, lost;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(gained));
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(lost));
  const bool no_checks = run.checks.empty() && !run.passed() && !(have_baseline_ && best_.checks.empty());
  std::string what = edits.size() == 1 ? edits.front().description : "the edits earlier generations confirmed";
  if (run.passed() || (!gained.empty() && lost.empty())) {
    std::string checks = gained.empty() ? "all checks" : fmt::format("check {}", fmt::join(gained, ", "));
    trace_.message(fmt::format("Root cause: {} ({}) fixed {}.", quoted_ids(edits), what, checks));
    for (const auto& e : edits) outcome_.kept.push_back(e.id);
    before_edit_.clear();
    best_ = run;
    have_baseline_ = true;
    return run.passed();
  }
  std::string why = no_checks ? "broke the build (no check ran)"
                    : !lost.empty() ? fmt::format("made it worse ({} now failing)", fmt::join(lost, ", "))
                                    : fmt::format("did not help, still failing: {}", run.failing_list());
  trace_.message(fmt::format("Hypothesis: ruled out {} ({}): {}; reverted.", quoted_ids(edits), what, why));
  revert_pending(edits);
  return false;
}

Outcome Search::run() {
  read_sources();
  auto found = discover_candidates(files_);
  std::vector<std::string> ids;
  for (const auto& c : found) ids.push_back(c.id);
  trace_.llm_call(fmt::format("Read {} files; {} places look suspicious: {}.", files_.size(), found.size(),
                              fmt::join(ids, ", ")));
  if (!knowledge_.helped.empty() || !knowledge_.ruled_out.empty())
    trace_.message(fmt::format("Notes from earlier generations: apply first {}; skip {}.",
                               fmt::join(knowledge_.helped, ", "), fmt::join(knowledge_.ruled_out, ", ")));
  if (profile_.reproduce_first && outcome_.steps < profile_.budget_steps) {
    best_ = run_test("Reproduce the failure first, to know which checks fail before touching anything.");
    have_baseline_ = true;
    if (best_.passed()) {
      trace_.message("The test passes without any change: nothing to fix here.");
      outcome_.fixed = true;
      return outcome_;
    }
  }
  std::vector<Candidate> confirmed;
  for (const auto& c : found)
    if (knowledge_.helped.count(c.id)) confirmed.push_back(c);
  if (!confirmed.empty() && outcome_.steps < profile_.budget_steps) {
    std::vector<Candidate> applied;
    for (const auto& c : confirmed)
      if (apply(c)) applied.push_back(c);
    if (!applied.empty()) {
      auto run = run_test("Apply what earlier generations found helpful, then test.");
      if (judge(applied, run)) outcome_.fixed = true;
    }
  }
  for (const auto& c : plan(found)) {
    if (outcome_.fixed || outcome_.steps >= profile_.budget_steps) break;
    trace_.message(fmt::format("Hypothesis: {}. Trying `{}` in {}.", c.description, c.id, c.file));
    if (!apply(c)) continue;  // an edit kept earlier changed the same code
    if (judge({c}, run_test(fmt::format("Edited {}; run the test to see whether it changes anything.", c.file))))
      outcome_.fixed = true;
  }
  return outcome_;
}

}  // namespace demo
