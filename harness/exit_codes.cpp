// Exceptions that end a command, as exit codes and messages (exit_codes.h).
#include "harness/exit_codes.h"

#include "trace/import.h"
#include "trace/store.h"

namespace harness {

int exit_code_for(const std::exception& e) {
  if (const auto* fatal = dynamic_cast<const FatalError*>(&e)) return fatal->code();
  if (dynamic_cast<const trace::ImportError*>(&e)) return kExitUsage;
  return kExitInfra;
}

std::string fatal_message(const std::exception& e) {
  if (dynamic_cast<const FatalError*>(&e) || dynamic_cast<const trace::ImportError*>(&e)) return e.what();
  if (dynamic_cast<const trace::StoreError*>(&e)) return std::string("store error: ") + e.what();
  return std::string("error: ") + e.what();
}

}  // namespace harness
