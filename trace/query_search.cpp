#include "trace/query_search.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "trace/import.h"
#include "trace/query_format.h"
#include "trace/store_internal.h"

namespace trace {
namespace {

constexpr int kMaxChain = 64;          // spans walked up from a hit; deeper means a parent cycle in bad input
constexpr size_t kSnippetWidth = 240;  // code points of a snippet kept (a token may be kilobytes long)

bool bareword(std::string_view term) {
  if (term.empty()) return false;
  for (unsigned char c : term)
    if (!(std::isalnum(c) || c == '_' || c >= 0x80)) return false;
  return true;
}

// What `harness trace search` says when FTS5 refuses a query.
std::string query_error(const std::string& query, const std::string& why) {
  return fmt::format(
      "bad search query '{}': {} (FTS5 syntax: words, \"a phrase\", AND, OR, NOT, prefix*, "
      "NEAR(a b, 5); quote a word that holds punctuation)",
      query, why);
}

struct SpanInfo {
  std::string parent, kind, name;
  Json attributes;
};

// Agent, generation and the outermost session above a span, read once per span for the hits of one store.
class Attribution {
 public:
  explicit Attribution(sqlite3* db) : db_(db) {}

  void attribute(const std::string& span_id, SearchHit& hit) {
    std::string id = span_id, session;
    for (int i = 0; i < kMaxChain && !id.empty(); ++i) {
      const SpanInfo* s = span(id);
      if (!s) break;
      auto attr = s->attributes.find("harness.agent");
      auto gen = s->attributes.find("harness.generation");
      if (s->kind == "agent") {
        hit.agent = attr != s->attributes.end() && attr->is_string() ? attr->get<std::string>() : s->name;
        if (gen != s->attributes.end() && gen->is_number_integer()) hit.generation = gen->get<int>();
        return;
      }
      if (s->kind == "session") session = s->name;
      id = s->parent;
    }
    hit.agent = session;
  }

 private:
  const SpanInfo* span(const std::string& id) {
    auto it = cache_.find(id);
    if (it != cache_.end()) return it->second ? &*it->second : nullptr;
    Statement st(db_, "SELECT parent_span_id, kind, name, attributes FROM spans WHERE span_id = ?");
    st.bind(1, id);
    std::optional<SpanInfo> info;
    if (st.step())
      info = SpanInfo{st.text(0), st.text(1), st.text(2), Json::parse(st.text(3), nullptr, false)};
    if (info && !info->attributes.is_object()) info->attributes = Json::object();
    auto& slot = cache_[id] = std::move(info);
    return slot ? &*slot : nullptr;
  }

