// PLACEHOLDER: finds subagent files; linking to the spawning tool call comes with the transcript decoder.
#include <filesystem>

#include "trace/import.h"

namespace trace {

std::vector<Companion> claude_transcript_companions(Store&, const std::string& session_path, const RawInput&) {
  namespace fs = std::filesystem;
  std::vector<Companion> out;
  fs::path dir = fs::path(session_path).replace_extension("") / "subagents";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".jsonl") out.push_back({entry.path().string(), ""});
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
  return out;
}

}  // namespace trace
