#include "candidates.h"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

namespace demo {
namespace {

struct Function {
  std::string owner;      // the class of an out-of-line member definition
  std::string name;
  std::string signature;  // the whole opening line, with its '\n'
  std::string body;       // up to the closing "}" at column 0
};

std::string stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// Out-of-line member function definitions whose signature fits on one line (the house style of most code bases).
std::vector<Function> member_functions(const std::string& text) {
  static const std::regex opening(R"(^[A-Za-z][^;(]*?\b(\w+)::(\w+)\(.*\)\s*(const\s*)?\{\s*$)");
  std::vector<Function> functions;
  std::istringstream in(text);
  std::string line;
  Function* open = nullptr;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!open && std::regex_match(line, m, opening)) {
      functions.push_back({m[1], m[2], line + "\n", ""});
      open = &functions.back();
    } else if (open) {
      if (line == "}") open = nullptr;
      else open->body += line + "\n";
    }
  }
  return functions;
}

bool takes_a_lock(const std::string& body) {
  return body.find("lock_guard") != std::string::npos || body.find("unique_lock") != std::string::npos ||
         body.find("scoped_lock") != std::string::npos;
}

bool writes_a_member(const std::string& body) {
  static const std::regex assignment(R"(\b\w+_(\[[^\]]*\])?\s*[-+*/|&]?=[^=])");
  static const std::regex mutation(R"(\b\w+_\.(push_back|emplace_back|insert|erase|clear)\()");
  return std::regex_search(body, assignment) || std::regex_search(body, mutation);
}

// Mutex members declared in this file or its header: "std::mutex name;".
std::vector<std::string> mutexes_for(const SourceFile& file, const std::vector<SourceFile>& all) {
  static const std::regex decl(R"(std::mutex\s+(\w+)\s*;)");
  std::vector<std::string> names;
  for (const auto& f : all) {
    if (stem(f.path) != stem(file.path)) continue;
    for (std::sregex_iterator it(f.text.begin(), f.text.end(), decl), end; it != end; ++it) names.push_back((*it)[1]);
  }
  return names;
}

// A member function that writes shared state without taking the lock its class owns.
void unguarded_writers(const SourceFile& file, const std::vector<SourceFile>& all, std::vector<Candidate>& out) {
  auto mutexes = mutexes_for(file, all);
  if (mutexes.empty()) return;
  for (const auto& fn : member_functions(file.text)) {
    if (takes_a_lock(fn.body) || !writes_a_member(fn.body) || count_of(file.text, fn.signature) != 1) continue;
    out.push_back({"lock@" + fn.owner + "::" + fn.name, "lock", file.path,
                   fn.owner + "::" + fn.name + " writes shared state without holding " + mutexes.front() +
                       "; take a std::lock_guard on it",
                   {{fn.signature, fn.signature + "  std::lock_guard<std::mutex> lock(" + mutexes.front() + ");\n"}}});
  }
}

// Integer fields per struct, from every file read: what a de-duplication key could be instead.
std::vector<std::vector<std::string>> id_fields_by_struct(const std::vector<SourceFile>& all) {
  static const std::regex block(R"(struct\s+\w+\s*\{([^}]*)\};)");
  static const std::regex field(R"((?:u?int\d+_t|int|long|unsigned)\s+(\w+)\s*(?:=[^;]*)?;)");
  std::vector<std::vector<std::string>> structs;
  for (const auto& f : all) {
    for (std::sregex_iterator b(f.text.begin(), f.text.end(), block), end; b != end; ++b) {
      std::string body = (*b)[1];
      std::vector<std::string> fields;
      for (std::sregex_iterator it(body.begin(), body.end(), field); it != end; ++it) fields.push_back((*it)[1]);
      structs.push_back(fields);
    }
  }
  return structs;
}

// A set used to remember what was already done, keyed by one id field: the other id fields are alternatives.
void dedup_keys(const SourceFile& file, const std::vector<SourceFile>& all, std::vector<Candidate>& out) {
  static const std::regex set_decl(R"(std::(?:unordered_)?set<[^>]+>\s+(\w+)\s*;)");
  std::set<std::string> sets;
  for (const auto& f : all)
    for (std::sregex_iterator it(f.text.begin(), f.text.end(), set_decl), end; it != end; ++it) sets.insert((*it)[1]);
  for (const auto& set : sets) {
    const std::regex use("\\b" + set + R"(\.(count|contains|insert|find)\((\w+)\.(\w+)\))");
    std::smatch m;
    if (!std::regex_search(file.text, m, use)) continue;
    const std::string var = m[2], key = m[3];
    for (const auto& fields : id_fields_by_struct(all)) {
      if (std::find(fields.begin(), fields.end(), key) == fields.end()) continue;
      for (const auto& alt : fields) {
        bool id_like = alt == "id" || alt.ends_with("_id");
        if (alt == key || !id_like) continue;
        Candidate c{"dedup-key@" + alt, "dedup-key", file.path,
                    set + " remembers " + var + "." + key + "; key it by " + var + "." + alt + " instead", {}};
        for (const char* op : {"count", "contains", "insert", "find"}) {
          std::string from = set + "." + op + "(" + var + "." + key + ")";
          if (file.text.find(from) != std::string::npos)
            c.replacements.push_back({from, set + "." + op + "(" + var + "." + alt + ")"});
        }
        out.push_back(std::move(c));
      }
    }
  }
}

