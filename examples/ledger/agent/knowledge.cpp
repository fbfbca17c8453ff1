#include "knowledge.h"

#include <algorithm>
#include <regex>
#include <sstream>
#include <vector>

namespace demo {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool contains_any(const std::string& haystack, const std::vector<std::string>& needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](const std::string& n) { return haystack.find(n) != std::string::npos; });
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The phrases the demo agent itself uses when it reports an outcome (see demo_agent.cpp), plus the observer's
// words for the same things.
const std::vector<std::string> kHelped = {"root cause:", "fixed check", "partial fix", "helped"};
const std::vector<std::string> kRuledOut = {"ruled out", "did not help", "no effect", "made it worse",
                                            "broke the build"};

}  // namespace

PromptKnowledge read_prompt(const std::string& prompt) {
  static const std::regex edit_id(R"(\b([a-z][a-z-]*@[A-Za-z_][A-Za-z0-9_:]*))");
  static const std::regex observation(R"(^\s*[-*]\s*\[(important|possible|informational)\])");
  static const std::regex backticked("`([^`]+)`");
  PromptKnowledge k;
  std::set<std::string> negative;
  std::string verify_block;  // the indented command under "## How a fix is verified": the surest source
  bool in_verify_section = false;
  std::istringstream in(prompt);
  for (std::string raw; std::getline(in, raw);) {
    const std::string line = trim(raw);
    if (line.empty()) continue;
    const std::string low = lower(line);
    if (line.rfind("## ", 0) == 0) in_verify_section = low.find("verif") != std::string::npos;
    if (in_verify_section && verify_block.empty() && raw.rfind("    ", 0) == 0) verify_block = line;
    if (k.bug.empty() && line[0] != '#' && line[0] != '-' && line.find("---") != 0) k.bug = line.substr(0, 300);
    const bool is_observation = std::regex_search(line, observation);
    if (is_observation) ++k.observation_lines;
    std::smatch m;
    // Not from an observation: those quote other agents' strategies and commands ("run `git bisect` with the
    // verify command"), which are not the test.
    if (k.test_command.empty() && !is_observation && low.find("verif") != std::string::npos &&
        std::regex_search(line, m, backticked))
      k.test_command = trim(m[1]);
    const bool helped = contains_any(low, kHelped);
    const bool ruled_out = contains_any(low, kRuledOut);
    if (!helped && !ruled_out) continue;
    for (std::sregex_iterator it(line.begin(), line.end(), edit_id), end; it != end; ++it) {
      std::string id = (*it)[1];
      while (!id.empty() && id.back() == ':') id.pop_back();
      // A line saying one edit helped and another did not ("ruled out X; Y helped") is ambiguous: ruled out wins
      // only for lines with no success word, so mixed lines count as neither.
      if (helped && !ruled_out) k.helped.insert(id);
      else if (ruled_out && !helped) negative.insert(id);
    }
  }
  // An edit that helped somewhere stays: a failed fix often carries a partial fix that was right.
  for (const auto& id : negative)
    if (!k.helped.count(id)) k.ruled_out.insert(id);
  if (!verify_block.empty()) k.test_command = verify_block;
  return k;
}

}  // namespace demo