  sqlite3* db_;
  std::unordered_map<std::string, std::optional<SpanInfo>> cache_;
};

void fill_event(sqlite3* db, Attribution& who, int64_t id, SearchHit& hit) {
  hit.event_id = id;
  Statement st(db, "SELECT span_id, type FROM events WHERE id = ?");
  st.bind(1, id);
  if (st.step()) {
    hit.span_id = st.text(0);
    hit.type = st.text(1);
    who.attribute(hit.span_id, hit);
  }
  hit.label = fmt::format("{}#e{}", hit.agent, id);
}

void fill_span(sqlite3* db, Attribution& who, int64_t rowid, SearchHit& hit) {
  hit.type = "llm";
  Statement st(db, "SELECT span_id FROM spans WHERE rowid = ?");
  st.bind(1, rowid);
  if (st.step()) {
    hit.span_id = st.text(0);
    who.attribute(hit.span_id, hit);
  }
  hit.label = fmt::format("{}#s{}", hit.agent, hit.span_id);
}

void fill_observation(sqlite3* db, int64_t ord, SearchHit& hit) {
  Statement st(db, "SELECT id, priority, agents, first_gen FROM observations WHERE ord = ?");
  st.bind(1, ord);
  if (!st.step()) return;
  hit.observation_id = hit.label = st.text(0);
  hit.type = st.text(1);
  Json agents = Json::parse(st.text(2), nullptr, false);
  if (agents.is_array() && !agents.empty() && agents[0].is_string()) hit.agent = agents[0].get<std::string>();
  hit.generation = static_cast<int>(st.int64(3));
  Statement ev(
      db, "SELECT agent, span_id, event_id FROM observation_evidence WHERE observation_id = ? ORDER BY ord");
  ev.bind(1, hit.observation_id);
  while (ev.step()) {
    std::string agent = ev.text(0), span_id = ev.text(1);
    int64_t event_id = ev.int64(2);
    hit.evidence.push_back(event_id > 0       ? fmt::format("{}#e{}", agent, event_id)
                           : !span_id.empty() ? fmt::format("{}#s{}", agent, span_id)
                                              : agent);
  }
}

// Runs `sql` (MATCH ?1) on `db`: SQLITE_ERROR can only be the query's fault (the SQL is ours), anything else
// is the store's.
base::Result<std::vector<std::pair<int64_t, std::pair<std::string, double>>>> run_match(
    sqlite3* db, const std::string& sql, const std::string& fts, int limit, const std::string& query) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
  std::vector<std::pair<int64_t, std::pair<std::string, double>>> rows;
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, fts.data(), static_cast<int>(fts.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      rows.push_back({sqlite3_column_int64(st, 0),
                      {std::string(internal::column_view(st, 1)), sqlite3_column_double(st, 2)}});
  }
  std::string msg = sqlite3_errmsg(db);
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return rows;
  if (rc == SQLITE_ERROR) return base::fail(query_error(query, msg));
  throw StoreError(fmt::format("{}: search: {}", sqlite3_db_filename(db, "main"), msg));
}

// Refuses a bad query before any index is built (an empty FTS5 table in memory parses it).
base::Result<bool> check_query(const std::string& fts, const std::string& query) {
  sqlite3* db = nullptr;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    sqlite3_close(db);
    throw StoreError("cannot open an in-memory database to check the search query");
  }
  sqlite3_exec(db, "CREATE VIRTUAL TABLE search_fts USING fts5(kind, body)", nullptr, nullptr, nullptr);
  auto r =
      run_match(db, "SELECT rowid, '', 0 FROM search_fts WHERE search_fts MATCH ?1 LIMIT ?2", fts, 1, query);
  sqlite3_close(db);
  if (!r) return base::fail(r.error());
  return true;
}

// The documents of one source (events, llm spans, observations) are a rowid range of the index.
struct DocRange {
  int64_t lo, hi;
};
constexpr DocRange kDocRanges[] = {
    {0, kSpanDocBase}, {kSpanDocBase, kObservationDocBase}, {kObservationDocBase, INT64_MAX}};

struct Ranked {
  int64_t rowid;
  double score;
};

// The best `limit` documents matching `fts`, each source's newest `window` matches scored. bm25 costs ~2 µs a
// match and ORDER BY rank scores every one before the first hit (0.6 s for a word in 270k documents); walking
// the doclist newest first with the score as a column stops after `window`, so a common word costs at most
// `window` scores per source and the result says it was capped. Ranges per source, so the newest llm spans
// (rowids above every event's) do not crowd the events out. Snippets are made for the hits only.
base::Result<std::vector<Ranked>> best_documents(sqlite3* db, const std::string& schema, const std::string& fts,
                                                 const std::string& query, int limit, int window,
                                                 bool* capped) {
  std::vector<Ranked> best;
  if (capped) *capped = false;
  for (const DocRange& range : kDocRanges) {
    auto rows = run_match(db,
                          fmt::format("SELECT rowid, '', rank FROM {}.search_fts WHERE search_fts MATCH ?1 AND "
                                      "rowid >= {} AND rowid < {} ORDER BY rowid DESC LIMIT ?2",
                                      schema, range.lo, range.hi),
                          fts, window, query);
    if (!rows) return base::fail(rows.error());
    if (capped && rows->size() >= static_cast<size_t>(window)) *capped = true;
    for (const auto& [rowid, found] : *rows) best.push_back({rowid, found.second});
  }
  // Ties go to the newer document, as a person reading a night's traces would want.
  auto better = [](const Ranked& a, const Ranked& b) {
    return a.score != b.score ? a.score < b.score : a.rowid > b.rowid;
  };
  size_t keep = std::min(best.size(), static_cast<size_t>(std::max(limit, 0)));
  std::partial_sort(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(keep), best.end(), better);
  best.resize(keep);
  return best;
}

