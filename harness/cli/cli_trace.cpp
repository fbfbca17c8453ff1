// Verbs over a trace directory: import, trace {rebuild, tree, replay, stats, why, search}, audit, export.
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/agent_totals.h"
#include "harness/cli/cli.h"
#include "harness/inherit_runs.h"
#include "harness/transcript_pickup.h"
#include "trace/audit.h"
#include "trace/import.h"
#include "trace/query_format.h"
#include "trace/query_replay.h"
#include "trace/query_search.h"
#include "trace/query_stats.h"
#include "trace/query_tree.h"
#include "trace/query_why.h"

namespace harness {
namespace {

void print_import_summary(const std::vector<trace::ImportedFile>& files) {
  for (const auto& f : files) {
    const auto& s = f.stats;
    fmt::print("{}: {} lines, {} sessions, {} spans, {} events, {} decode errors, {} ignored ({})\n", f.path, s.lines,
               s.sessions, s.spans, s.events, s.errors, s.ignored, trace::to_string(f.format));
  }
}

void print_json(const trace::Json& j) {
  fmt::print("{}\n", j.dump(2, ' ', false, trace::Json::error_handler_t::replace));
}

// A query verb's failure that is the user's (no such session, no such event): exit 2 with the library's message.
template <class T>
T checked(base::Result<T> result) {
  if (!result) throw UsageError(result.error());
  return std::move(result).value();
}

// tree, replay, stats, why: read-only views of DIR. The library builds structs; here only flags become options.
void register_query_commands(CLI::App* trace_cmd) {
  struct Options {
    std::string dir, session, event;
    bool json = false, expand = false, include_subagents = false;
    int depth = 3;
  };
  auto add_dir = [](CLI::App* cmd, Options& o) {
    cmd->add_option("dir", o.dir, "Trace or run directory (holding run.db)")->required();
  };

  auto tree = std::make_shared<Options>();
  auto* tree_cmd = trace_cmd->add_subcommand("tree", "One line per session and subagent, nested by parent");
  add_dir(tree_cmd, *tree);
  tree_cmd->add_flag("--json", tree->json, "Print JSON");
  tree_cmd->callback([tree] {
    auto store = trace::open_trace_dir(tree->dir, false);
    auto t = trace::build_tree(*store);
    if (tree->json) return print_json(trace::tree_to_json(t));
    fmt::print("{}", trace::format_tree(t));
  });

  auto replay = std::make_shared<Options>();
  auto* replay_cmd = trace_cmd->add_subcommand("replay", "A session's timeline with relative times and event ids");
  add_dir(replay_cmd, *replay);
  replay_cmd->add_option("session", replay->session, "Span id prefix or session.id (default: every top-level session)");
  replay_cmd->add_flag("--expand-subagents", replay->expand, "Inline subagent timelines under the spawning tool call");
  replay_cmd->add_flag("--json", replay->json, "Print JSON");
  replay_cmd->callback([replay] {
    auto store = trace::open_trace_dir(replay->dir, false);
    auto r = checked(trace::replay(*store, {replay->session, replay->expand}));
    if (replay->json) return print_json(trace::replay_to_json(r));
    fmt::print("{}", trace::format_replay(r));
  });

  auto stats = std::make_shared<Options>();
  auto* stats_cmd = trace_cmd->add_subcommand("stats", "Totals: tool calls, errors, llm calls, tokens, cost, hotspot");
  add_dir(stats_cmd, *stats);
  stats_cmd->add_option("--session", stats->session, "Only this session (span id prefix or session.id)");
  stats_cmd->add_flag("--include-subagents", stats->include_subagents, "Count the subagents' spans too");
  stats_cmd->add_flag("--json", stats->json, "Print JSON");
  stats_cmd->callback([stats] {
    auto store = trace::open_trace_dir(stats->dir, false);
    auto s = checked(trace::compute_stats(*store, {stats->session, stats->include_subagents}));
    if (stats->json) return print_json(trace::stats_to_json(s));
    fmt::print("{}", trace::format_stats(s));
  });

  auto why = std::make_shared<Options>();
  auto* why_cmd = trace_cmd->add_subcommand("why", "The causal chain of an event, across sessions");
  add_dir(why_cmd, *why);
  why_cmd->add_option("event", why->event, "Event id as replay prints it (41, e41 or #e41) or an evidence label (g02-a03#e41)")->required();
  why_cmd->add_option("--depth", why->depth, "Levels of cross-session causes to follow")
      ->check(CLI::Range(0, 20));
  why_cmd->add_flag("--json", why->json, "Print JSON");
  why_cmd->callback([why] {
    auto store = trace::open_trace_dir(why->dir, false);
    // An inherited observation's evidence (`<run-id>/g02-a01#e41`, harness run --from) opens in the run it was
    // seen in; a chain of such runs is followed.
    std::string event = why->event;
    for (int hops = 0; hops < 16; ++hops) {
      auto inherited = harness::inherited_ref(*store, event);
      if (!inherited) break;
      store = trace::open_trace_dir(inherited->dir, false);
      event = inherited->ref;
      if (!why->json) fmt::print("(in the earlier run {})\n", inherited->dir);
    }
    trace::WhyOptions options;
    options.max_depth = why->depth;
    auto r = checked(trace::explain_event(*store, event, options));
    if (why->json) return print_json(trace::why_to_json(r));
    fmt::print("{}", trace::format_why(r));
  });

  struct SearchOptions {
    std::vector<std::string> words;  // DIR... QUERY: the last word is the query
    std::string kind;
    bool json = false;
    int limit = 20;
  };
  auto search = std::make_shared<SearchOptions>();
  auto* search_cmd = trace_cmd->add_subcommand("search", "Full-text search (ranked) over tool calls, errors, messages, "
                                                         "llm text and observations of one or more run dirs");
  search_cmd->add_option("dirs_and_query", search->words, "DIR... QUERY: trace or run directories, then the query "
                                                          "(FTS5: words, \"a phrase\", AND OR NOT, prefix*)")
      ->required()
      ->expected(2, -1);
  search_cmd->add_option("--kind", search->kind, "Only hits of this kind")
      ->check(CLI::IsMember(trace::search_kinds()));
  search_cmd->add_option("--limit", search->limit, "Hits to print (over all dirs)")->check(CLI::Range(1, 10000));
  search_cmd->add_flag("--json", search->json, "Print JSON");
  search_cmd->callback([search] {
    std::vector<std::string> dirs(search->words.begin(), search->words.end() - 1);
    auto r = checked(trace::search_dirs(dirs, search->words.back(), {search->kind, search->limit}));
    for (const auto& [dir, u] : r.updates) {
      if (u.empty() && !u.rebuilt && !u.temporary) continue;
      fmt::print(stderr, "{}: search index {}: {}, {}, {} in {:.1f} s{}\n", dir,
                 u.rebuilt ? "rebuilt (the events were re-derived)" : "updated", trace::plural(u.events, "event"),
                 trace::plural(u.spans, "llm span"), trace::plural(u.observations, "observation"), u.seconds,
                 u.temporary ? " (run.db is read-only: a temporary index, not kept)" : "");
    }
    if (search->json) return print_json(trace::search_to_json(r));
    fmt::print("{}", trace::format_search(r, dirs.size() > 1));
  });
}

void register_audit_command(CLI::App& app, CliContext& ctx) {
  struct Options {
    std::string dir, policy;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("audit", "Check file, command and network use against a policy (exit 1 on violation)");
  cmd->add_option("dir", o->dir, "Trace or run directory (holding run.db)")->required();
  cmd->add_option("--policy", o->policy, "YAML or JSON policy file")->required();
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([o, &ctx] {
    auto policy = checked(trace::load_audit_policy(o->policy));
    auto store = trace::open_trace_dir(o->dir, false);
    auto report = trace::run_audit(*store, policy);
    if (o->json) {
      print_json(trace::audit_to_json(report));
    } else {
      fmt::print("{}", trace::format_audit(report));
    }
    if (report.violations > 0) ctx.exit_code = kExitNoFix;
  });
}

}  // namespace

void register_trace_commands(CLI::App& app, CliContext& ctx) {
  auto* import = app.add_subcommand("import", "Import agent output files into a trace directory");
  static std::vector<std::string> files;
  static std::string format = "auto", out_dir;
  import->add_option("files", files, "Files to import")->required()->check(CLI::ExistingFile);
  import->add_option("--format", format, "auto|jsonl|claude-stream|claude-transcript|codex|otlp")
      ->check(CLI::IsMember({"auto", "jsonl", "claude-stream", "claude-transcript", "codex", "otlp"}));
  import->add_option("--out", out_dir, "Trace directory to create or add to")->required();
  static std::vector<std::string> transcripts;
  import->add_option("--claude-transcripts", transcripts,
                     "Glob of the Claude Code session transcripts of an imported stream-json file: their "
                     "subagents/ transcripts replace the stream's partial subagents");
  import->callback([] {
    std::optional<trace::Format> f;
    if (format != "auto") f = trace::format_from(format);
    auto imported = trace::import_files(files, f, out_dir);
    print_import_summary(imported);
    if (transcripts.empty()) return;
    auto store = trace::open_trace_dir(out_dir, false);
    std::string trace_id = trace::trace_id_of(*store);
    for (const auto& file : imported) {
      if (file.format != trace::Format::claude_stream) continue;
      auto found = pick_up_claude_transcripts(*store, out_dir, trace_id, file.raw_id, transcripts);
      for (const auto& sub : found.imported) fmt::print("{}: subagent transcript picked up\n", sub);
      for (const auto& error : found.errors) fmt::print(stderr, "{}\n", error);
    }
  });

  auto* trace_cmd = app.add_subcommand("trace", "Inspect a trace directory");
  trace_cmd->require_subcommand(1);
  auto* rebuild = trace_cmd->add_subcommand("rebuild", "Re-derive all spans from the kept raw input");
  static std::string rebuild_dir;
  rebuild->add_option("dir", rebuild_dir, "Trace or run directory")->required();
  rebuild->callback([] {
    print_import_summary(trace::rebuild(rebuild_dir));
    // A run's agent records take their figures from the trace: re-read, so status and reports agree with it.
    if (refresh_agent_totals(*trace::open_trace_dir(rebuild_dir, false)))
      fmt::print("agent records: tokens, cost and tool counts re-read from the rebuilt trace\n");
  });
  register_query_commands(trace_cmd);
  register_audit_command(app, ctx);
}

}  // namespace harness
