// demo-agent: an offline stand-in for a coding agent, for the built-in example. It debugs for real (reads the
// workspace, edits files, runs the test and reads its output) with a small repertoire of generic edits, and
// prints its session in the JSONL trace protocol on stdout. It knows nothing about the answer: only its prompt
// (the bug and earlier generations' observations) and its own tool results guide it.
//
//   demo-agent --prompt FILE --workspace DIR --strategy NAME --seed N [--param key=value ...]
//
// Exit codes: 0 the session ran (fixed or not; the harness verifies), 2 usage error, 3 internal error.
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "agent/knowledge.h"
#include "agent/search.h"
#include "agent/trace_writer.h"
#include "agent/workspace_io.h"

namespace {

struct Args {
  std::string prompt, workspace, strategy = "default";
  uint64_t seed = 1;
  std::map<std::string, std::string> params;
};

constexpr const char* kUsage =
    "usage: demo-agent --prompt FILE --workspace DIR --strategy NAME --seed N [--param key=value ...]\n"
    "params: budget_steps=N reproduce_first=true|false order=random|smallest read_first=changelog|tests\n"
    "        focus=path,fragments focus_kinds=lock,yield,... test_command=CMD test_timeout=SECONDS\n";

// nullopt-like: returns an error text, empty when the arguments are fine.
std::string parse_args(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    if (auto eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (flag == "--help" || flag == "-h") {
      return "help";
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return fmt::format("{} needs a value", flag);
    }
    if (flag == "--prompt") args.prompt = value;
    else if (flag == "--workspace") args.workspace = value;
    else if (flag == "--strategy") args.strategy = value.empty() ? "default" : value;
    else if (flag == "--seed") {
      try {
        args.seed = std::stoull(value);
      } catch (const std::exception&) {
        return fmt::format("--seed wants a non-negative integer, got '{}'", value);
      }
    } else if (flag == "--param") {
      auto eq = value.find('=');
      if (eq == std::string::npos || eq == 0) return fmt::format("--param wants key=value, got '{}'", value);
      args.params[value.substr(0, eq)] = value.substr(eq + 1);
    } else {
      return fmt::format("unknown option '{}'", flag);
    }
  }
  if (args.workspace.empty()) return "--workspace is required";
  return "";
}

int run(const Args& args) {
  demo::TraceWriter trace(std::cout, args.seed);
  std::string prompt;
  if (!args.prompt.empty()) prompt = demo::read_text(args.prompt, 4 << 20).value_or("");
  demo::PromptKnowledge knowledge = demo::read_prompt(prompt);
  trace.session_start(args.strategy, knowledge.bug.empty() ? "fix the failing test" : knowledge.bug);
  if (!args.prompt.empty() && prompt.empty())
    trace.error("prompt", fmt::format("cannot read the prompt file {} (or it is empty); going on without it",
                                      args.prompt));
  trace.add_context(prompt.size());
  if (!std::filesystem::is_directory(args.workspace)) {
    trace.error("workspace", fmt::format("workspace {} is not a directory", args.workspace));
    trace.session_end(false, "no workspace", 2);
    return 2;
  }
  std::vector<std::string> warnings;
  demo::Profile profile = demo::profile_for(args.strategy, args.params, warnings);
  for (const auto& w : warnings) trace.error("param", w);
  trace.llm_call(fmt::format("Strategy {}: up to {} test runs{}. The prompt holds {} observations from earlier "
                             "generations.",
                             args.strategy, profile.budget_steps, profile.reproduce_first ? ", reproducing first" : "",
                             knowledge.observation_lines));

  uint64_t seed = args.seed * 0x9e3779b97f4a7c15ull ^ std::hash<std::string>{}(args.strategy);
  demo::Search search(trace, profile, knowledge, std::filesystem::absolute(args.workspace).string(), seed);
  demo::Outcome outcome = search.run();
  if (outcome.fixed) {
    trace.message(fmt::format("All checks pass with {} kept. Done in {} test runs.",
                              outcome.kept.empty() ? "no edit" : fmt::format("{}", fmt::join(outcome.kept, " + ")),
                              outcome.steps));
    trace.session_end(true, "fixed", 0);
  } else {
    trace.message(fmt::format("Out of budget after {} test runs; leaving {} in the workspace.", outcome.steps,
                              outcome.kept.empty() ? "no change" : fmt::format("{}", fmt::join(outcome.kept, " + "))));
    trace.session_end(true, "budget exhausted", 0);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  std::string problem = parse_args(argc, argv, args);
  if (problem == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (!problem.empty()) {
    std::cerr << "demo-agent: " << problem << "\n" << kUsage;
    return 2;
  }
  try {
    return run(args);
  } catch (const std::exception& e) {
    // Last resort: a line the trace decoder understands, then a clear exit.
    std::cout << R"({"type":"error","session":"main","kind":"internal","message":")" << "demo-agent: internal error"
              << "\"}\n";
    std::cerr << "demo-agent: internal error: " << e.what() << "\n";
    return 3;
  }
}