base::Result<std::vector<SearchHit>> ranked_hits(Store& store, const std::string& fts, const std::string& query,
                                                 const SearchOptions& options, bool* capped) {
  std::lock_guard lock(internal::mutex(store));
  sqlite3* db = internal::db(store);
  std::string schema = search_schema(store);
  if (schema.empty()) return std::vector<SearchHit>{};
  auto best = best_documents(db, schema, fts, query, options.limit, std::max(options.rank_window, 1), capped);
  if (!best) return base::fail(best.error());
  std::vector<std::pair<int64_t, std::pair<std::string, double>>> rows;  // rowid, snippet, score
  for (const Ranked& r : *best) {
    auto snip = run_match(db,
                          fmt::format("SELECT rowid, snippet(search_fts, 1, '«', '»', '…', 16), rank FROM "
                                      "{}.search_fts WHERE search_fts MATCH ?1 AND rowid = {} LIMIT ?2",
                                      schema, r.rowid),
                          fts, 1, query);
    if (!snip) return base::fail(snip.error());
    rows.push_back({r.rowid, {snip->empty() ? std::string() : snip->front().second.first, r.score}});
  }
  std::vector<SearchHit> hits;
  Attribution who(db);
  for (const auto& [rowid, found] : rows) {
    SearchHit hit;
    hit.snippet = one_line(found.first, kSnippetWidth);
    hit.score = found.second;
    if (rowid >= kObservationDocBase) {
      hit.kind = "observation";
      fill_observation(db, rowid - kObservationDocBase, hit);
    } else if (rowid >= kSpanDocBase) {
      hit.kind = "llm";
      fill_span(db, who, rowid - kSpanDocBase, hit);
    } else {
      fill_event(db, who, rowid, hit);
      std::string_view kinds = search_kinds_of_event(hit.type);
      hit.kind = std::string(kinds.substr(0, kinds.find(' ')));
    }
    hits.push_back(std::move(hit));
  }
  return hits;
}

base::Result<std::string> prepared_query(const std::string& query, const SearchOptions& options) {
  const auto& kinds = search_kinds();
  if (!options.kind.empty() && std::find(kinds.begin(), kinds.end(), options.kind) == kinds.end())
    return base::fail(
        fmt::format("unknown kind '{}' (expected tool, llm, error, message or observation)", options.kind));
  if (query.find_first_not_of(" \t\r\n") == std::string::npos) return base::fail("empty search query");
  std::string fts = fts_query(query, options.kind);
  if (auto ok = check_query(fts, query); !ok) return base::fail(ok.error());
  return fts;
}

}  // namespace

const std::vector<std::string>& search_kinds() {
  static const std::vector<std::string> kinds = {"tool", "llm", "error", "message", "observation"};
  return kinds;
}

std::string fts_query(const std::string& query, const std::string& kind) {
  std::string out;
  size_t i = 0, n = query.size();
  while (i < n) {
    char c = query[i];
    if (c ==
        '"') {  // a phrase as written ("" inside is a quote); unterminated, it is left for FTS5 to refuse
      size_t j = i + 1;
      while (j < n && !(query[j] == '"' && (j + 1 >= n || query[j + 1] != '"'))) j += query[j] == '"' ? 2 : 1;
      out.append(query, i, std::min(j + 1, n) - i);
      i = j + 1;
    } else if (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == ',') {
      out += c;
      ++i;
    } else {
      size_t j = i;
      while (j < n && !std::isspace(static_cast<unsigned char>(query[j])) && !std::strchr("\"(),", query[j]))
        ++j;
      std::string_view term(query.data() + i, j - i);
      i = j;
      if (term == "AND" || term == "OR" || term == "NOT" || term == "NEAR") {
        out += term;
        continue;
      }
      bool caret = term.starts_with('^'), star = term.size() > 1 && term.ends_with('*');
      std::string_view word = term.substr(caret, term.size() - caret - star);
      if (bareword(word) || word.empty()) {
        out += term;
      } else {
        out += fmt::format("{}\"{}\"{}", caret ? "^" : "", word, star ? "*" : "");
      }
    }
  }
  std::string body = fmt::format("body : ({})", out);
  return kind.empty() ? body : fmt::format("kind : {} AND {}", kind, body);
}

