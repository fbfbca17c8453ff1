// ObservationSet: merging by fingerprint across agents and generations, ids, persistence in run.db, the ranking
// for prompts, and the exact markdown.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <sqlite3.h>

#include "observer/observation_set.h"
#include "observer/rules.h"
#include "temp_dir.h"
#include "trace_builder.h"

namespace observer {
namespace {

using observer_test::TempDir;
using observer_test::TraceBuilder;

Observation obs(Kind kind, const std::string& text, const std::string& agent, int64_t event_id, int64_t count = 1) {
  return make_observation(kind, text, agent, 0, {{agent, "00000000000000a1", event_id}}, count);
}

TEST(ObservationSet, MergesByFingerprintAcrossAgentsAndGenerations) {
  ObservationSet set;
  auto gen1 = set.add(1, {obs(Kind::tool_error, "make failed: queue.c:41: error 7", "g01-a01", 11),
                          obs(Kind::files_edited, "Edited src/queue.c", "g01-a01", 12),
                          obs(Kind::tool_error, "make failed: queue.c:52: error 9", "g01-a02", 21, 2)});
  EXPECT_EQ(gen1, (std::vector<std::string>{"O-0001", "O-0002"}));
  auto gen2 = set.add(2, {obs(Kind::hypothesis, "Hypothesis: the lock is dropped early", "g02-a01", 31),
                          obs(Kind::tool_error, "make failed: queue.c:60: error 1", "g02-a01", 32)});
  EXPECT_EQ(gen2, (std::vector<std::string>{"O-0003"}));
  auto gen3 = set.add(3, {});
  EXPECT_TRUE(gen3.empty());

  ASSERT_EQ(set.size(), 3u);
  std::set<std::string> fingerprints;
  for (const auto& o : set.all()) fingerprints.insert(o.fingerprint);
  EXPECT_EQ(fingerprints.size(), 3u);  // no duplicate fingerprint

  const Observation& err = set.all()[0];
  EXPECT_EQ(err.id, "O-0001");
  EXPECT_EQ(err.text, "make failed: queue.c:41: error 7");  // the first sighting's text is kept
  EXPECT_EQ(err.count, 4);
  EXPECT_EQ(err.first_gen, 1);
  EXPECT_EQ(err.last_gen, 2);
  EXPECT_EQ(err.agents, (std::vector<std::string>{"g01-a01", "g01-a02", "g02-a01"}));
  ASSERT_EQ(err.evidence.size(), 3u);
  EXPECT_EQ(err.evidence[2].label(), "g02-a01#e32");
  EXPECT_EQ(set.added_in(1), (std::vector<std::string>{"O-0001", "O-0002"}));
  EXPECT_EQ(set.added_in(2), (std::vector<std::string>{"O-0003"}));
  EXPECT_EQ(set.generations(), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(set.find_fingerprint(err.fingerprint)->id, "O-0001");
}

TEST(ObservationSet, EvidenceIsBoundedAndHigherPriorityWins) {
  ObservationSet set;
  std::vector<Observation> many;
  for (int i = 0; i < 25; ++i) many.push_back(obs(Kind::llm, "the queue is unbounded", "g01-a0" + std::to_string(i % 5), 100 + i));
  many[3].priority = Priority::important;
  set.add(1, many);
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set.all()[0].count, 25);
  EXPECT_EQ(set.all()[0].evidence.size(), kMaxEvidence);
  EXPECT_EQ(set.all()[0].agents.size(), 5u);
  EXPECT_EQ(set.all()[0].priority, Priority::important);
}

TEST(ObservationSet, RenderLineIsExact) {
  Observation o = make_observation(Kind::tool_error, "text", "g2-a3", 1, {{"g2-a3", "", 41}});
  o.id = "O-0012";
  o.count = 7;
  o.first_gen = 1;
  o.last_gen = 3;
  EXPECT_EQ(render_line(o), "- [important] O-0012 (seen 7×, gens 1–3) text — evidence g2-a3#e41");
  o.first_gen = 3;
  o.evidence.push_back({"g3-a1", "00000000000000b2", 0});
  o.evidence.push_back({"g3-a2", "", 0});
  o.evidence.push_back({"g3-a4", "", 9});
  EXPECT_EQ(render_line(o),
            "- [important] O-0012 (seen 7×, gen 3) text — evidence g2-a3#e41, g3-a1#s00000000000000b2, g3-a2");
  o.evidence.clear();
  o.priority = Priority::informational;
  EXPECT_EQ(render_line(o), "- [informational] O-0012 (seen 7×, gen 3) text");
}

TEST(ObservationSet, SelectForPromptRanksByPriorityThenCountThenRecencyWithinBudget) {
  ObservationSet set;
  set.add(1, {obs(Kind::usage, "info seen often", "g01-a01", 1, 50),        // O-0001
              obs(Kind::tool_error, "important once", "g01-a01", 2),        // O-0002
              obs(Kind::hypothesis, "possible twice", "g01-a01", 3, 2),     // O-0003
              obs(Kind::crash, "important thrice", "g01-a01", 4, 3)});      // O-0004
  set.add(2, {obs(Kind::stuck, "important once, recent", "g02-a01", 5)});  // O-0005
  std::vector<std::string> order;
  for (const auto& o : set.ranked()) order.push_back(o.id);
  EXPECT_EQ(order, (std::vector<std::string>{"O-0004", "O-0005", "O-0002", "O-0003", "O-0001"}));

  std::vector<Observation> all = set.ranked();
  size_t first_two = render_line(all[0]).size() + 1 + render_line(all[1]).size() + 1;
  std::vector<Observation> chosen = set.select_for_prompt(first_two);
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(chosen[0].id, "O-0004");
  EXPECT_EQ(chosen[1].id, "O-0005");
  EXPECT_EQ(render_lines(chosen).size(), first_two);
  // One byte less: O-0005 no longer fits, but the shorter O-0002 after it does.
  std::vector<std::string> tighter;
  for (const auto& o : set.select_for_prompt(first_two - 1)) tighter.push_back(o.id);
  EXPECT_EQ(tighter, (std::vector<std::string>{"O-0004", "O-0002"}));
  EXPECT_TRUE(set.select_for_prompt(10).empty());
  // Everything fits in a large budget, in rank order.
  EXPECT_EQ(set.select_for_prompt(100000).size(), 5u);
}

TEST(ObservationSet, SelectSkipsALongLineAndTakesShorterOnesAfterIt) {
  ObservationSet set;
  set.add(1, {obs(Kind::crash, std::string(200, 'x'), "g01-a01", 1, 5), obs(Kind::stuck, "short", "g01-a01", 2)});
  std::vector<Observation> chosen = set.select_for_prompt(120);
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen[0].id, "O-0002");
}

TEST(ObservationSet, MarkdownHasSectionsAndWhatEachGenerationAdded) {
  ObservationSet set;
  set.add(1, {obs(Kind::tool_error, "make failed: error 7", "g01-a01", 11),
              obs(Kind::goal, "Goal under strategy bisect: fix it", "g01-a01", 12)});
  set.add(2, {obs(Kind::tool_error, "make failed: error 8", "g02-a01", 21)});
  EXPECT_EQ(set.render_markdown(),
            "# Observations\n\n"
            "2 observations after 2 generations: 1 important, 0 possible, 1 informational.\n"
            "\n## Important\n\n"
            "- [important] O-0001 (seen 2×, gens 1–2) make failed: error 7 — evidence g01-a01#e11, g02-a01#e21\n"
            "\n## Possible\n\n_None._\n"
            "\n## Informational\n\n"
            "- [informational] O-0002 (seen 1×, gen 1) Goal under strategy bisect: fix it — evidence g01-a01#e12\n"
            "\n## What each generation added\n\n"
            "- Generation 1: 2 new — O-0001, O-0002\n"
            "- Generation 2: nothing new\n");
}

TEST(ObservationSet, SavesAndLoadsFromRunDb) {
  TempDir dir;
  auto store = trace::Store::open(dir.file("run.db"));
  ObservationSet set;
  set.add(1, {obs(Kind::tool_error, "make failed: error 7", "g01-a01", 11), obs(Kind::refactor, "Refactor", "g01-a02", 0)});
  set.add(2, {obs(Kind::tool_error, "make failed: error 9", "g02-a02", 21)});
  set.save(*store);
  set.save(*store);  // saving again replaces, never duplicates
  store.reset();

  store = trace::Store::open(dir.file("run.db"));
  ObservationSet loaded = ObservationSet::load(*store);
  ASSERT_EQ(loaded.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const Observation& a = set.all()[i];
    const Observation& b = loaded.all()[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.fingerprint, b.fingerprint);
    EXPECT_EQ(a.priority, b.priority);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.text, b.text);
    EXPECT_EQ(a.agents, b.agents);
    EXPECT_EQ(a.evidence, b.evidence);
    EXPECT_EQ(a.first_gen, b.first_gen);
    EXPECT_EQ(a.last_gen, b.last_gen);
    EXPECT_EQ(a.count, b.count);
  }
  EXPECT_EQ(loaded.added_in(1), (std::vector<std::string>{"O-0001", "O-0002"}));
  EXPECT_EQ(loaded.added_in(2), std::vector<std::string>{});
  EXPECT_EQ(loaded.render_markdown(), set.render_markdown());
  // A resumed run keeps numbering and merging where it stopped.
  auto added = loaded.add(3, {obs(Kind::tool_error, "make failed: error 1", "g03-a01", 31),
                              obs(Kind::crash, "Agent crashed (exit 3)", "g03-a01", 32)});
  EXPECT_EQ(added, std::vector<std::string>{"O-0003"});
  EXPECT_EQ(loaded.all()[0].count, 3);
}

