// The harness's exit codes and the error a user's own mistake raises. The run command and the CLI share them, so
// they live below both (harness/cli/ includes this; the loop never includes the CLI). Docs in README.md.
#pragma once

#include <stdexcept>

namespace harness {

// 0 validated fix found / success, 1 finished without one (or audit violations), 2 config or usage error,
// 3 infrastructure failure, 130 interrupted.
enum ExitCode { kExitOk = 0, kExitNoFix = 1, kExitUsage = 2, kExitInfra = 3, kExitInterrupted = 130 };

// A mistake of the user's (bad flag value, missing file): printed as is, exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace harness