base::Result<std::vector<SearchHit>> search_store(Store& store, const std::string& query,
                                                  const SearchOptions& options, bool* capped) {
  auto fts = prepared_query(query, options);
  if (!fts) return base::fail(fts.error());
  update_search_index(store);
  return ranked_hits(store, *fts, query, options, capped);
}

base::Result<SearchResult> search_dirs(const std::vector<std::string>& dirs, const std::string& query,
                                       const SearchOptions& options) {
  auto fts = prepared_query(query, options);
  if (!fts) return base::fail(fts.error());
  SearchResult result;
  result.query = query;
  std::vector<std::string> seen;
  for (const auto& dir : dirs) {
    if (std::find(seen.begin(), seen.end(), dir) != seen.end())
      continue;  // a dir named twice is searched once
    seen.push_back(dir);
    auto store = open_trace_dir(dir, false);
    result.updates.emplace_back(dir, update_search_index(*store));
    bool capped = false;
    auto hits = ranked_hits(*store, *fts, query, options, &capped);
    if (capped) result.capped.push_back(dir);
    if (!hits) return base::fail(hits.error());
    for (auto& h : *hits) {
      h.run_dir = dir;
      result.hits.push_back(std::move(h));
    }
  }
  // bm25 is relative to each store's own statistics; merging by it is what lets several nights share one
  // list.
  std::stable_sort(result.hits.begin(), result.hits.end(),
                   [](const SearchHit& a, const SearchHit& b) { return a.score < b.score; });
  if (result.hits.size() > static_cast<size_t>(std::max(options.limit, 0))) result.hits.resize(options.limit);
  return result;
}

std::string format_search(const SearchResult& r, bool show_run_dir) {
  std::string out;
  for (size_t i = 0; i < r.hits.size(); ++i) {
    const SearchHit& h = r.hits[i];
    out += fmt::format("{:>2}. {}  {}", i + 1, h.label, h.kind);
    if (!h.type.empty() && h.type != h.kind) out += " " + h.type;
    if (!h.observation_id.empty() && !h.agent.empty()) out += "  " + h.agent;
    if (h.generation > 0) out += fmt::format("  gen {}", h.generation);
    if (show_run_dir) out += "  " + h.run_dir;
    out += "\n      " + h.snippet + "\n";
    if (!h.evidence.empty()) {
      std::string ev;
      for (const auto& e : h.evidence) ev += (ev.empty() ? "" : " ") + e;
      out += "      evidence " + ev + "\n";
    }
  }
  out += r.hits.empty() ? fmt::format("no hits for {}\n", r.query)
                        : fmt::format("{}\n", plural(r.hits.size(), "hit"));
  for (const auto& dir : r.capped)
    out += fmt::format("{}: more matches than could be ranked; these are the best of the newest (narrow the query "
                       "with more words, a \"phrase\" or --kind)\n",
                       dir);
  return out;
}

Json search_to_json(const SearchResult& r) {
  Json hits = Json::array();
  for (const SearchHit& h : r.hits) {
    Json j = {{"run_dir", h.run_dir}, {"kind", h.kind},       {"type", h.type},  {"agent", h.agent},
              {"label", h.label},     {"snippet", h.snippet}, {"score", h.score}};
    j["generation"] = h.generation > 0 ? Json(h.generation) : Json();
    if (h.event_id) j["event_id"] = h.event_id;
    if (!h.span_id.empty()) j["span_id"] = h.span_id;
    if (!h.observation_id.empty()) {
      j["observation_id"] = h.observation_id;
      j["evidence"] = h.evidence;
    }
    hits.push_back(std::move(j));
  }
  Json indexed = Json::array();
  for (const auto& [dir, u] : r.updates)
    indexed.push_back({{"run_dir", dir},
                       {"events", u.events},
                       {"spans", u.spans},
                       {"observations", u.observations},
                       {"rebuilt", u.rebuilt},
                       {"temporary", u.temporary}});
  return {{"query", r.query}, {"hits", hits}, {"indexed", indexed}, {"capped", r.capped}};
}

}  // namespace trace
