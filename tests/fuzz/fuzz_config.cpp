// libFuzzer target of the config loader: load_config_text() on any bytes returns a config or errors, never
// throws, crashes or hangs (docs/config.md).
#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  harness::LoadResult r = harness::load_config_text(text, "/nonexistent-fuzz-dir/harness.yaml");
  if (r.config) (void)harness::describe_config(*r.config);
  for (const auto& e : r.errors) (void)e.format();
  return 0;
}
