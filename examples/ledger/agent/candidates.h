// What the demo agent knows how to look for: textual patterns in the sources it read that a debugging agent would
// find suspicious, each turned into a concrete edit it can apply and revert. The repertoire is generic (it names no
// file or function of any project): some patterns point at real bugs, most at harmless code. Pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace demo {

struct SourceFile {
  std::string path;  // relative to the workspace
  std::string text;
};

struct Candidate {
  std::string id;           // stable across agents and runs, e.g. "lock@Ledger::apply": how observations name it
  std::string kind;         // lock, dedup-key, no-retry, raise, seq-cst, notify-under-lock, yield
  std::string file;
  std::string description;  // what the edit does and why it might help
  std::vector<std::pair<std::string, std::string>> replacements;  // every occurrence of first becomes second
  int size = 0;             // lines of the file between the first and the last line it changes
};

// Every candidate edit found in `files`, in file order.
std::vector<Candidate> discover_candidates(const std::vector<SourceFile>& files);

// Applies the edit to `text`; false (text unchanged) when a pattern no longer occurs (an earlier edit changed it).
bool apply_candidate(const Candidate& candidate, std::string& text);

}  // namespace demo
