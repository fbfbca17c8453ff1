#!/usr/bin/env python3
"""Benchmark (issue 15): the built-in example run with a dashboard client connected all the way vs without, same
seed, in one run. Alternates without/with (ROUNDS each, default 2) so that a loaded machine slows both sides; prints
each run's wall time and the harness process's CPU time (its dashboard server runs in it), and the ratios
with/without. The client is what an open page does: the event stream, read to the end, plus the agent view of the
first agent each time a state arrives.

Usage: bench/dashboard_overhead.py [HARNESS_BIN] [ROUNDS] [SEED]
"""
import json, os, re, resource, shutil, subprocess, sys, tempfile, threading, time, urllib.request

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
harness = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build-example/harness/harness")
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
seed = sys.argv[3] if len(sys.argv) > 3 else "3"
config = os.path.join(root, "examples/ledger/harness.yaml")


def client(url, stop, counts):
    base, token = url.split("/?token=")
    try:
        with urllib.request.urlopen(f"{base}/api/events?run=.&token={token}", timeout=600) as stream:
            tail = b""
            while not stop.is_set():
                chunk = stream.read1(1 << 16)  # what has arrived: a state is one long line, often several reads
                if not chunk:
                    return
                data = tail + chunk
                new_states = data.count(b"event: state")
                tail = data[-16:]
                new_states -= tail.count(b"event: state")  # counted again with the next read
                counts["states"] += max(0, new_states)
                if new_states > 0:
                    try:
                        urllib.request.urlopen(f"{base}/api/agent?run=.&agent=g01-a01&token={token}", timeout=60).read()
                    except OSError as e:
                        counts["agent_errors"] = counts.get("agent_errors", 0) + 1
    except Exception as e:  # the run's process ends: its server goes with it
        counts["end"] = type(e).__name__


def one_run(work, serve):
    run_dir = os.path.join(work, f"run-{'with' if serve else 'without'}-{time.time_ns()}")
    argv = [harness, "run", config, "--run-dir", run_dir, "--seed", seed, "--quiet"] + (["--serve"] if serve else [])
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    counts, stop, thread = {"states": 0}, threading.Event(), None
    if serve:
        for line in proc.stderr:
            m = re.search(r"http://127\.0\.0\.1:\d+/\?token=[0-9a-f]+", line)
            if m:
                thread = threading.Thread(target=client, args=(m.group(0), stop, counts), daemon=True)
                thread.start()
                break
    proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    stop.set()
    rc = os.waitstatus_to_exitcode(status)
    if rc not in (0, 1):
        sys.exit(f"the run exited {rc}")
    return wall, usage.ru_utime + usage.ru_stime, counts["states"]


def main():
    if not os.access(harness, os.X_OK):
        sys.exit(f"no harness binary at {harness} (./scripts/example.sh builds it)")
    work = tempfile.mkdtemp(prefix="bench-dashboard-")
    try:
        rows = {False: [], True: []}
        for _ in range(rounds):
            for serve in (False, True):
                wall, cpu, states = one_run(work, serve)
                rows[serve].append((wall, cpu))
                print(f"{'with a dashboard client' if serve else 'without dashboard    '}: wall {wall:6.2f} s   "
                      f"cpu (harness, agents, verify) {cpu:5.2f} s" + (f"   states pushed {states}" if serve else ""), flush=True)
        mean = lambda xs: sum(xs) / len(xs)
        w0, w1 = mean([r[0] for r in rows[False]]), mean([r[0] for r in rows[True]])
        c0, c1 = mean([r[1] for r in rows[False]]), mean([r[1] for r in rows[True]])
        print(f"mean wall: without {w0:.2f} s, with {w1:.2f} s, ratio {w1 / w0:.3f}")
        print(f"mean cpu (harness, agents, verify): without {c0:.2f} s, with {c1:.2f} s, ratio {c1 / c0:.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()
