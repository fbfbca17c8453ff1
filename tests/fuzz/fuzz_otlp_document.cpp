// libFuzzer target of what the OTLP receiver does with a body (telemetry/otlp_receiver.cpp, without the
// HTTP): redact, parse, decode the document under an agent span, settle. Nothing may crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string>

#include "trace/otlp_json.h"
#include "trace/redact.h"

namespace {

struct CountingSink : trace::SpanSink {
  int64_t n = 0;
  void put_span(const trace::Span&) override { ++n; }
  int64_t put_event(const trace::Event&) override { return ++n; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  trace::redact_in_place(body);
  trace::Json doc = trace::Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return 0;
  CountingSink sink;
  trace::DecodeContext ctx;
  ctx.sink = &sink;
  ctx.trace_id = "0123456789abcdef0123456789abcdef";
  ctx.parent_span_id = "0123456789abcdef";
  ctx.scope = "fuzz";
  ctx.live_clock = true;
  trace::OtlpDocumentDecoder decoder(ctx);
  try {
    decoder.decode(doc, 1);
    decoder.finish();
  } catch (const trace::Json::exception&) {
    // The receiver answers these (as 500 today: a known bug the corpus records); not what this target hunts.
  }
  return 0;
}
