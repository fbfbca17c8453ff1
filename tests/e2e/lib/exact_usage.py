#!/usr/bin/env python3
"""Checks a harness run dir against the scripted model server's results (what it served): the truth.

usage: exact_usage.py RUN_DIR RESULTS_JSON [--proxy] [--harness BIN] [--label TEXT]

Asserted (exit 1 with every difference listed; exit 0 prints one summary line):
- the agents' own llm spans (from their output and the session files picked up after it, not the proxy's) are
  exactly the scripted turns served: one span per turn, matched by response id, each with that turn's usage;
- with --proxy: every request served (side calls included) is exactly one proxy llm span whose gen_ai.usage.*
  attributes equal what was served, and the usage counted in the columns is each served request's once;
- the agent record (`harness status --json`), summary.json and the trace's sum agree with the served sum;
- every subagent.spawned event names a span that exists.
Token columns are disjoint (docs/agents.md): input excludes cache reads and writes; OpenAI's served input_tokens
include cached_tokens, so they are subtracted here.
"""
import json
import sqlite3
import subprocess
import sys


def served_usage(entry):
    u = entry.get("usage") or {}
    if entry.get("api") == "openai":
        cached = (u.get("input_tokens_details") or {}).get("cached_tokens", 0)
        return (u.get("input_tokens", 0) - cached, u.get("output_tokens", 0), cached, 0)
    return (u.get("input_tokens", 0), u.get("output_tokens", 0), u.get("cache_read_input_tokens", 0),
            u.get("cache_creation_input_tokens", 0))


def main():
    args = sys.argv[1:]
    run_dir, results = args[0], args[1]
    proxy = "--proxy" in args
    harness = args[args.index("--harness") + 1] if "--harness" in args else None
    label = args[args.index("--label") + 1] if "--label" in args else run_dir
    served = [e for e in json.load(open(results))["served"] if e.get("message_id") and e.get("status", 200) == 200]
    turns = {e["message_id"]: served_usage(e) for e in served if e.get("turn_index") is not None}
    everything = {e["message_id"]: served_usage(e) for e in served}
    db = sqlite3.connect(f"{run_dir}/run.db")
    q = lambda sql, *p: db.execute(sql, p).fetchall()
    errors = []
    is_proxy = "coalesce(json_extract(attributes,'$.\"harness.source\"'),'') = 'proxy'"
    own = q(f"SELECT json_extract(attributes,'$.\"gen_ai.response.id\"'), input_tokens, output_tokens, "
            f"cache_read_tokens, cache_creation_tokens FROM spans WHERE kind='llm' AND NOT ({is_proxy})")
    own_ids = [r[0] for r in own]
    if sorted(own_ids, key=str) != sorted(turns, key=str):
        errors.append(f"own llm spans {sorted(own_ids, key=str)} != scripted turns served {sorted(turns)}")
    for rid, *usage in own:
        if rid in turns and tuple(usage) != turns[rid]:
            errors.append(f"llm span {rid}: usage {tuple(usage)} != served {turns[rid]}")
    counted = {rid: tuple(u) for rid, *u in own}
    if proxy:
        rows = q(f"SELECT json_extract(attributes,'$.\"gen_ai.response.id\"'), "
                 "coalesce(json_extract(attributes,'$.\"gen_ai.usage.input_tokens\"'),0), "
                 "coalesce(json_extract(attributes,'$.\"gen_ai.usage.output_tokens\"'),0), "
                 "coalesce(json_extract(attributes,'$.\"gen_ai.usage.cache_read.input_tokens\"'),0), "
                 "coalesce(json_extract(attributes,'$.\"gen_ai.usage.cache_creation.input_tokens\"'),0), "
                 "input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, "
                 "json_extract(attributes,'$.\"harness.usage_counted_on\"') "
                 f"FROM spans WHERE kind='llm' AND {is_proxy} AND json_extract(attributes,'$.\"gen_ai.response.id\"') IS NOT NULL")
        ids = [r[0] for r in rows]
        if sorted(ids) != sorted(everything):
            errors.append(f"proxy llm spans {sorted(ids)} != requests served {sorted(everything)}")
        for rid, *rest in rows:
            seen, columns, counted_on = tuple(rest[0:4]), tuple(rest[4:8]), rest[8]
            if rid in everything and seen != everything[rid]:
                errors.append(f"proxy span {rid}: saw {seen} != served {everything[rid]}")
            if rid in turns:
                if columns != (0, 0, 0, 0) or not counted_on:
                    errors.append(f"proxy span {rid}: counted again ({columns}, counted_on={counted_on})")
            else:
                counted[rid] = columns
        want = everything
    else:
        want = turns
    if sorted(counted.items(), key=str) != sorted(want.items(), key=str):
        errors.append(f"usage counted per call {sorted(counted.items(), key=str)} != served {sorted(want.items(), key=str)}")
    total_io = sum(u[0] + u[1] for u in want.values())
    trace_io = q("SELECT coalesce(sum(input_tokens+output_tokens),0) FROM spans")[0][0]
    if trace_io != total_io:
        errors.append(f"trace sum of input+output {trace_io} != served {total_io}")
    dangling = q("SELECT json_extract(payload,'$.child_session') FROM events WHERE type='subagent.spawned' AND "
                 "json_extract(payload,'$.child_session') NOT IN (SELECT span_id FROM spans)")
    if dangling:
        errors.append(f"subagent.spawned naming no span: {dangling}")
    records = q("SELECT coalesce(sum(input_tokens+output_tokens),0) FROM harness_agents")[0][0] if q(
        "SELECT name FROM sqlite_master WHERE name='harness_agents'") else None
    if records is not None and records != total_io:
        errors.append(f"agent records' tokens {records} != served {total_io}")
    if harness and records is not None:
        status = json.loads(subprocess.run([harness, "status", run_dir, "--json"], capture_output=True,
                                           text=True, check=True).stdout)
        st = sum(a["tokens"] for g in status["generations"] for a in g["agents"])
        if st != total_io:
            errors.append(f"status --json tokens {st} != served {total_io}")
        summary = json.load(open(f"{run_dir}/summary.json"))
        if summary["totals"]["input_tokens"] + summary["totals"]["output_tokens"] != total_io:
            errors.append(f"summary.json totals {summary['totals']} != served {total_io}")
        if summary.get("winner") and summary["winner"]["tokens"] != total_io:
            errors.append(f"summary.json winner.tokens {summary['winner']['tokens']} != served {total_io}")
    if errors:
        print(f"{label}: " + "\n  ".join(errors))
        return 1
    print(f"{label}: {len(own)} llm spans = {len(turns)} turns served, {total_io} tokens in+out everywhere"
          + (f", {len(everything)} requests through the proxy once each" if proxy else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
