// OTLP/HTTP JSON files: pretty-printed documents spread over many lines, or JSON lines of one request each
// (what the Collector's file exporter writes), or both. Lines are joined until the braces of a document
// balance, in a buffer bounded by max_document_bytes; each complete document goes to OtlpDocumentDecoder
// (otlp_json.h).
#include <fmt/format.h>

#include "trace/decoders.h"
#include "trace/otlp_json.h"
#include "trace/json_parse.h"

namespace trace {
namespace {

constexpr size_t kMaxNesting =
    1000;  // far deeper than OTLP's own structure; keeps the parser's recursion bounded

class OtlpDecoder : public Decoder {
 public:
  OtlpDecoder(DecodeContext ctx, size_t max_document_bytes)
      : Decoder(ctx), documents_(std::move(ctx)), max_bytes_(max_document_bytes) {}

  void feed(std::string_view line, int64_t line_no) override {
    ++stats_.lines;
    if (line.empty()) return;
    if (skipping_) {
      // The rest of a document already reported as too large: wait for the next one to start at column 0.
      if (line.front() != '{' && line.front() != '[') return;
      skipping_ = false;
    }
    size_t segment = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (open_.empty()) {
        if (c == ' ' || c == '\t' || c == '\r' || c == ',') continue;
        if (c != '{' && c != '[') {
          return decode_error(line_no, "expected '{' starting an OTLP JSON document", line.substr(i));
        }
        open_.push_back(c);
        in_string_ = escaped_ = false;
        document_line_ = line_no;
        buf_.clear();
        segment = i;
        continue;
      }
      if (in_string_) {
        if (escaped_)
          escaped_ = false;
        else if (c == '\\')
          escaped_ = true;
        else if (c == '"')
          in_string_ = false;
      } else if (c == '"') {
        in_string_ = true;
      } else if (c == '{' || c == '[') {
        if (open_.size() >= kMaxNesting) {
          decode_error(document_line_,
                       fmt::format("OTLP document nests deeper than {} levels; skipped", kMaxNesting), buf_);
          return abandon();
        }
        open_.push_back(c);
      } else if (c == '}' || c == ']') {
        bool matches = open_.back() == (c == '}' ? '{' : '[');
        open_.pop_back();
        if (open_.empty() || !matches) {  // a mismatched bracket ends the document here: the parser says why
          open_.clear();
          buf_.append(line.substr(segment, i + 1 - segment));
          complete();
          segment = i + 1;
        }
      }
    }
    if (!open_.empty()) {
      buf_.append(line.substr(segment));
      buf_.push_back('\n');
      if (buf_.size() > max_bytes_) {
        decode_error(document_line_,
                     fmt::format("OTLP document exceeds the {}-byte limit; skipped", max_bytes_), buf_);
        abandon();
      }
    }
  }

  void feed_oversize(std::string_view prefix, size_t total_bytes, int64_t line_no) override {
    Decoder::feed_oversize(prefix, total_bytes, line_no);
    if (!open_.empty()) abandon();  // the document it belonged to cannot be whole any more
  }

  void finish() override {
    if (!open_.empty()) {
      decode_error(document_line_,
                   fmt::format("truncated OTLP document: {} bytes without its closing brace", buf_.size()),
                   buf_);
      open_.clear();
      buf_.clear();
    }
    account(documents_.finish(), document_line_);
  }

 private:
  void abandon() {
    open_.clear();
    buf_.clear();
    buf_.shrink_to_fit();
    skipping_ = true;
  }

  void complete() {
    Json doc;
    std::string problem = parse_untrusted_json(buf_, doc);
    if (!problem.empty()) {
      decode_error(document_line_, fmt::format("invalid JSON: {}", problem), buf_);
      buf_.clear();
      return;
    }
    buf_.clear();
    if (buf_.capacity() > (1u << 20)) buf_.shrink_to_fit();  // one huge document must not pin its buffer
    if (doc.is_array()) {                                    // an array of requests
      for (const auto& d : doc) account(documents_.decode(d, document_line_), document_line_);
    } else {
      account(documents_.decode(doc, document_line_), document_line_);
    }
  }

  void account(const OtlpDocumentStats& st, int64_t line_no) {
    stats_.spans += st.spans;
    stats_.events += st.events;
    stats_.sessions += st.sessions;
    stats_.ignored += st.ignored;
    if (st.spans || st.events || st.ignored) ++stats_.decoded;
    for (const auto& p : st.problems) decode_error(line_no, p.reason, p.sample);
  }

  OtlpDocumentDecoder documents_;
  size_t max_bytes_;
  std::string buf_;
  std::string open_;  // the brackets open in the current document, innermost last
  bool in_string_ = false;
  bool escaped_ = false;
  bool skipping_ = false;
  int64_t document_line_ = 0;
};

}  // namespace

std::unique_ptr<Decoder> make_otlp_decoder(DecodeContext ctx, size_t max_document_bytes) {
  return std::make_unique<OtlpDecoder>(std::move(ctx), max_document_bytes);
}

std::unique_ptr<Decoder> make_otlp_decoder(DecodeContext ctx) {
  return make_otlp_decoder(std::move(ctx), kMaxOtlpDocumentBytes);
}

}  // namespace trace
