#include "observer/observation_set.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "observer/fingerprint.h"

namespace observer {

std::vector<std::string> ObservationSet::add(int generation, const std::vector<Observation>& found) {
  auto& added = generations_[generation];
  std::vector<std::string> new_ids;
  for (const Observation& f : found) {
    Observation o = f;
    o.first_gen = o.last_gen = generation;
    if (o.fingerprint.empty()) o.fingerprint = fingerprint(o.kind, o.text);
    if (o.evidence.size() > kMaxEvidence) o.evidence.resize(kMaxEvidence);
    auto it = by_fingerprint_.find(o.fingerprint);
    if (it != by_fingerprint_.end()) {
      absorb(items_[it->second], o);
      continue;
    }
    o.id = fmt::format("O-{:04}", items_.size() + 1);
    by_fingerprint_.emplace(o.fingerprint, items_.size());
    added.push_back(o.id);
    new_ids.push_back(o.id);
    items_.push_back(std::move(o));
  }
  return new_ids;
}

const Observation* ObservationSet::find(const std::string& id) const {
  for (const auto& o : items_)
    if (o.id == id) return &o;
  return nullptr;
}

const Observation* ObservationSet::find_fingerprint(const std::string& fp) const {
  auto it = by_fingerprint_.find(fp);
  return it == by_fingerprint_.end() ? nullptr : &items_[it->second];
}

std::vector<std::string> ObservationSet::added_in(int generation) const {
  auto it = generations_.find(generation);
  return it == generations_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<int> ObservationSet::generations() const {
  std::vector<int> out;
  for (const auto& [g, ids] : generations_) out.push_back(g);
  return out;
}

std::vector<Observation> ObservationSet::ranked() const {
  std::vector<size_t> order(items_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  // Index order is first appearance, so it breaks the remaining ties like the ids do (O-0009 < O-0010).
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Observation& x = items_[a];
    const Observation& y = items_[b];
    if (x.priority != y.priority) return static_cast<int>(x.priority) < static_cast<int>(y.priority);
    if (x.count != y.count) return x.count > y.count;
    return x.last_gen > y.last_gen;
  });
  std::vector<Observation> out;
  out.reserve(order.size());
  for (size_t i : order) out.push_back(items_[i]);
  return out;
}

std::vector<Observation> ObservationSet::select_for_prompt(size_t budget_chars) const {
  std::vector<Observation> chosen;
  size_t used = 0;
  for (auto& o : ranked()) {
    size_t size = render_line(o).size() + 1;
    if (used + size > budget_chars) continue;
    used += size;
    chosen.push_back(std::move(o));
  }
  return chosen;
}

std::string render_line(const Observation& o) {
  // Generation 0 holds what a run started with (`harness run --from`): found by earlier runs.
  std::string gens = o.first_gen == 0 && o.last_gen == 0 ? std::string("inherited")
                     : o.first_gen == 0                  ? fmt::format("inherited, gens 1–{}", o.last_gen)
                     : o.first_gen == o.last_gen         ? fmt::format("gen {}", o.first_gen)
                                                         : fmt::format("gens {}–{}", o.first_gen, o.last_gen);
  std::string line = fmt::format("- [{}] {} (seen {}×, {}) {}", to_string(o.priority), o.id, o.count, gens, o.text);
  if (!o.evidence.empty()) {
    line += " — evidence ";
    for (size_t i = 0; i < o.evidence.size() && i < 3; ++i) line += (i ? ", " : "") + o.evidence[i].label();
  }
  return line;
}

std::string render_lines(const std::vector<Observation>& observations) {
  std::string out;
  for (const auto& o : observations) out += render_line(o) + "\n";
  return out;
}

std::string ObservationSet::render_markdown() const {
  std::vector<Observation> all = ranked();
  size_t counts[3] = {0, 0, 0};
  for (const auto& o : all) ++counts[static_cast<int>(o.priority)];
  std::string md = "# Observations\n\n";
  const size_t observed = generations_.size() - generations_.count(0);
  md += fmt::format("{} observations after {} generation{}: {} important, {} possible, {} informational.\n",
                    all.size(), observed, observed == 1 ? "" : "s", counts[0], counts[1], counts[2]);
  for (Priority p : {Priority::important, Priority::possible, Priority::informational}) {
    std::string name(to_string(p));
    name[0] = static_cast<char>(name[0] - 'a' + 'A');
    md += "\n## " + name + "\n\n";
    if (!counts[static_cast<int>(p)]) md += "_None._\n";
    for (const auto& o : all)
      if (o.priority == p) md += render_line(o) + "\n";
  }
  md += "\n## What each generation added\n\n";
  if (generations_.empty()) md += "_No generation observed yet._\n";
  for (const auto& [g, ids] : generations_) {
    if (g == 0) {
      md += fmt::format("- Inherited from earlier runs: {} — {}\n", ids.size(), fmt::join(ids, ", "));
      continue;
    }
    if (ids.empty()) {
      md += fmt::format("- Generation {}: nothing new\n", g);
      continue;
    }
    md += fmt::format("- Generation {}: {} new — {}\n", g, ids.size(), fmt::join(ids, ", "));
  }
  return md;
}

}  // namespace observer
