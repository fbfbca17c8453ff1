// libFuzzer target of one streaming decoder (FUZZ_FORMAT, set per target in tests/fuzz/CMakeLists.txt): the
// bytes go through StreamCapture (line splitting, redaction, the decoder) into a sink that only counts, as a
// live capture would, and the format sniffer reads the first line. Nothing may crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trace/decoder.h"
#include "trace/import.h"

namespace {

struct CountingSink : trace::SpanSink {
  int64_t n = 0;
  void put_span(const trace::Span&) override { ++n; }
  int64_t put_event(const trace::Event&) override { return ++n; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CountingSink sink;
  trace::DecodeContext ctx;
  ctx.sink = &sink;
  ctx.trace_id = "0123456789abcdef0123456789abcdef";
  ctx.scope = "fuzz";
  ctx.label = "fuzz";
  trace::StreamCapture capture(trace::make_decoder(FUZZ_FORMAT, ctx), "", 0);
  // Two feeds split in the middle: a line cut across reads must decode as one.
  capture.feed(bytes.substr(0, size / 2));
  capture.feed(bytes.substr(size / 2));
  capture.finish();
  (void)trace::sniff_format(bytes.substr(0, bytes.find('\n')), "fuzz.jsonl");
  return 0;
}
