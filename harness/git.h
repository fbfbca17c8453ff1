// Runs git for the harness (workspaces, patches) and returns failures as values whose message names the
// command, the folder, the exit and git's own words. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace harness {

// Its stdout, verbatim (patches are binary-safe), or what failed: "git worktree add ... (in /repo): exit 128:
// fatal: invalid reference: nope".
using GitResult = base::Result<std::string>;

// `git <args>` in `dir`, with a neutral setup: English messages, no pager, no prompt, no automatic gc, no
// hooks, and the GIT_DIR-style variables of whoever started the harness removed.
GitResult run_git(const std::string& dir, const std::vector<std::string>& args);

}  // namespace harness
