// The malformed-input corpus of the config loader (issue 18): the example configs and the starter config
// mutated byte by byte (tests/support/corpus/mutations.h), every key given each wrong type, and YAML's own
// traps (duplicate keys, anchors, tags, deep nesting, tabs, a BOM), each loaded from text in a forked child
// (tests/support/corpus/corpus_runner.h). Every case must end in a config or in errors that each say
// file:line:col and what is wrong; the loader never throws. Cases of bugs being fixed in the loader now are
// tagged (known_bug) and run only with HARNESS_CORPUS_KNOWN_BUGS=1.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config_test_util.h"
#include "harness/config/config.h"
#include "tests/support/corpus/mutations.h"

namespace harness {
namespace {

using corpus::OrderedJson;

// YAML -> JSON, scalars typed as YAML reads them (bool, integer, float, else string).
OrderedJson to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    OrderedJson o = OrderedJson::object();
    for (const auto& kv : n) o[kv.first.as<std::string>()] = to_json(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    OrderedJson a = OrderedJson::array();
    for (const auto& e : n) a.push_back(to_json(e));
    return a;
  }
  if (n.IsNull()) return nullptr;
  std::string s = n.as<std::string>();
  if (n.Tag() != "!") {  // unquoted: YAML types it
    if (s == "true" || s == "false") return s == "true";
    int64_t i;
    if (YAML::convert<int64_t>::decode(n, i)) return i;
    double d;
    if (YAML::convert<double>::decode(n, d)) return d;
  }
  return s;
}

// JSON -> block YAML: maps and sequences in block style, strings double-quoted (JSON escapes are YAML's).
void emit(const OrderedJson& j, int indent, std::string& out) {
  std::string pad(indent, ' ');
  auto scalar = [](const OrderedJson& v) {
    if (v.is_object()) return std::string("{}");
    if (v.is_array()) return std::string("[]");
    return corpus::dump(v);
  };
  auto nested = [](const OrderedJson& v) { return (v.is_object() || v.is_array()) && !v.empty(); };
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      out += pad + corpus::dump(OrderedJson(it.key())) + ":";
      if (nested(it.value())) {
        out += "\n";
        emit(it.value(), indent + 2, out);
      } else {
        out += " " + scalar(it.value()) + "\n";
      }
    }
  } else if (j.is_array()) {
    for (const auto& e : j) {
      if (nested(e)) {
        out += pad + "-\n";
        emit(e, indent + 2, out);
      } else {
        out += pad + "- " + scalar(e) + "\n";
      }
    }
  } else {
    out += pad + scalar(j) + "\n";
  }
}
std::string to_yaml(const OrderedJson& j) {
  std::string out;
  emit(j, 0, out);
  return out;
}

// Every key of the config given each wrong type, missing, duplicated (tests/support/corpus/mutations.h).
void add_key_cases(std::vector<corpus::Case>& out, const std::string& label, const std::string& yaml) {
  OrderedJson doc = to_json(YAML::Load(yaml));
  out.push_back({label + ": as emitted", to_yaml(doc), ""});
  for (auto& m : corpus::json_mutations(corpus::dump(doc), 120)) {
    // Duplicate keys stay in flow (JSON) form: the block emitter cannot hold two equal keys.
    bool flow = m.name.rfind("duplicate", 0) == 0 || m.name.rfind("number", 0) == 0 ||
                m.name.rfind("escapes", 0) == 0;
    out.push_back({label + ": " + m.name, flow ? m.text : to_yaml(OrderedJson::parse(m.text)), ""});
  }
}

// Nine anchors, each nine aliases of the one before, under a free-form value the loader converts (9^9
// leaves).
std::string alias_bomb(int levels) {
  std::string s =
      "name: bomb\nverify:\n  command: make\nstrategies:\n  list:\n    - name: x\n      params:\n";
  s += "        a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n";
  for (int i = 1; i <= levels; ++i) {
    s += "        a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) s += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
    s += "]\n";
  }
  return s;
}

