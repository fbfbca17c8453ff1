// `harness trace search`: ranked full-text hits (FTS5 bm25) over tool inputs and outputs, errors, messages,
// llm spans' text and observations, in one run store or several. Each hit names its agent (the
// `harness.agent` of the nearest agent span above it; the top-level session's name in a store that is not a
// harness run), generation, evidence label (`g02-a01#e41`, which `harness trace why` opens; `#s<span id>` for
// an llm span; the observation's id O-0042) and a snippet with the matches marked «so». The index is brought
// up to date first (trace/search_index.h). Functions over Stores; not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "trace/model.h"
#include "trace/search_index.h"
#include "trace/store.h"

namespace trace {

struct SearchOptions {
  std::string kind;  // empty: every kind; else tool, llm, error, message or observation
  int limit = 20;    // hits returned (over all stores)
  // Matches scored per source (events, llm spans, observations), newest first: a word in a quarter of a million
  // documents is ranked among its newest 10,000 of each source (bounds a search to ~50 ms on 1M events).
  int rank_window = 10000;
};

struct SearchHit {
  std::string run_dir;  // the directory searched (search_dirs)
  std::string kind;     // tool, llm, error, message, observation (a failed tool call: tool)
  std::string type;     // event type; "llm" for a span; the priority of an observation
  std::string agent;    // g02-a01, or a session's name; for an observation its first agent
  int generation = 0;   // 0: not known (not a harness run)
  std::string label;    // g02-a01#e41, g02-a01#s<span id>, O-0042
  int64_t event_id = 0;
  std::string span_id;
  std::string observation_id;
  std::vector<std::string> evidence;  // an observation's evidence labels
  std::string snippet;                // matches between « and », … where text was left out
  double score = 0;                   // bm25 as FTS5 gives it: lower is better
};

struct SearchResult {
  std::string query;
  std::vector<SearchHit> hits;
  std::vector<std::pair<std::string, IndexUpdate>> updates;  // per store searched: what its index took in
  std::vector<std::string> capped;  // stores where a source had more matches than rank_window (newest ranked)
};

// The kinds --kind takes.
const std::vector<std::string>& search_kinds();

// The best `options.limit` hits in one store, or why not (a query FTS5 cannot parse, an unknown kind). Words
// with characters outside letters, digits and `_` (src/net.py, ECONNREFUSED:5432) are searched as phrases;
// FTS5's syntax ("a phrase", AND OR NOT, prefix*, NEAR(a b, 5)) works otherwise.
// `capped`, when given, is set if a source had more than options.rank_window matches.
base::Result<std::vector<SearchHit>> search_store(Store& store, const std::string& query,
                                                  const SearchOptions& options, bool* capped = nullptr);
// Each directory's run store searched, hits merged by score. Throws ImportError for a directory without
// run.db.
base::Result<SearchResult> search_dirs(const std::vector<std::string>& dirs, const std::string& query,
                                       const SearchOptions& options);

// The query as FTS5 takes it (exposed for tests): punctuated words quoted, restricted to the body column.
std::string fts_query(const std::string& query, const std::string& kind);

std::string format_search(const SearchResult& result, bool show_run_dir);
Json search_to_json(const SearchResult& result);

}  // namespace trace
