// PLACEHOLDER until the real decoder lands: every line is recorded as a decode error, never dropped silently.
#include "trace/decoders.h"

namespace trace {
namespace {
class Pending : public Decoder {
 public:
  using Decoder::Decoder;
  void feed(std::string_view line, int64_t line_no) override {
    ++stats_.lines;
    decode_error(line_no, "decoder not implemented yet", line);
  }
  void finish() override {}
};
}  // namespace
std::unique_ptr<Decoder> make_codex_decoder(DecodeContext ctx) { return std::make_unique<Pending>(std::move(ctx)); }
}  // namespace trace