// YAML's own traps, on a valid config `base`.
void add_yaml_cases(std::vector<corpus::Case>& out, const std::string& base) {
  auto add = [&](std::string name, std::string text, std::string known = "") {
    out.push_back({"yaml: " + name, std::move(text), std::move(known)});
  };
  add("duplicate top-level key", base + "name: again\n");
  add("duplicate nested key", base + "verify:\n  command: true\n  command: false\n");
  add("anchor and alias", "x: &cmd make test\n" + base + "observer:\n  command: *cmd\n");
  add("merge key", "defaults: &d {repeat: 2}\n" + base + "stop:\n  <<: *d\n");
  add("unknown alias", base + "seed: *nowhere\n");
  add("tags", base + "seed: !!str 7\ngenerations: !!float 2\npopulation: !custom 3\n");
  add("binary tag", base + "name: !!binary aGVsbG8=\n");
  add("complex key", base + "? [a, b]\n: c\n");
  add("map as key", base + "{a: 1}: x\n");
  add("tab indentation", base + "stop:\n\tafter_fixes: 1\n");
  add("bom", "\xef\xbb\xbf" + base);
  add("null document", "~\n");
  add("scalar document", "just words\n");
  add("sequence document", "- a\n- b\n");
  add("document end marker", base + "...\n");
  add("directive", "%YAML 1.2\n---\n" + base);
  add("bad escape", base + "name: \"\\q \\x\"\n");
  add("nul escape", base + "name: \"a\\0b\"\n");
  add("surrogate escapes", base + "name: \"\\ud800\\udfff\"\n");
  add("control characters", base + std::string("name: a\x01\x02\x7f") + "\n");
  add("deep flow nesting 100k", base + "x: " + corpus::deep_arrays(corpus::kDeep, true) + "\n");
  add("deep flow nesting open", base + "x: " + corpus::deep_arrays(corpus::kDeep, false) + "\n");
  {
    std::string deep = base + "x:\n";
    for (int i = 0; i < 2000; ++i) deep += std::string(2 + 2 * i, ' ') + "k:\n";
    add("deep block nesting 2k", deep);
  }
  add("huge key", base + std::string(100000, 'k') + ": 1\n");
  add("many keys", [&] {
    std::string s = base;
    for (int i = 0; i < 20000; ++i) s += "unknown_" + std::to_string(i) + ": " + std::to_string(i) + "\n";
    return s;
  }());
  add("numbers at the edges", base +
                                  "generations: 99999999999999999999\npopulation: -9223372036854775809\n"
                                  "concurrency: 0x7fffffffffffffff\nseed: -1\n");
  add("nan and inf", base + "stop:\n  wall_clock: .nan\n  no_progress_generations: .inf\n");
  add("durations odd", base + "runner:\n  wall_timeout: 5x\n  idle_timeout: -5m\n");
  // Issue 18's configs that validated wrongly; each is refused now (ConfigErrors.HostileAndMistakenConfigsAreRefused).
  add("alias bomb", alias_bomb(9));
  add("second document", base + "---\nname: second\n");
  add("verify.timeout overflow", base + "verify:\n  command: make\n  timeout: 1e300\n");
  add("empty verify.command", base + "verify:\n  command: \"\"\n");
  add("over-long name", base + "name: " + std::string(100000, 'n') + "\n");
  add("huge config", base + "bug_notes: \"" + std::string(64u << 20, 'h') + "\"\n");
}

corpus::MakeCheck load_check() {
  return []() -> corpus::Check {
    auto dir = std::make_shared<testing::TempDir>();
    return [dir](const corpus::Case& c) -> corpus::Verdict {
      std::string path = dir->file("harness.yaml");
      try {
        LoadResult r = load_config_text(c.bytes, path);
        if (r.config && r.errors.empty()) {
          describe_config(*r.config);
          // A known bug's case accepted: the bug is still there (refused: fixed, counted as an error).
          if (!c.known_bug.empty()) return {corpus::Outcome::known, "accepted"};
          return corpus::ok();
        }
        if (r.errors.empty()) return corpus::failure("no config and no error");
        for (const auto& e : r.errors) {
          std::string f = e.format();
          if (e.message.empty() || f.rfind(path, 0) != 0)
            return corpus::failure("an error without place or text: " + f);
        }
        return corpus::error();
      } catch (const std::exception& e) {
        return corpus::failure(std::string("load_config_text threw: ") + e.what());
      }
    };
  };
}

TEST(ConfigCorpus, MalformedConfigsEndInAConfigOrClearErrors) {
  std::string ledger = testing::read_file(std::string(HARNESS_SOURCE_DIR) + "/examples/ledger/harness.yaml");
  std::string cascade =
      testing::read_file(std::string(HARNESS_SOURCE_DIR) + "/examples/cascade/harness.yaml");
  std::string starter = starter_config();
  ASSERT_FALSE(ledger.empty());
  ASSERT_FALSE(cascade.empty());
  std::vector<corpus::Case> cases;
  corpus::add_byte_mutations(cases, "ledger", ledger, true, 1, true);
  corpus::add_byte_mutations(cases, "cascade", cascade, true, 2, false);
  corpus::add_byte_mutations(cases, "starter", starter, true, 3, false);
  add_key_cases(cases, "ledger", ledger);
  add_key_cases(cases, "cascade", cascade);
  add_yaml_cases(cases, "name: corpus\ntarget:\n  repo: .\nverify:\n  command: make test\n");
  auto t = corpus::run_cases("config", cases, load_check());
  corpus::print(t);
  EXPECT_TRUE(t.clean()) << t.summary();
}

}  // namespace
}  // namespace harness
