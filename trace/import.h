// Getting agent output into a run store: files (`harness import`), a re-derivation from the kept raw copies
// (`harness trace rebuild`), and live streams (an agent's stdout while it runs). Every byte is redacted before it
// is stored; the raw copy is kept verbatim otherwise, so a better decoder can rebuild the spans later.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trace/decoder.h"
#include "trace/line_splitter.h"
#include "trace/redact.h"
#include "trace/store.h"

namespace trace {

struct ImportedFile {
  std::string path;
  Format format = Format::jsonl;
  DecodeStats stats;
  int64_t raw_id = 0;
};

// Thrown for a bad input the user named (missing file, unknown format): a usage error, exit 2.
class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Rows per transaction when a whole file is imported or rebuilt (a live store keeps Store::batch_size): each
// commit rewrites into the WAL every b-tree page it touched, and small batches rewrote the same index pages many
// times over.
constexpr size_t kImportBatchRows = 50'000;

// The run store of a trace directory (DIR/run.db), created with its trace id when missing.
// create=false (the trace tools): the store is read through a memory map of up to kQueryMmapBytes.
constexpr int64_t kQueryMmapBytes = int64_t{2} << 30;
std::unique_ptr<Store> open_trace_dir(const std::string& dir, bool create);
std::string trace_id_of(Store& store);

// Imports each file (format given, or sniffed per file) into DIR. Claude transcripts bring their
// `<session>/subagents/` folder along.
std::vector<ImportedFile> import_files(const std::vector<std::string>& files, std::optional<Format> format,
                                       const std::string& out_dir);
// Deletes the decoded spans and events of DIR and decodes its raw copies again.
std::vector<ImportedFile> rebuild(const std::string& dir);

// Internal steps of import_files(), shared with the transcript companion finder. `label` names the input in
// the trace (an agent id; empty: the file name).
struct Companion {
  std::string path;            // another file to import with this one (a transcript's subagents/*.jsonl)
  std::string parent_span_id;  // the span it hangs under (the tool call that spawned it), empty if unknown
};
std::vector<ImportedFile> import_one_with_companions(Store& store, const std::string& out_dir,
                                                     const std::string& trace_id, const std::string& path,
                                                     Format format, const std::string& parent_span_id,
                                                     const std::string& label = "");
// The subagent transcripts of a Claude Code session file (`<session>/subagents/agent-*.jsonl`), each with the
// span of the Agent/Task tool call that spawned it, looked up in what was just decoded into `store`.
std::vector<Companion> claude_transcript_companions(Store& store, const std::string& session_path,
                                                    const RawInput& session_raw);
// Before a subagent transcript is decoded under `tool_span_id`: deletes the subagent that the session's
// agent_progress lines, or a stream-json capture, mirrored there (a subset of the same messages), so nothing is
// counted twice.
void drop_claude_progress_mirrors(Store& store, const std::string& tool_span_id);

// Live capture of one stream: bytes -> lines -> redacted -> appended to the raw file (up to `raw_limit` bytes,
// then lines are still decoded but no longer kept) -> decoder -> sink. Not thread-safe.
class StreamCapture {
 public:
  StreamCapture(std::unique_ptr<Decoder> decoder, const std::string& raw_path, uint64_t raw_limit);
  ~StreamCapture();
  void feed(std::string_view bytes);
  void finish();
  const DecodeStats& stats() const { return decoder_->stats(); }
  uint64_t bytes_seen() const { return bytes_seen_; }
  bool raw_truncated() const { return raw_truncated_; }

 private:
  void on_line(std::string_view line, int64_t line_no, bool oversize, size_t total);
  std::unique_ptr<Decoder> decoder_;
  LineSplitter splitter_;
  std::FILE* raw_ = nullptr;
  uint64_t raw_limit_;
  uint64_t raw_written_ = 0;
  uint64_t bytes_seen_ = 0;
  bool raw_truncated_ = false;
  std::string scratch_;
  LineRedactor redactor_;
};

}  // namespace trace
