#!/usr/bin/env python3
"""Helper of bench/agent_strace_compare.sh (standard library only).

  copies SRC.jsonl DIR N      write N copies of a real Claude Code transcript into DIR, each with fresh ids (every
                              uuid, toolu_/msg_/req_ id, the sessionId and so the file name <sessionId>.jsonl),
                              byte for byte the same length; prints the session ids, one a line
  tool-uses FILE...           tool_use blocks of the files' assistant lines (what both tools should count)
  harness-stats FILE.json     `harness trace stats --json` -> "sessions tool_calls tool_errors"
  agent-strace-stats FILE...  the captured stdout of `agent-strace stats` runs -> "sessions tool_calls errors"
  agent-strace-inproc DIR FILE...
                              agent-strace's import + stats as library calls in this one interpreter (agent_trace
                              on PYTHONPATH; its stats output to /dev/null): what is left without process starts;
                              prints "import_seconds stats_seconds" (the interpreter's start not included)

Ids are remapped consistently within a copy (a tool_use id and its tool_result's tool_use_id stay paired, a line's
parentUuid still names its parent) and derived from the copy number, so a run's files are the same every time.
"""

import hashlib
import json
import os
import re
import sys
import time
import uuid

_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Anthropic ids: a prefix and 24 base62 characters (shorter words such as `req_id` in tool output are left alone).
_PREFIXED = re.compile(rb"\b(toolu_|msg_|req_)([A-Za-z0-9]{24})(?![A-Za-z0-9])")
_BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _digest(copy: int, old: bytes) -> bytes:
    return hashlib.sha256(b"%d:" % copy + old).digest()


def copy_transcript(text: bytes, copy: int) -> tuple[bytes, str]:
    def new_uuid(m: re.Match) -> bytes:
        return str(uuid.UUID(bytes=_digest(copy, m.group(0))[:16], version=4)).encode()

    def new_prefixed(m: re.Match) -> bytes:
        d = _digest(copy, m.group(0))
        return m.group(1) + bytes(_BASE62[b % 62] for b in d[:24])

    out = _PREFIXED.sub(new_prefixed, _UUID.sub(new_uuid, text))
    session = json.loads(out.split(b"\n", 1)[0]).get("sessionId")
    if not session:  # the first line of a real transcript may be a summary or snapshot without one
        for line in out.splitlines():
            session = json.loads(line).get("sessionId")
            if session:
                break
    return out, session


def cmd_copies(src: str, out_dir: str, n: str) -> None:
    text = open(src, "rb").read()
    os.makedirs(out_dir, exist_ok=True)
    for i in range(1, int(n) + 1):
        data, session = copy_transcript(text, i)
        with open(os.path.join(out_dir, session + ".jsonl"), "wb") as f:
            f.write(data)
        print(session)


def cmd_tool_uses(*files: str) -> None:
    n = 0
    for path in files:
        for line in open(path, encoding="utf-8"):
            d = json.loads(line)
            content = d.get("message", {}).get("content") if d.get("type") == "assistant" else None
            if isinstance(content, list):
                n += sum(1 for b in content if isinstance(b, dict) and b.get("type") == "tool_use")
    print(n)


def cmd_harness_stats(path: str) -> None:
    s = json.load(open(path))
    print(s["sessions"], s["tool_calls"], s["tool_errors"])


def cmd_agent_strace_stats(*files: str) -> None:
    sessions = tool_calls = errors = 0
    for path in files:
        text = re.sub(r"\x1b\[[0-9;]*m", "", open(path, encoding="utf-8").read())
        for m in re.finditer(r"^\s*Tool calls:\s*(\d+)\s*$", text, re.M):
            sessions += 1
            tool_calls += int(m.group(1))
        errors += sum(int(m.group(1)) for m in re.finditer(r"^\s*Errors:\s*(\d+)\s*$", text, re.M))
    print(sessions, tool_calls, errors)


def cmd_agent_strace_inproc(trace_dir: str, *files: str) -> None:
    import argparse
    import contextlib

    from agent_trace.cli import cmd_stats
    from agent_trace.jsonl_import import import_jsonl
    from agent_trace.store import TraceStore

    store = TraceStore(trace_dir)
    t0 = time.perf_counter()
    ids = [import_jsonl(f, store=store) for f in files]
    t1 = time.perf_counter()
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        for sid in ids:
            cmd_stats(argparse.Namespace(trace_dir=trace_dir, session_id=sid, include_subagents=False))
    print(f"{t1 - t0:.3f} {time.perf_counter() - t1:.3f}")


def main() -> None:
    commands = {
        "copies": cmd_copies,
        "tool-uses": cmd_tool_uses,
        "harness-stats": cmd_harness_stats,
        "agent-strace-stats": cmd_agent_strace_stats,
        "agent-strace-inproc": cmd_agent_strace_inproc,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(commands)} ARGS...")
    commands[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
