// The harness's exit codes and its one fatal exception. The run command and the CLI share them, so they live
// below both (harness/cli/ includes this; the loop never includes the CLI). Expected failures are values
// (base/result.h); what ends a command is a FatalError, caught once, in run_cli (harness/cli/cli.cpp), which
// also maps the lower layers' errors to these codes. Docs in README.md.
#pragma once

#include <stdexcept>
#include <string>

namespace harness {

// 0 validated fix found / success, 1 finished without one (or audit violations), 2 config or usage error,
// 3 infrastructure failure, 130 interrupted.
enum ExitCode { kExitOk = 0, kExitNoFix = 1, kExitUsage = 2, kExitInfra = 3, kExitInterrupted = 130 };

// What ends a command: the message printed (as is, after "harness: ") and the exit code.
class FatalError : public std::runtime_error {
 public:
  FatalError(ExitCode code, const std::string& what) : std::runtime_error(what), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// A mistake of the user's (bad flag value, missing file): exit 2.
class UsageError : public FatalError {
 public:
  explicit UsageError(const std::string& what) : FatalError(kExitUsage, what) {}
};

// The one mapping of an exception that ends a command to its exit code and the line printed after "harness: ":
// a FatalError says its own; an unreadable import is the user's input (2); a store that cannot be read or
// written (disk full, an I/O error) is the machine's, and anything else an infrastructure failure (3, both
// resumable). run_cli uses it; the loop's tests assert through it what a user would see.
int exit_code_for(const std::exception& e);
std::string fatal_message(const std::exception& e);

}  // namespace harness