// Tunable integer constants: retry limits (retries re-send work) and timeouts (too short ones cause retries).
void tunables(const SourceFile& file, std::vector<Candidate>& out) {
  static const std::regex constant(R"(constexpr\s+int\s+(k\w+)\s*=\s*(\d+)\s*;)");
  for (std::sregex_iterator it(file.text.begin(), file.text.end(), constant), end; it != end; ++it) {
    const std::string name = (*it)[1], whole = (*it)[0];
    const long value = std::stol((*it)[2]);
    const std::string replaced_prefix = whole.substr(0, whole.find('=') + 1);
    if (name.find("Retr") != std::string::npos && value > 0) {
      out.push_back({"no-retry@" + name, "no-retry", file.path,
                     "retries can apply work twice; set " + name + " to 0 so nothing is sent twice",
                     {{whole, replaced_prefix + " 0;"}}});
    } else if ((name.find("Timeout") != std::string::npos || name.find("Backoff") != std::string::npos) && value > 0) {
      out.push_back({"raise@" + name, "raise", file.path,
                     name + " may be too short, making clients retry too early; raise it tenfold",
                     {{whole, replaced_prefix + " " + std::to_string(value * 10) + ";"}}});
    }
  }
}

void concurrency_smells(const SourceFile& file, std::vector<Candidate>& out) {
  const std::string& t = file.text;
  if (count_of(t, "std::memory_order_relaxed") > 0)
    out.push_back({"seq-cst@" + stem(file.path), "seq-cst", file.path,
                   "relaxed atomics in " + file.path + " may reorder; make them sequentially consistent",
                   {{"std::memory_order_relaxed", "std::memory_order_seq_cst"}}});
  static const std::regex unlock_then_notify(R"(\n[ \t]*(\w+)\.unlock\(\);\n([ \t]*\w+\.notify_\w+\(\);))");
  std::smatch m;
  if (std::regex_search(t, m, unlock_then_notify))
    out.push_back({"notify-under-lock@" + stem(file.path), "notify-under-lock", file.path,
                   "the condition variable is notified after unlocking; a waiter may miss it. Notify under the lock",
                   {{m[0].str(), "\n" + m[2].str()}}});
  for (const auto& fn : member_functions(t)) {
    static const std::regex loop(R"(\n?([ \t]*)while \(auto \w+ = \w+_\.pop\(\)\) \{\n)");
    std::smatch l;
    if (!std::regex_search(fn.body, l, loop) || count_of(t, l[0].str()) != 1) continue;
    std::string head = l[0].str();
    out.push_back({"yield@" + fn.owner + "::" + fn.name, "yield", file.path,
                   "workers spin on the queue; yield between items so threads interleave more gently",
                   {{head, head + l[1].str() + "  std::this_thread::yield();\n"}}});
  }
}

// Lines from the first to the last that differ (common head and tail lines excluded): a cheap diff size.
int changed_span(const std::string& before, const std::string& after) {
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  auto a = lines(before), b = lines(after);
  size_t head = 0, tail = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;
  return static_cast<int>(std::max(a.size(), b.size()) - head - tail);
}

}  // namespace

std::vector<Candidate> discover_candidates(const std::vector<SourceFile>& files) {
  std::vector<Candidate> out;
  for (const auto& file : files) {
    unguarded_writers(file, files, out);
    dedup_keys(file, files, out);
    tunables(file, out);
    concurrency_smells(file, out);
  }
  // The same edit found twice (e.g. through two files naming the same set) is one candidate.
  std::set<std::string> seen;
  std::erase_if(out, [&](const Candidate& c) { return c.replacements.empty() || !seen.insert(c.id).second; });
  for (auto& c : out) {
    auto file = std::find_if(files.begin(), files.end(), [&](const SourceFile& f) { return f.path == c.file; });
    std::string after = file->text;
    c.size = apply_candidate(c, after) ? changed_span(file->text, after) : 0;
  }
  std::erase_if(out, [](const Candidate& c) { return c.size == 0; });
  return out;
}

bool apply_candidate(const Candidate& candidate, std::string& text) {
  std::string result = text;
  for (const auto& [from, to] : candidate.replacements) {
    if (from.empty() || result.find(from) == std::string::npos) return false;
    std::string next;
    size_t at = 0;
    for (size_t hit; (hit = result.find(from, at)) != std::string::npos; at = hit + from.size())
      next += result.substr(at, hit - at) + to;
    result = next + result.substr(at);
  }
  text = std::move(result);
  return true;
}

}  // namespace demo
