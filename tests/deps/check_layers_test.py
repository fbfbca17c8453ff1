#!/usr/bin/env python3
"""Tests of the dependency check (ctest: deps.check_layers_test): a tiny fake tree with one header per library
and CMakeLists.txt files that follow the graph passes; each kind of violation, added to it, fails with the
file:line and the include named."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_layers  # noqa: E402


class FakeTree:
    def __init__(self, root):
        self.root = root
        for folder, (target, deps) in check_layers.LAYERS.items():
            links = " ".join(check_layers.LAYERS[d][0] for d in deps)
            self.write(f"{folder}/CMakeLists.txt", f"# {folder}\nharness_layer({target} {links} fmt::fmt)\n")
            name = folder.replace("/", "_")
            self.write(f"{folder}/{name}.h", f"// {folder}: a header.\n#pragma once\n")
            # Each library includes every library it links directly: allowed.
            body = "".join(f'#include "{d}/{d.replace("/", "_")}.h"\n' for d in deps)
            self.write(f"{folder}/{name}.cpp", f'#include "{folder}/{name}.h"\n#include <vector>\n{body}')

    def write(self, path, text):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)

    def check(self):
        r = subprocess.run([sys.executable, os.path.join(HERE, "check_layers.py"), "--root", self.root],
                           capture_output=True, text=True)
        return r.returncode, r.stdout


class CheckLayersTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.tree = FakeTree(self.dir.name)

    def tearDown(self):
        self.dir.cleanup()

    def assertFails(self, *expected):
        rc, out = self.tree.check()
        self.assertEqual(rc, 1, out)
        for text in expected:
            self.assertIn(text, out)

    def test_a_tree_that_follows_the_graph_passes(self):
        rc, out = self.tree.check()
        self.assertEqual(rc, 0, out)
        # Transitive use is allowed: the loop links the config library, which links telemetry, which links trace.
        self.tree.write("harness/uses_trace.cpp", '#include "trace/trace.h"\n')
        self.assertEqual(self.tree.check()[0], 0)

    def test_a_lower_layer_including_a_higher_one_fails(self):
        self.tree.write("trace/store.cpp", '#include "trace/trace.h"\n\n#include "observer/observer.h"\n')
        self.assertFails('trace/store.cpp:3: #include "observer/observer.h": trace/ may not include observer/')

    def test_libraries_of_one_floor_do_not_include_each_other(self):
        self.tree.write("runners/launch.cpp", '#include "telemetry/telemetry.h"\n')
        self.assertFails('runners/launch.cpp:1: #include "telemetry/telemetry.h": runners/ may not include telemetry/')

    def test_the_loop_does_not_include_the_cli(self):
        self.tree.write("harness/run_command.cpp", '#include "harness/cli/harness_cli.h"\n')
        self.assertFails('harness/run_command.cpp:1: #include "harness/cli/harness_cli.h": harness/ may not '
                         'include harness/cli/')

    def test_another_librarys_internal_header_fails(self):
        self.tree.write("trace/rules_internal.h", "#pragma once\n")
        self.tree.write("trace/decoders.h", "// Factories. Internal to trace/: use make_decoder().\n#pragma once\n")
        self.tree.write("trace/internal/rows.h", "#pragma once\n")
        self.tree.write("trace/own.cpp", '#include "trace/rules_internal.h"\n#include "trace/decoders.h"\n')
        self.assertEqual(self.tree.check()[0], 0)  # its own library may
        self.tree.write("observer/x.cpp", '#include "trace/rules_internal.h"\n#include "trace/decoders.h"\n'
                                          '#include "trace/internal/rows.h"\n#include "trace/trace.h"\n')
        rc, out = self.tree.check()
        self.assertEqual(rc, 1)
        self.assertEqual(out.count("internal to trace/"), 3, out)
        self.assertIn('observer/x.cpp:1: #include "trace/rules_internal.h": internal to trace/', out)
        self.assertIn('observer/x.cpp:2: #include "trace/decoders.h": internal to trace/', out)
        self.assertIn('observer/x.cpp:3: #include "trace/internal/rows.h": internal to trace/', out)

    def test_cmake_linking_against_the_graph_fails(self):
        self.tree.write("observer/CMakeLists.txt", "harness_layer(observer trace harness_core)\n")
        self.assertFails("observer/CMakeLists.txt: observer links harness_core, trace, the graph")
        os.remove(os.path.join(self.dir.name, "strategies/CMakeLists.txt"))
        self.assertFails("strategies/CMakeLists.txt: missing")

    def test_a_cpp_outside_any_library_and_a_relative_include_fail(self):
        self.tree.write("harness/extra/thing.cpp", '#include "thing.h"\n')
        self.tree.write("harness/extra/thing.h", "#pragma once\n")
        self.assertFails("harness/extra/thing.cpp: in harness/extra/, which is no library",
                         'harness/extra/thing.cpp:1: #include "thing.h": not a path from the source root')

    def test_a_test_including_a_layer_its_binary_does_not_link_fails(self):
        self.tree.write("tests/trace/helper.h", "#pragma once\n")
        self.tree.write("tests/trace/store_test.cpp", '#include "helper.h"\n#include "trace/trace.h"\n'
                                                      '#include "tests/harness/fixture.h"\n')
        self.tree.write("tests/harness/fixture.h", "#pragma once\n")
        self.assertEqual(self.tree.check()[0], 0)  # helpers of other test folders are test code, not layers
        self.tree.write("tests/trace/cli_test.cpp", '#include "trace/trace.h"\n#include "harness/harness.h"\n')
        self.assertFails('tests/trace/cli_test.cpp:2: #include "harness/harness.h": the tests of trace/ (they link '
                         'trace) may not include harness/')


if __name__ == "__main__":
    unittest.main()