TEST(ObservationSet, EmptyStoreLoadsEmptySetAndNewerSchemaIsRefused) {
  TempDir dir;
  auto store = trace::Store::open(dir.file("run.db"));
  EXPECT_EQ(ObservationSet::load(*store).size(), 0u);
  store->set_meta("schema.observer", "3");
  try {
    ObservationSet::load(*store);
    FAIL() << "a newer observer schema must be refused";
  } catch (const trace::StoreError& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("run.db") +
                                         ": observer schema version 3 is newer than this harness understands (2)");
  }
}

// The flow the harness runs: two generations of agents, rules, merge, save; then every evidence link in run.db
// opens the stored event it names, on a span inside that agent's subtree.
TEST(ObservationSet, EvidenceLinksResolveToStoredEvents) {
  TempDir dir;
  auto store = trace::Store::open(dir.file("run.db"));
  TraceBuilder b(*store);
  ObservationSet set;
  std::map<std::string, std::string> agent_spans;
  for (int gen = 1; gen <= 2; ++gen) {
    std::vector<Observation> found;
    for (int a = 1; a <= 2; ++a) {
      std::string id = "g0" + std::to_string(gen) + "-a0" + std::to_string(a);
      std::string span = b.agent(id);
      agent_spans[id] = span;
      b.tool("Bash", R"({"command":"pytest -q"})", true, "E   assert " + std::to_string(gen * 10 + a) + " == 0", "1");
      b.file("file.write", "src/queue.c");
      b.message("Root cause: drain() returns before join()");
      store->flush();
      AgentOutcome o;
      o.agent_id = id;
      o.generation = gen;
      o.agent_span_id = span;
      o.strategy = "bisect";
      auto got = extract_observations(*store, o);
      found.insert(found.end(), got.begin(), got.end());
    }
    set.add(gen, found);
    set.save(*store);
  }
  std::set<std::string> fingerprints;
  for (const auto& o : set.all()) EXPECT_TRUE(fingerprints.insert(o.fingerprint).second) << o.text;
  const Observation* err = set.find("O-0001");
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->text, "Bash `pytest -q` failed (exit 1): E assert 11 == 0");
  EXPECT_EQ(err->count, 4);
  EXPECT_EQ(err->first_gen, 1);
  EXPECT_EQ(err->last_gen, 2);

  struct Link {
    std::string agent, span, event_span;
    int64_t event_id;
    bool stored;
  };
  std::vector<Link> found;
  store->query("SELECT ev.agent, ev.event_id, ev.span_id, e.span_id FROM observation_evidence ev "
               "LEFT JOIN events e ON e.id = ev.event_id",
               {}, [&](const trace::Row& r) {
                 found.push_back({r.text(0), r.text(2), r.text(3), r.int64(1), !r.is_null(3)});
               });
  int links = 0;
  for (const auto& l : found) {
    ++links;
    ASSERT_TRUE(l.stored) << "evidence " << l.agent << "#e" << l.event_id << " names no stored event";
    EXPECT_EQ(l.span, l.event_span);
    // The event's span lies under the agent's span.
    std::string span = l.event_span;
    std::string agent_span = agent_spans.at(l.agent);
    for (int depth = 0; depth < 5 && span != agent_span && !span.empty(); ++depth) span = store->span(span)->parent_span_id;
    EXPECT_EQ(span, agent_span);
  }
  EXPECT_GT(links, 8);
}

TEST(ObservationSet, WritesMarkdownAtomically) {
  TempDir dir;
  std::string path = dir.file("observations.md");
  EXPECT_EQ(write_file_atomically(path, "old\n"), "");
  EXPECT_EQ(write_file_atomically(path, "# Observations\n"), "");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "# Observations\n");
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) (void)entry, ++files;
  EXPECT_EQ(files, 1u);  // no temporary left behind
  std::string missing = dir.file("no-such-dir/observations.md");
  EXPECT_EQ(write_file_atomically(missing, "x"),
            missing + ".tmp." + std::to_string(::getpid()) + ": cannot create: No such file or directory");
}

}  // namespace
}  // namespace observer
