#!/usr/bin/env python3
"""Paths named in the docs and in comments still exist (ctest: deps.doc_paths): after a file moves, README.md,
ARCHITECTURE.md, docs/, scripts, CMake files and code comments must not point at its old place.

A path is a word starting with one of the repository's top folders (trace/, runners/, telemetry/, harness/, tests/,
docs/, ...), in a Markdown file or a template, or in a comment of code, a script or a CMake file (strings in code
are data: test repositories have tests/ and docs/ of their own). It names a file (a dot in its last part: it must
exist, or match when it has a *) or a folder (a final /). Skipped: other words ("trace/span ids", target names),
<placeholders>, {placeholders} and NAME, lists of folders (observer/strategies/), and tests/<file> (a target
repository's, in examples).
Usage: check_doc_paths.py [--root DIR]. Exit 0 clean, 1 with one `file:line: path` a missing path.
"""
import argparse
import glob
import os
import re
import sys

TOPS = ("trace", "runners", "telemetry", "observer", "strategies", "templates", "harness", "examples", "tests",
        "bench", "docs", "scripts")
PATH = re.compile(r"(?<![\w./$-])((?:%s)/[A-Za-z0-9_.*/-]*)" % "|".join(TOPS))
SCANNED = (".md", ".cpp", ".h", ".sh", ".py", ".txt", ".mustache")
COMMENT = {".cpp": "//", ".h": "//", ".sh": "#", ".py": "#", ".txt": "#"}  # Markdown, templates: every line
SKIPPED_DIRS = {".git", "data", "node_modules", "__pycache__"}


def files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not (rel == "." and
                                                                                   d.startswith("build")))
        if rel.startswith("examples") and "/project" in "/" + rel or rel == os.path.join("tests", "deps"):
            continue  # the example's buggy target project has paths of its own; the checks' fake trees
        for name in sorted(filenames):
            if name.endswith(SCANNED) or name == "CMakeLists.txt":
                yield os.path.relpath(os.path.join(dirpath, name), root)


def exists(root, path):
    if "*" in path:
        return bool(glob.glob(os.path.join(root, path)))
    return os.path.exists(os.path.join(root, path)) or bool(glob.glob(os.path.join(root, path) + ".*"))


def skipped(path):
    parts = [p for p in path.split("/") if p]
    if all(p in TOPS or p.split(".")[0].isupper() for p in parts):
        return True  # observer/strategies/templates, runners/NAME.yaml
    if not path.endswith("/") and "." not in parts[-1] and "*" not in parts[-1]:
        return True  # no file and no folder/: prose ("trace/span ids"), or a target name checked by exists()
    return parts[0] == "tests" and len(parts) == 2 and "." in parts[1]  # tests/test_queue.py of a target repo


def check(root):
    problems = []
    for rel in files(root):
        marker = COMMENT.get(os.path.splitext(rel)[1], None)
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                if marker is not None:
                    if marker not in line:
                        continue
                    line = line[line.index(marker):]
                for m in PATH.finditer(line):
                    path = m.group(1).rstrip(".-")
                    if line[m.end():m.end() + 1] in ("<", "{"):
                        continue  # runners/<name>.yaml, gen-{:03}: a pattern, not a path
                    if not skipped(path) and not exists(root, path):
                        problems.append(f"{rel}:{number}: {path}")
    return problems


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    root = os.path.abspath(parser.parse_args(argv).root)
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"check_doc_paths: {len(problems)} path(s) named that do not exist")
        return 1
    print("check_doc_paths: every path named exists")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
