#!/usr/bin/env python3
"""Tests of the doc path check (ctest: deps.check_doc_paths_test): a moved file still named in a doc or a comment
fails with file:line; patterns, prose and strings in code do not."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class CheckDocPathsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.write("telemetry/llm_proxy.h", "#pragma once\n")
        self.write("runners/claude-code.yaml", "x: 1\n")

    def tearDown(self):
        self.dir.cleanup()

    def write(self, path, text):
        full = os.path.join(self.dir.name, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)

    def check(self):
        r = subprocess.run([sys.executable, os.path.join(HERE, "check_doc_paths.py"), "--root", self.dir.name],
                           capture_output=True, text=True)
        return r.returncode, r.stdout

    def test_existing_paths_patterns_and_prose_pass(self):
        self.write("README.md", "Code: `telemetry/llm_proxy.h`, `telemetry/llm_*.h`, presets `runners/*.yaml`,\n"
                                "`runners/<name>.yaml`, `runners/NAME.yaml`, trace/span ids, `telemetry/`.\n")
        self.write("harness/x.cpp", '// see telemetry/llm_proxy.h\nconst char* p = "tests/data/none.txt";\n')
        self.assertEqual(self.check(), (0, "check_doc_paths: every path named exists\n"))

    def test_a_moved_file_still_named_fails(self):
        self.write("docs/telemetry.md", "# Telemetry\n\ncode: `runners/llm_proxy.h`, `runners/otlp_receiver.*`\n")
        self.write("harness/x.cpp", "int x;  // as in runners/llm_proxy.h\n")
        self.write("CMakeLists.txt", "# see harness/old/\n")
        rc, out = self.check()
        self.assertEqual(rc, 1)
        self.assertEqual(out.splitlines()[:-1], ["CMakeLists.txt:1: harness/old/",
                                                 "docs/telemetry.md:3: runners/llm_proxy.h",
                                                 "docs/telemetry.md:3: runners/otlp_receiver.*",
                                                 "harness/x.cpp:1: runners/llm_proxy.h"])


if __name__ == "__main__":
    unittest.main()
