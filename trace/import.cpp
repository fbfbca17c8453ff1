#include "trace/import.h"
#include "trace/search_index.h"
#include "trace/store_internal.h"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "trace/ids.h"
#include "trace/redact.h"
#include "trace/proxy_usage.h"
#include "trace/session_usage.h"

namespace fs = std::filesystem;

namespace trace {
namespace {

constexpr uint64_t kUnlimited = ~0ULL;

// The first non-empty line; when it only opens a pretty-printed document, the next lines too (up to 4 KiB) so that
// sniff_format() sees the document's first key.
std::string sniff_head(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line, head;
  char buf[4096];
  // Read at most 1 MiB looking for a line: a file of one huge line must not be loaded to sniff it.
  size_t budget = 1 << 20;
  while (budget > 0) {
    in.read(buf, sizeof buf);
    if (in.gcount() <= 0) break;
    std::string_view chunk(buf, in.gcount());
    budget -= std::min<size_t>(budget, chunk.size());
    for (char c : chunk) {
      if (c == '\n') {
        if (line.find_first_not_of(" \t\r") != std::string::npos) {
          if (head.empty() && line.find_first_not_of(" \t\r{[") != std::string::npos) return line;
          head += line + "\n";
          if (head.size() > 4096 || line.find('"') != std::string::npos) return head;
        }
        line.clear();
      } else if (line.size() < 65536) {
        line.push_back(c);
      }
    }
  }
  return head + line;
}

ImportedFile decode_into(Store& store, const RawInput& raw, const std::string& source_path, Format format,
                         const std::string& raw_copy_path) {
  RawInputSink sink(store, raw.id);
  DecodeContext ctx;
  ctx.sink = &sink;
  ctx.trace_id = raw.trace_id;
  ctx.parent_span_id = raw.parent_span_id;
  ctx.scope = fmt::format("raw:{}", raw.id);
  ctx.label = raw.label;
  // Lines without a time get the file's modification time: deterministic across `trace rebuild`.
  struct stat st {};
  ctx.clock_fallback_ns = ::stat(source_path.c_str(), &st) == 0
                              ? static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec
                              : 0;
  if (format == Format::claude_transcript && !raw.parent_span_id.empty())
    drop_claude_progress_mirrors(store, raw.parent_span_id);
  StreamCapture capture(make_decoder(format, ctx), raw_copy_path, raw_copy_path.empty() ? 0 : kUnlimited);
  std::ifstream in(source_path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), buf.size()), in.gcount() > 0) capture.feed(std::string_view(buf.data(), in.gcount()));
  capture.finish();
  store.flush();
  if (format == Format::claude_transcript && !raw.parent_span_id.empty()) {
    // A transcript has no end marker; a subagent's ends as the call that spawned it ended (the call's result).
    std::lock_guard lock(internal::mutex(store));
    Statement st(internal::db(store),
                 "UPDATE spans SET status = (SELECT p.status FROM spans p WHERE p.span_id = ?1 AND p.kind = 'tool') "
                 "WHERE raw_id = ?2 AND parent_span_id = ?1 AND kind = 'subagent' AND status = 'unset' AND "
                 "EXISTS (SELECT 1 FROM spans p WHERE p.span_id = ?1 AND p.kind = 'tool' AND p.status != 'unset')");
    st.bind(1, raw.parent_span_id).bind(2, raw.id);
    st.step();
  }
  return {source_path, format, capture.stats(), raw.id};
}

}  // namespace

std::unique_ptr<Store> open_trace_dir(const std::string& dir, bool create) {
  fs::path db = fs::path(dir) / "run.db";
  if (!create && !fs::exists(db)) throw ImportError(fmt::format("{}: no run store here (missing {})", dir, db.string()));
  // SQLite takes an empty file for an empty database and would write a schema into it: a truncated copy of a
  // store (or a file made by `touch`) must be said to be what it is, and left as it is.
  std::error_code ec;
  if (!create && fs::file_size(db, ec) == 0 && !ec)
    throw ImportError(fmt::format("{}: {} is empty (0 bytes), not a run store: a truncated copy?", dir, db.string()));
  if (create) fs::create_directories(dir);
  auto store = Store::open(db.string(), Store::Mode::read_write);
  if (create && !store->meta("trace_id")) store->set_meta("trace_id", random_trace_id());
  // The trace tools read much of a store once (audit reads every file event's row): SQLite reading through a map
  // of the file instead of a pread() into its cache per page took 30% off audit's SQL on 1M events.
  if (!create) store->execute("PRAGMA mmap_size=" + std::to_string(kQueryMmapBytes));
  return store;
}

std::string trace_id_of(Store& store) {
  auto id = store.meta("trace_id");
  return id ? *id : derive_trace_id(store.path());
}

