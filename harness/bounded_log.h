// A log file that an untrusted process fills (an agent's stderr, a verify run's output). Secrets are redacted line
// by line before a byte is written (trace/redact.h), and the file is bounded: the first `head_bytes` are written as
// they come, the last `tail_bytes` are held in memory and written at close() after a line saying how many bytes
// between were cut. Opened on the first write, appending, so a log nothing reached leaves no file (and one a
// launcher writes itself, Slurm's, is left alone). A crash of the harness loses only the held tail.
// Single-threaded.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "trace/redact.h"

namespace harness {

class BoundedLog {
 public:
  // `limit_key` names the config key of the bound, for the note in the file.
  BoundedLog(std::string path, uint64_t head_bytes, uint64_t tail_bytes, std::string limit_key);
  ~BoundedLog();
  BoundedLog(const BoundedLog&) = delete;
  BoundedLog& operator=(const BoundedLog&) = delete;

  void write(std::string_view bytes);
  // Writes the unfinished last line and the held tail; later writes reopen the file, within the same bounds.
  void close();
  uint64_t bytes_seen() const { return seen_; }
  uint64_t bytes_cut() const { return cut_; }

 private:
  // A line longer than this is redacted and passed on in pieces (a secret split at the cut may escape: agents do
  // not print 64 KiB lines of credentials).
  static constexpr size_t kMaxLine = 64u << 10;

  void emit(std::string line);
  void append_to_file(std::string_view text);

  std::string path_;
  uint64_t head_, tail_;
  std::string limit_key_;
  std::FILE* file_ = nullptr;
  std::string partial_;  // the current unfinished line
  std::string tail_buf_;  // once the head is full: the latest bytes, trimmed to tail_ when twice that
  bool head_full_ = false;
  trace::LineRedactor redactor_;  // knows when a PEM private key spans lines
  uint64_t head_written_ = 0, seen_ = 0, cut_ = 0;
};

}  // namespace harness
