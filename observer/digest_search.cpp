// digest_search_hits: see digest_search.h.
#include "observer/digest_search.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include "trace/query_search.h"

namespace observer {
namespace {

using Json = nlohmann::json;

// Words every failure has: searching for them finds everything.
const std::set<std::string>& common_words() {
  static const std::set<std::string> words = {"error", "failed", "fail", "failure", "exit", "code", "with", "from",
                                              "that", "this", "bash", "test", "tests", "line", "file", "expected",
                                              "none", "true", "false", "null", "make"};
  return words;
}

// The text to search for, for one agent of the digest.
std::string failure_text(const Json& agent) {
  if (agent.contains("verify") && agent["verify"].is_object()) {
    std::string f = agent["verify"].value("first_failure", "");
    if (!f.empty()) return f;
  }
  if (agent.contains("events") && agent["events"].is_array())
    for (const auto& e : agent["events"]) {
      std::string type = e.value("type", "");
      if (type == "tool.call.failed" || type == "error") return e.value("summary", "");
    }
  return "";
}

}  // namespace

std::string failure_query(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    std::string lower = word;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    bool digits = std::all_of(word.begin(), word.end(), [](unsigned char c) { return std::isdigit(c) || c == '-'; });
    if (word.size() >= 4 && !digits && !common_words().count(lower) &&
        std::find(words.begin(), words.end(), word) == words.end())
      words.push_back(word);
    word.clear();
  };
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '_') word += static_cast<char>(c);
    else flush();
  }
  flush();
  std::stable_sort(words.begin(), words.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  if (words.size() > 5) words.resize(5);
  std::string query;
  for (const auto& w : words) query += (query.empty() ? "" : " OR ") + w;
  return query;
}

Json digest_search_hits(trace::Store& store, const Json& digest, int per_agent) {
  Json out = Json::array();
  if (!digest.contains("agents") || !digest["agents"].is_array()) return out;
  for (const auto& agent : digest["agents"]) {
    std::string id = agent.value("agent", "");
    std::string query = failure_query(failure_text(agent));
    if (query.empty()) continue;
    trace::SearchOptions options;
    options.limit = per_agent + 10;  // room for the agent's own hits, dropped below
    std::vector<trace::SearchHit> found;
    try {
      auto r = trace::search_store(store, query, options);
      if (!r) continue;
      found = std::move(*r);
    } catch (const std::exception&) {
      continue;  // the index is a cache the digest can do without
    }
    Json hits = Json::array();
    for (const auto& h : found) {
      if (h.agent == id || static_cast<int>(hits.size()) >= per_agent) continue;
      hits.push_back({{"label", h.label}, {"agent", h.agent}, {"generation", h.generation}, {"kind", h.kind},
                      {"snippet", h.snippet}});
    }
    if (!hits.empty()) out.push_back({{"agent", id}, {"query", query}, {"hits", hits}});
  }
  return out;
}

}  // namespace observer