std::vector<ImportedFile> import_files(const std::vector<std::string>& files, std::optional<Format> format,
                                       const std::string& out_dir) {
  // Check every input before touching the output directory: a typo must not leave a half-made store.
  std::vector<std::pair<std::string, Format>> plan;
  for (const auto& f : files) {
    if (!fs::is_regular_file(f)) throw ImportError(fmt::format("{}: no such file", f));
    Format chosen;
    if (format) {
      chosen = *format;
    } else {
      auto sniffed = sniff_format(sniff_head(f), f);
      if (!sniffed)
        throw ImportError(fmt::format(
            "{}: cannot tell its format from its first line; pass --format "
            "jsonl|claude-stream|claude-transcript|codex|otlp",
            f));
      chosen = *sniffed;
    }
    plan.emplace_back(f, chosen);
  }
  auto store = open_trace_dir(out_dir, true);
  store->batch_size = kImportBatchRows;
  fs::create_directories(fs::path(out_dir) / "raw");
  std::string trace_id = trace_id_of(*store);
  std::vector<ImportedFile> out;
  for (const auto& [path, fmt_] : plan) {
    auto more = import_one_with_companions(*store, out_dir, trace_id, path, fmt_, "");
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

std::vector<ImportedFile> import_one_with_companions(Store& store, const std::string& out_dir,
                                                     const std::string& trace_id, const std::string& path,
                                                     Format format, const std::string& parent_span_id,
                                                     const std::string& label) {
  RawInput raw;
  raw.format = std::string(to_string(format));
  raw.trace_id = trace_id;
  raw.parent_span_id = parent_span_id;
  std::string file_name = fs::path(path).filename().string();
  raw.label = label.empty() ? file_name : label;
  raw.path = "pending";
  raw.id = store.add_raw_input(raw);
  raw.path = fmt::format("raw/{:04}-{}", raw.id, file_name);
  {
    Statement st(internal::db(store), "UPDATE raw_inputs SET path=? WHERE id=?");
    st.bind(1, raw.path).bind(2, raw.id);
    st.step();
  }
  std::vector<ImportedFile> out;
  out.push_back(decode_into(store, raw, path, format, (fs::path(out_dir) / raw.path).string()));
  if (format == Format::claude_transcript) {
    for (auto& companion : claude_transcript_companions(store, path, raw)) {
      // Under the label of the session that spawned it (an agent id when picked up in a run).
      auto more = import_one_with_companions(store, out_dir, trace_id, companion.path, Format::claude_transcript,
                                             companion.parent_span_id, raw.label);
      out.insert(out.end(), more.begin(), more.end());
    }
  }
  return out;
}

std::vector<ImportedFile> rebuild(const std::string& dir) {
  auto store = open_trace_dir(dir, false);
  store->batch_size = kImportBatchRows;
  auto raws = store->raw_inputs();
  for (const auto& raw : raws)
    if (!fs::exists(fs::path(dir) / raw.path))
      throw ImportError(fmt::format("{}: raw copy {} is missing; nothing was changed", dir, raw.path));
  store->delete_decoded();
  // The events come back under new ids: the search index would name the wrong ones (the next search rebuilds it).
  drop_search_index(*store);
  std::vector<ImportedFile> out;
  for (const auto& raw : raws) {
    if (is_session_usage_format(raw.format)) {  // laid over the stream decoded before it, as at pickup
      apply_session_usage(*store, raw, (fs::path(dir) / raw.path).string());
      continue;
    }
    auto format = format_from(raw.format);
    if (!format) throw ImportError(fmt::format("{}: raw input {} has unknown format '{}'", dir, raw.id, raw.format));
    // The raw copy is already redacted; decode it in place without writing another copy.
    out.push_back(decode_into(*store, raw, (fs::path(dir) / raw.path).string(), *format, ""));
  }
  // The proxy's spans are not re-derived (no raw input): matched again against the agents' re-derived ones.
  reconcile_all_proxy_usage(*store);
  return out;
}

StreamCapture::StreamCapture(std::unique_ptr<Decoder> decoder, const std::string& raw_path, uint64_t raw_limit)
    : decoder_(std::move(decoder)),
      splitter_([this](std::string_view line, int64_t n, bool oversize, size_t total) {
        on_line(line, n, oversize, total);
      }),
      raw_limit_(raw_limit) {
  if (!raw_path.empty() && raw_limit > 0) {
    raw_ = std::fopen(raw_path.c_str(), "ab");
    if (!raw_) throw StoreError(fmt::format("{}: cannot write raw capture: {}", raw_path, std::strerror(errno)));
  }
}

StreamCapture::~StreamCapture() {
  if (raw_) std::fclose(raw_);
}

void StreamCapture::feed(std::string_view bytes) {
  bytes_seen_ += bytes.size();
  splitter_.feed(bytes);
}

void StreamCapture::finish() {
  splitter_.finish();
  decoder_->finish();
  if (raw_) std::fflush(raw_);
}

void StreamCapture::on_line(std::string_view line, int64_t line_no, bool oversize, size_t total) {
  scratch_.assign(line);
  redactor_.redact_line(scratch_);
  if (raw_) {
    if (oversize) {
      // Keep the raw copy line-aligned and bounded: an over-long line is kept as a marker, not megabytes.
      std::string marker = fmt::format("{{\"harness.oversize_line\":{},\"bytes\":{}}}\n", line_no, total);
      if (raw_written_ + marker.size() <= raw_limit_) {
        std::fwrite(marker.data(), 1, marker.size(), raw_);
        raw_written_ += marker.size();
      }
    } else if (raw_written_ + scratch_.size() + 1 <= raw_limit_) {
      std::fwrite(scratch_.data(), 1, scratch_.size(), raw_);
      std::fputc('\n', raw_);
      raw_written_ += scratch_.size() + 1;
    } else {
      raw_truncated_ = true;
    }
  }
  if (oversize) {
    decoder_->feed_oversize(scratch_, total, line_no);
  } else if (!scratch_.empty()) {
    decoder_->feed_checked(scratch_, line_no);
  }
}

}  // namespace trace
