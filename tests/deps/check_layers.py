#!/usr/bin/env python3
"""The dependency check of the house (ctest: deps.layers). Fails, naming file:line and the include, when

  1. a file of one library includes a header of a library it may not use (a lower layer including a higher one,
     or two libraries of the same floor including each other): the graph is LAYERS below;
  2. a file includes another library's internal header: a header named *_internal.h, one under an internal/
     folder, or one whose opening comment says "Internal to <folder>/";
  3. a library's CMakeLists.txt links other libraries of ours than LAYERS says (the two must describe one graph);
  4. a .cpp sits in a folder that is no library (the per-folder glob would never compile it), or a quoted
     include is not a path from the source root;
  5. a test under tests/<folder>/ includes a product header its binary does not link (it links only its own
     library, and through it the layers below). Test helpers may include each other; only product headers count.

Usage: check_layers.py [--root DIR]. Exit 0 clean, 1 violations (one a line), 2 usage error.
"""
import argparse
import os
import re
import sys

# folder -> (CMake target, the libraries of ours it links directly). What a library may include is the
# transitive closure: harness_core links harness_config, which links telemetry, so the loop may include trace/.
# This is the one place the graph is written down; ARCHITECTURE.md draws it.
LAYERS = {
    "base": ("harness_base", []),  # header-only vocabulary (Result<T>) below every layer
    "trace": ("trace", ["base"]),
    "runners": ("runners", ["base"]),
    "telemetry": ("telemetry", ["trace"]),
    "observer": ("observer", ["trace", "runners"]),
    "strategies": ("strategies", ["base"]),
    "harness/state": ("harness_state", ["trace"]),
    "harness/config": ("harness_config", ["telemetry"]),
    "harness/report": ("harness_report", ["harness/config", "harness/state"]),
    "harness/advisor": ("harness_advisor", ["observer"]),
    "harness": ("harness_core", ["harness/config", "harness/report", "harness/state", "harness/advisor", "runners", "telemetry",
                                 "observer", "strategies"]),
    "harness/dashboard": ("harness_dashboard", ["harness"]),
    "harness/cli": ("harness_cli", ["harness", "harness/dashboard"]),
}

SOURCE_EXTENSIONS = (".h", ".hpp", ".cpp", ".cc")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
INTERNAL_NOTE = re.compile(r"\bInternal to [A-Za-z0-9_/]+/")
LAYER_CALL = re.compile(r"harness_layer\(([^)]*)\)", re.S)


def closure(folder):
    seen, todo = set(), list(LAYERS[folder][1])
    while todo:
        f = todo.pop()
        if f not in seen:
            seen.add(f)
            todo.extend(LAYERS[f][1])
    return seen


def layer_of(path):
    """The library folder a repository path belongs to (the longest matching folder), or None."""
    d = os.path.dirname(path)
    while d:
        if d in LAYERS:
            return d
        d = os.path.dirname(d)
    return None


def is_internal(root, header):
    name = os.path.basename(header)
    if name.endswith("_internal.h") or "internal" in header.split("/")[:-1]:
        return True
    try:
        with open(os.path.join(root, header), encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                if not line.startswith("//"):
                    break
                if INTERNAL_NOTE.search(line):
                    return True
    except OSError:
        pass
    return False


def source_files(root, top):
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(SOURCE_EXTENSIONS):
                yield os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")


def includes(root, path):
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                yield number, m.group(1)


def may_use(folder):
    return sorted(closure(folder)) or ["nothing of ours"]


def check_include(root, path, folder, number, inc, problems, tests=False):
    """Rules 1, 2 (and 4 for product files) for one quoted include of `path`, a file counted as library `folder`."""
    exists = os.path.exists(os.path.join(root, inc))
    target = layer_of(inc) if exists else None
    if target is None:
        if tests:
            return  # a test helper
        problems.append(f'{path}:{number}: #include "{inc}": ' +
                        ("not a header of a library" if exists else "not a path from the source root"))
        return
    if target == folder:
        return
    if target not in closure(folder):
        who = f"the tests of {folder}/ (they link {LAYERS[folder][0]})" if tests else f"{folder}/"
        problems.append(f'{path}:{number}: #include "{inc}": {who} may not include {target}/ '
                        f'({folder}/ uses: {", ".join(may_use(folder))})')
    elif is_internal(root, inc):
        problems.append(f'{path}:{number}: #include "{inc}": internal to {target}/, only its own files may include it')


def check_product(root, problems):
    for top in sorted({f.split("/")[0] for f in LAYERS}):
        for path in source_files(root, top):
            folder = layer_of(path)
            if path.endswith((".cpp", ".cc")) and os.path.dirname(path) not in LAYERS:
                problems.append(f"{path}: in {os.path.dirname(path)}/, which is no library: it is never compiled "
                                f"(add the folder to LAYERS and give it a CMakeLists.txt)")
            for number, inc in includes(root, path):
                check_include(root, path, folder, number, inc, problems)


def check_tests(root, problems):
    if not os.path.isdir(os.path.join(root, "tests")):
        return
    for path in source_files(root, "tests"):
        folder = layer_of(path[len("tests/"):])
        if folder is None:
            continue  # tests/support, tests/deps: not tests of a library
        for number, inc in includes(root, path):
            check_include(root, path, folder, number, inc, problems, tests=True)


def check_cmake(root, problems):
    targets = {target: folder for folder, (target, _) in LAYERS.items()}
    for folder, (target, deps) in sorted(LAYERS.items()):
        cmake = f"{folder}/CMakeLists.txt"
        try:
            with open(os.path.join(root, cmake), encoding="utf-8") as f:
                text = re.sub(r"#[^\n]*", "", f.read())
        except OSError:
            problems.append(f"{cmake}: missing: {folder}/ is a library of the graph ({target})")
            continue
        calls = [c.split() for c in LAYER_CALL.findall(text)]
        calls = [c for c in calls if c and c[0] == target]
        if not calls:
            problems.append(f"{cmake}: no harness_layer({target} ...): the graph says {folder}/ is {target}")
            continue
        linked = {targets[a] for a in calls[0][1:] if a in targets}
        reach = set(linked)
        for f in linked:
            reach |= closure(f)
        if reach != closure(folder):
            problems.append(f"{cmake}: {target} links {', '.join(sorted(LAYERS[f][0] for f in linked)) or 'nothing of ours'}"
                            f", the graph in tests/deps/check_layers.py says "
                            f"{', '.join(sorted(LAYERS[f][0] for f in deps)) or 'nothing of ours'}")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    problems = []
    check_cmake(root, problems)
    check_product(root, problems)
    check_tests(root, problems)
    for p in problems:
        print(p)
    if problems:
        print(f"check_layers: {len(problems)} violation(s) of the layer graph (tests/deps/check_layers.py)")
        return 1
    print(f"check_layers: {len(LAYERS)} libraries, no include against the graph")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
