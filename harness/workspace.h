// An agent's isolated copy of the target: a detached git worktree at the base ref (a plain copy for a target
// that is not a git repository). The patch is captured as a diff that includes new files. Not thread-safe per
// workspace; different workspaces may be used from different threads.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/result.h"

namespace harness {

// A workspace operation failed (git or the file system): fatal for the agent that needed it. The message names the
// command or path and the cause. create() answers with a Result instead: a workspace that cannot be made is an
// expected failure of one attempt (recorded as launch_failed), not an exception through the loop.
class WorkspaceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Workspace {
 public:
  virtual ~Workspace() = default;
  virtual const std::string& path() const = 0;
  // `git diff` of everything the agent changed against the base, new files included.
  virtual std::string capture_patch() = 0;
  // Files the agent changed, added or deleted (relative paths).
  virtual std::vector<std::string> changed_files() = 0;
  // Restores these paths (files or folders, relative) to their base content; removes files the agent added there.
  virtual void restore_paths(const std::vector<std::string>& paths) = 0;
  // Removes the worktree (and its git metadata); idempotent.
  virtual void remove() = 0;
};

class WorkspaceFactory {
 public:
  virtual ~WorkspaceFactory() = default;
  // A fresh workspace named `name` (e.g. g01-a02) under the workspace root, or why it could not be made.
  virtual base::Result<std::unique_ptr<Workspace>> create(const std::string& name) = 0;
  // Removes every workspace under the root (kept ones included) and stale git metadata.
  virtual void prune() = 0;
  // Removes the workspace named `name` if one is there (e.g. left by an attempt the harness died under);
  // idempotent, and never touches a folder that is not one of ours.
  virtual void discard(const std::string& name) = 0;
};

// repo: the target; base_ref: commit-ish; root: where workspaces go.
std::unique_ptr<WorkspaceFactory> make_workspace_factory(const std::string& repo, const std::string& base_ref,
                                                         const std::string& root);

}  // namespace harness
