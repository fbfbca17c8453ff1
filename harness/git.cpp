// run_git: see git.h. Goes through the local launcher, so a git that hangs or leaves children behind is
// contained.
#include "harness/git.h"

#include "runners/captured_command.h"

namespace harness {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string describe_command(const std::string& dir, const std::vector<std::string>& args) {
  std::string text = "git";
  for (const std::string& arg : args) text += " " + arg;
  return text + " (in " + dir + ")";
}

}  // namespace

GitResult run_git(const std::string& dir, const std::vector<std::string>& args) {
  runners::LaunchSpec spec;
  // Background gc/maintenance would outlive the command (and be killed with its tree): never start it. The
  // target's hooks (post-checkout on worktree add, post-index-change on add) are the user's, not ours to run.
  spec.argv = {"git"};
  for (const char* setting :
       {"gc.auto=0", "maintenance.auto=false", "color.ui=false", "core.hooksPath=/dev/null"}) {
    spec.argv.insert(spec.argv.end(), {"-c", setting});
  }
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = dir;
  spec.env = {{"LC_ALL", "C"}, {"GIT_TERMINAL_PROMPT", "0"}, {"GIT_PAGER", "cat"}};
  // Set when the harness itself runs from a git hook or under another tool's git: they would redirect every
  // command.
  spec.unset_env = {"GIT_DIR",        "GIT_WORK_TREE",        "GIT_INDEX_FILE",
                    "GIT_PREFIX",     "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                    "GIT_COMMON_DIR", "GIT_NAMESPACE",        "GIT_CEILING_DIRECTORIES"};
  try {
    runners::CapturedOutput output = runners::run_captured(spec);
    if (output.status.ok()) return std::move(output.out);
    std::string message = trimmed(output.err);
    return base::fail(describe_command(dir, args) + ": " + output.status.describe() +
                      (message.empty() ? "" : ": " + message));
  } catch (const runners::LaunchError& e) {
    return base::fail(describe_command(dir, args) + ": " + e.what());
  }
}

}  // namespace harness
