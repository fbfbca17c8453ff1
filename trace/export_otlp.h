// Export of a run store as OTLP/HTTP JSON (ExportTraceServiceRequest documents): hex ids, unixNano strings,
// AnyValue attributes with the GenAI names plus `openinference.span.kind` (LLM, TOOL, AGENT, CHAIN), events
// as span events, in batches. To a stream (one request per line, as the OpenTelemetry Collector's file
// exporter writes them), or POSTed to `<endpoint>/v1/traces` with retries. Reads the store only; one export
// at a time per Store.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "trace/store.h"

namespace trace {

struct OtlpExportOptions {
  size_t batch_size = 512;       // spans per request
  int max_attempts = 5;          // POST: tries per batch before giving up
  int initial_backoff_ms = 500;  // wait before the 2nd try; doubled before each further one
  int timeout_seconds = 30;      // connect and read timeout of one POST
};

struct OtlpExportResult {
  int64_t spans = 0;
  int64_t events = 0;
  int64_t batches = 0;
  int64_t retries = 0;         // POSTs repeated after a 5xx, 429 or connection failure
  int64_t rejected_spans = 0;  // what the receiver reported in partialSuccess
  std::string error;           // empty on success; else what failed, after the last attempt
  bool ok() const { return error.empty(); }
};

// The OTLP JSON of one span with its events. Attributes the exporter derives (openinference.span.kind,
// harness.span.kind, usage, a default gen_ai.operation.name) are added; `service.name` and `otel.span.kind`
// move to the resource and the span kind, where OTLP keeps them.
Json otlp_span_json(const Span& span, const std::vector<Event>& events);
// The request document for spans that share nothing but a batch: grouped into one resourceSpans per
// service.name.
Json otlp_request_json(const std::vector<Span>& spans, const std::vector<std::vector<Event>>& events);
// Calls `emit` with each request document (at most batch_size spans each), spans in store order (start time).
OtlpExportResult for_each_otlp_batch(Store& store, size_t batch_size,
                                     const std::function<bool(const Json&)>& emit);

// Writes every batch to `out`, one JSON document per line.
OtlpExportResult export_otlp_json(Store& store, std::ostream& out, const OtlpExportOptions& options = {});
// POSTs every batch to `endpoint` (http[s]://host[:port][/base]; "/v1/traces" is appended unless present).
// Stops at the first batch that still fails after max_attempts; result.error says why.
OtlpExportResult export_otlp_http(Store& store, const std::string& endpoint,
                                  const OtlpExportOptions& options = {});

}  // namespace trace
