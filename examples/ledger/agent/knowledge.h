// What the demo agent learns from its prompt: the verify command, and from the observations of earlier
// generations which edits (named by candidate id, e.g. `lock@Ledger::apply`) helped and which were ruled out.
// Observation lines look like "- [important] O-0012 (seen 3×, gens 1–2) <text>"; any line of the prompt that
// names an edit id counts, so a "partial fixes" section is read too. Pure functions; never throws on odd input.
#pragma once

#include <set>
#include <string>

namespace demo {

struct PromptKnowledge {
  std::string bug;                   // the first non-empty, non-heading line: the session's goal
  // The indented command under a "## ...verif..." heading (the harness prompt's "How a fix is verified"), else
  // the first `command` in backticks on a line mentioning "verif" that is not an observation; may be empty.
  std::string test_command;
  std::set<std::string> helped;      // edit ids an earlier agent saw make a failing check pass
  std::set<std::string> ruled_out;   // edit ids an earlier agent tried without effect (never in `helped`)
  int observation_lines = 0;         // "- [priority] ..." lines seen
};

PromptKnowledge read_prompt(const std::string& prompt);

}  // namespace demo
