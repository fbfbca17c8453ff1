// Redaction of secrets before anything is stored: API keys and tokens (sk-..., sk-ant-..., ghp_..., AKIA...),
// JSON Web Tokens (eyJ...), PEM private key blocks (-----BEGIN ... PRIVATE KEY----- to its END line),
// Bearer/Authorization values, and values of variables named *_KEY, *_TOKEN, *SECRET*, *PASSWORD* become
// [REDACTED:kind]. A hand-written scanner (no regex): it runs over every byte an agent prints. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace trace {

// Rewrites `text` in place; returns the number of secrets replaced.
size_t redact_in_place(std::string& text);
// Convenience copy.
std::string redacted(std::string_view text);
// Redaction of a stream line by line: a PEM private key printed raw spans lines, and the one-line redactor sees its
// BEGIN line alone (blanking to the line's end), so the lines up to its END line are blanked here. One per stream.
class LineRedactor {
 public:
  // Rewrites one line (with or without its '\n') in place; returns the number of secrets replaced.
  size_t redact_line(std::string& line);

 private:
  bool in_private_key_ = false;
};

// True when an environment variable of that name holds a secret by our naming rule (used for env snapshots).
bool is_secret_name(std::string_view name);

}  // namespace trace
