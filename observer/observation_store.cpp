// ObservationSet <-> run.db, and the atomic write of observations.md.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "observer/observation_set.h"

namespace observer {
namespace {

// A later version adds statements here (CREATE ... IF NOT EXISTS, so an older file upgrades in place) and raises
// kObserverSchemaVersion; ensure_schema refuses a file written by a newer harness. Version 2 added observed_agents.
const char* kObserverDdl = R"sql(
CREATE TABLE IF NOT EXISTS observations(
  id TEXT PRIMARY KEY, ord INTEGER NOT NULL, fingerprint TEXT NOT NULL UNIQUE, priority TEXT NOT NULL,
  kind TEXT NOT NULL, text TEXT NOT NULL, agents TEXT NOT NULL, first_gen INTEGER NOT NULL,
  last_gen INTEGER NOT NULL, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS observation_evidence(
  observation_id TEXT NOT NULL, ord INTEGER NOT NULL, agent TEXT NOT NULL, span_id TEXT NOT NULL,
  event_id INTEGER NOT NULL, PRIMARY KEY(observation_id, ord));
CREATE TABLE IF NOT EXISTS observation_generations(generation INTEGER PRIMARY KEY, added TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS convergence(
  generation INTEGER PRIMARY KEY, agents INTEGER NOT NULL, validated_fixes INTEGER NOT NULL,
  partial_fixes INTEGER NOT NULL, new_observations INTEGER NOT NULL, new_important INTEGER NOT NULL,
  total_observations INTEGER NOT NULL, tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, wall_ms INTEGER NOT NULL,
  kills INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS observed_agents(
  agent_span_id TEXT PRIMARY KEY, agent TEXT NOT NULL, generation INTEGER NOT NULL, observed_ns INTEGER NOT NULL,
  new_ids TEXT NOT NULL, matched TEXT NOT NULL);
)sql";

}  // namespace

void ensure_observer_schema(trace::Store& store) { store.ensure_schema("observer", kObserverSchemaVersion, kObserverDdl); }

void ObservationSet::save(trace::Store& store) const {
  ensure_observer_schema(store);
  store.transaction([&] {
    store.execute("DELETE FROM observation_evidence");
    store.execute("DELETE FROM observations");
    store.execute("DELETE FROM observation_generations");
    for (size_t i = 0; i < items_.size(); ++i) {
      const Observation& o = items_[i];
      store.execute("INSERT INTO observations(id, ord, fingerprint, priority, kind, text, agents, first_gen, "
                    "last_gen, count) VALUES(?,?,?,?,?,?,?,?,?,?)",
                    {o.id, static_cast<int64_t>(i), o.fingerprint, std::string(to_string(o.priority)),
                     std::string(to_string(o.kind)), o.text, nlohmann::json(o.agents).dump(),
                     static_cast<int64_t>(o.first_gen), static_cast<int64_t>(o.last_gen), o.count});
      for (size_t k = 0; k < o.evidence.size(); ++k)
        store.execute("INSERT INTO observation_evidence(observation_id, ord, agent, span_id, event_id) "
                      "VALUES(?,?,?,?,?)",
                      {o.id, static_cast<int64_t>(k), o.evidence[k].agent, o.evidence[k].span_id,
                       o.evidence[k].event_id});
    }
    for (const auto& [g, ids] : generations_)
      store.execute("INSERT INTO observation_generations(generation, added) VALUES(?,?)",
                    {static_cast<int64_t>(g), nlohmann::json(ids).dump()});
  });
}

ObservationSet ObservationSet::load(trace::Store& store) {
  ensure_observer_schema(store);
  ObservationSet set;
  store.query("SELECT id, fingerprint, priority, kind, text, agents, first_gen, last_gen, count "
              "FROM observations ORDER BY ord",
              {}, [&](const trace::Row& obs) {
                Observation o;
                o.id = obs.text(0);
                o.fingerprint = obs.text(1);
                o.priority = priority_from(obs.text(2)).value_or(Priority::informational);
                o.kind = kind_from(obs.text(3)).value_or(Kind::llm);
                o.text = obs.text(4);
                auto agents = nlohmann::json::parse(obs.text(5), nullptr, false);
                if (agents.is_array())
                  for (const auto& a : agents)
                    if (a.is_string()) o.agents.push_back(a.get<std::string>());
                o.first_gen = static_cast<int>(obs.int64(6));
                o.last_gen = static_cast<int>(obs.int64(7));
                o.count = obs.int64(8);
                set.by_fingerprint_.emplace(o.fingerprint, set.items_.size());
                set.items_.push_back(std::move(o));
              });
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < set.items_.size(); ++i) by_id[set.items_[i].id] = i;
  store.query("SELECT observation_id, agent, span_id, event_id FROM observation_evidence ORDER BY observation_id, ord",
              {}, [&](const trace::Row& ev) {
                auto it = by_id.find(ev.text(0));
                if (it != by_id.end()) set.items_[it->second].evidence.push_back({ev.text(1), ev.text(2), ev.int64(3)});
              });
  store.query("SELECT generation, added FROM observation_generations ORDER BY generation", {},
              [&](const trace::Row& gen) {
                auto& ids = set.generations_[static_cast<int>(gen.int64(0))];
                auto added = nlohmann::json::parse(gen.text(1), nullptr, false);
                if (added.is_array())
                  for (const auto& a : added)
                    if (a.is_string()) ids.push_back(a.get<std::string>());
              });
  return set;
}

std::string write_file_atomically(const std::string& path, const std::string& content) {
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("{}: cannot create: {}", tmp, std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string err = fmt::format("{}: write failed: {}", tmp, std::strerror(errno));
      ::close(fd);
      ::unlink(tmp.c_str());
      return err;
    }
    done += static_cast<size_t>(n);
  }
  // fsync before rename: after a crash the file is either the old or the new content, never a torn one.
  bool synced = ::fsync(fd) == 0;
  int sync_errno = errno;
  bool closed = ::close(fd) == 0;
  if (!synced || !closed) {
    std::string err = fmt::format("{}: cannot flush: {}", tmp, std::strerror(synced ? errno : sync_errno));
    ::unlink(tmp.c_str());
    return err;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = fmt::format("{}: cannot replace: {}", path, std::strerror(errno));
    ::unlink(tmp.c_str());
    return err;
  }
  return "";
}

}  // namespace observer
