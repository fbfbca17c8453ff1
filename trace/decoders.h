// Factories of the concrete decoders, one file each (decode_<format>.cpp). Internal to trace/: use make_decoder().
#pragma once

#include <memory>

#include "trace/decoder.h"

namespace trace {

std::unique_ptr<Decoder> make_jsonl_decoder(DecodeContext ctx);
std::unique_ptr<Decoder> make_claude_stream_decoder(DecodeContext ctx);
std::unique_ptr<Decoder> make_claude_transcript_decoder(DecodeContext ctx);
std::unique_ptr<Decoder> make_codex_decoder(DecodeContext ctx);
std::unique_ptr<Decoder> make_otlp_decoder(DecodeContext ctx);

}  // namespace trace
