// What a person watching a run sees. On a terminal: a live view (generation progress, a line per running agent:
// id, strategy, elapsed, tool calls, tokens, last action) redrawn in place. Without one (CI, a pipe): plain
// timestamped lines for notable events only. --quiet: errors only. Used from the loop's thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace harness {

struct AgentProgress {
  std::string id;
  std::string strategy;
  std::string phase;  // running | verifying
  int64_t elapsed_ms = 0;
  int64_t tool_calls = 0;
  int64_t tokens = 0;
  std::string last_action;
};

struct GenerationProgress {
  int generation = 0;
  int generations = 0;
  int done = 0;
  int total = 0;
  int validated_fixes = 0;
  std::vector<AgentProgress> running;
};

class Progress {
 public:
  virtual ~Progress() = default;
  virtual void log(std::string_view line) = 0;
  virtual void update(const GenerationProgress& state) = 0;
  virtual void finish() = 0;
};

enum class ProgressMode { live, plain, quiet };
// live when stderr is a terminal and CI is not set; plain otherwise.
ProgressMode default_progress_mode();
std::unique_ptr<Progress> make_progress(ProgressMode mode);

}  // namespace harness
