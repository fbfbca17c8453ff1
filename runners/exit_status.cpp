// ExitStatus::describe: how an exit reads in logs, reports and the store.
#include <cstring>

#include "runners/launcher.h"

namespace runners {

std::string ExitStatus::describe() const {
  if (signal != 0) {
    const char* name = ::sigdescr_np(signal);
    return "signal " + std::to_string(signal) + " (" + (name != nullptr ? name : "unknown signal") + ")";
  }
  if (exit_code >= 0) return "exit " + std::to_string(exit_code);
  return "unknown exit";
}

}  // namespace runners
