#include "trace/session_usage.h"
#include "trace/store_internal.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "trace/line_splitter.h"
#include "trace/redact.h"

namespace fs = std::filesystem;

namespace trace {
namespace {

// The file as the raw copy keeps every input: line by line, secrets redacted before anything is written.
void copy_redacted(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) throw StoreError(fmt::format("{}: cannot read: {}", from, std::strerror(errno)));
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!out) throw StoreError(fmt::format("{}: cannot write: {}", to, std::strerror(errno)));
  std::string scratch;
  LineSplitter lines([&](std::string_view line, int64_t, bool oversize, size_t) {
    if (oversize) return;  // a line cut short is not JSON: dropped, as the decoders would not read it either
    scratch.assign(line);
    redact_in_place(scratch);
    out << scratch << '\n';
  });
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), buf.size()), in.gcount() > 0) lines.feed(std::string_view(buf.data(), in.gcount()));
  lines.finish();
  out.flush();
  if (!out) throw StoreError(fmt::format("{}: cannot write: {}", to, std::strerror(errno)));
}

}  // namespace

bool is_session_usage_format(const std::string& format) {
  return format == kClaudeUsageFormat || format == kCodexRolloutFormat;
}

SessionUsageResult import_session_usage(Store& store, const std::string& out_dir, const std::string& trace_id,
                                        const std::string& path, const std::string& format,
                                        const std::string& session_span_id) {
  // Checked before anything is recorded: a raw input whose copy is missing would stop every later rebuild.
  if (!std::ifstream(path, std::ios::binary))
    throw StoreError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  RawInput raw;
  raw.format = format;
  raw.trace_id = trace_id;
  raw.parent_span_id = session_span_id;
  raw.label = fs::path(path).filename().string();
  raw.path = "pending";
  raw.id = store.add_raw_input(raw);
  raw.path = fmt::format("raw/{:04}-{}", raw.id, raw.label);
  {
    std::lock_guard lock(internal::mutex(store));
    Statement st(internal::db(store), "UPDATE raw_inputs SET path=? WHERE id=?");
    st.bind(1, raw.path).bind(2, raw.id);
    st.step();
  }
  std::string copy = (fs::path(out_dir) / raw.path).string();
  fs::create_directories(fs::path(copy).parent_path());
  try {
    copy_redacted(path, copy);
  } catch (...) {
    std::lock_guard lock(internal::mutex(store));
    Statement st(internal::db(store), "DELETE FROM raw_inputs WHERE id=?");
    st.bind(1, raw.id);
    st.step();
    std::error_code ec;
    fs::remove(copy, ec);
    throw;
  }
  return apply_session_usage(store, raw, copy);
}

SessionUsageResult apply_session_usage(Store& store, const RawInput& raw, const std::string& path) {
  SessionUsageResult r = raw.format == kClaudeUsageFormat ? apply_claude_transcript_usage(store, raw, path)
                                                          : apply_codex_rollout_usage(store, raw, path);
  r.raw_id = raw.id;
  return r;
}

}  // namespace trace
