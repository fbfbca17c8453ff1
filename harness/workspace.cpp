// Workspaces: a detached git worktree of the target at the base commit; for a target that is in no git
// repository, a copy in which a throwaway repository commits the copied files at creation. Chosen over `git
// diff --no-index` against the original so that both kinds share one code path for patches (new files,
// deletions, binaries), changed files and restores, and the agent sees a clean `git status`. Different
// workspaces may be used from different threads; adding, removing and pruning worktrees of one repository are
// serialized.
#include "harness/workspace.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "harness/git.h"

namespace harness {
namespace {

namespace fs = std::filesystem;

// Written into a copy's throwaway .git: prune() removes only folders it finds this in (or worktrees of the
// target).
constexpr const char* kCopyMark = "harness-workspace";

struct Target {
  fs::path repo;  // as given, absolute
  fs::path root;  // where workspaces go, absolute
  bool is_git = false;
  fs::path toplevel;    // git: the repository's top level
  fs::path prefix;      // git: repo relative to toplevel (empty at the top level)
  fs::path common_dir;  // git: where worktree metadata lives (<common_dir>/worktrees/<id>)
  std::string base;     // git: the resolved base commit
  std::mutex admin;
};

std::string must(const GitResult& result) {
  if (!result.ok()) throw WorkspaceError(result.error());
  return *result;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string in_quotes(const std::string& text) { return "'" + text + "'"; }
std::string in_quotes(const fs::path& path) { return in_quotes(path.string()); }

void remove_tree(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) throw WorkspaceError("cannot remove " + in_quotes(path) + ": " + ec.message());
}

bool is_within(const fs::path& path, const fs::path& folder) {
  std::error_code ec;
  fs::path a = fs::weakly_canonical(path, ec);
  fs::path b = fs::weakly_canonical(folder, ec);
  auto [end_b, end_a] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return end_b == b.end();
}

// Copies `from` into `to` (which must not exist), symlinks as symlinks, leaving out `skip` (the workspace
// root, should it lie inside the target) and anything that is neither file, folder nor symlink.
void copy_tree(const fs::path& from, const fs::path& to, const fs::path& skip) {
  const fs::path source_root = fs::canonical(from);
  const fs::path skipped = fs::weakly_canonical(skip);
  fs::create_directory(to);
  // Recursion does not follow symlinks, so every entry's path is lexically under source_root.
  for (auto it = fs::recursive_directory_iterator(source_root); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path& source = it->path();
    fs::file_status status = it->symlink_status();
    if (fs::is_directory(status) && source == skipped) {
      it.disable_recursion_pending();
      continue;
    }
    fs::path destination = to / source.lexically_relative(source_root);
    if (fs::is_symlink(status)) {
      fs::copy_symlink(source, destination);
    } else if (fs::is_directory(status)) {
      fs::create_directory(destination, source);
    } else if (fs::is_regular_file(status)) {
      fs::copy_file(source, destination);
    }
  }
}

class GitWorkspace final : public Workspace {
 public:
  // top: the worktree (or copy) folder; base: the commit patches are taken against.
  GitWorkspace(std::shared_ptr<Target> target, fs::path top, std::string base, bool is_worktree)
      : target_(std::move(target)),
        top_(std::move(top)),
        path_((is_worktree ? top_ / target_->prefix : top_).lexically_normal().string()),
        base_(std::move(base)),
        is_worktree_(is_worktree) {
    if (!path_.empty() && path_.back() == '/') path_.pop_back();
  }

  const std::string& path() const override { return path_; }

  // Paths in the patch are relative to the repository's top level (git's convention; the same as path()
  // unless the target is a subfolder of its repository).
  std::string capture_patch() override {
    stage_everything();
    return must(run_git(top_.string(), {"diff", "--cached", "--binary", "--no-renames", "--no-ext-diff",
                                        "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/", base_}));
  }

  std::vector<std::string> changed_files() override {
    stage_everything();
    std::string names =
        must(run_git(top_.string(), {"diff", "--cached", "--name-only", "-z", "--no-renames", base_}));
    std::vector<std::string> files;
    for (size_t start = 0; start < names.size();) {
      size_t end = names.find('\0', start);
      if (end == std::string::npos) end = names.size();
      if (end > start) files.push_back(names.substr(start, end - start));
      start = end + 1;
    }
    return files;
  }

  // Paths relative to path(). A path absent from the base is deleted outright (an agent-made file, ignored or
  // not); otherwise git restores the base content, drops files staged there since, and cleans untracked ones.
  // Files that .gitignore hides and that the agent added inside a restored folder stay.
  void restore_paths(const std::vector<std::string>& paths) override {
    std::vector<std::string> in_base;
    for (const std::string& raw : paths) {
      fs::path relative = fs::path(raw).lexically_normal();
      if (raw.empty() || relative.is_absolute() || *relative.begin() == "..") {
        throw WorkspaceError("cannot restore " + in_quotes(raw) +
                             ": not a relative path inside the workspace");
      }
      std::string spec = relative.string();
      if (spec.size() > 1 && spec.back() == '/') spec.pop_back();
      if (run_git(path_, {"cat-file", "-e", base_ + ":./" + spec}).ok()) {
        in_base.push_back(spec);
      } else {
        remove_tree(fs::path(path_) / spec);
      }
    }
    if (in_base.empty()) return;
    std::vector<std::string> restore = {"--literal-pathspecs", "restore", "--source=" + base_, "--staged",
                                        "--worktree",          "--"};
    restore.insert(restore.end(), in_base.begin(), in_base.end());
    must(run_git(path_, restore));
    std::vector<std::string> clean = {"--literal-pathspecs", "clean", "-f", "-d", "-q", "--"};
    clean.insert(clean.end(), in_base.begin(), in_base.end());
    must(run_git(path_, clean));
  }

  void remove() override {
    if (removed_) return;
    std::lock_guard<std::mutex> lock(target_->admin);
    if (is_worktree_) {
      // Failure is fine here (already gone, or unregistered): the folder is removed and the metadata pruned
      // below.
      (void)run_git(target_->toplevel.string(), {"worktree", "remove", "--force", "--force", top_.string()});
    }
    remove_tree(top_);
    if (is_worktree_) must(run_git(target_->toplevel.string(), {"worktree", "prune"}));
    removed_ = true;
  }

 private:
  // The worktree is ours: staging everything makes new files part of the diff against the base.
  void stage_everything() { must(run_git(top_.string(), {"add", "-A"})); }

  std::shared_ptr<Target> target_;
  fs::path top_;
  std::string path_;
  std::string base_;
  bool is_worktree_;
  bool removed_ = false;
};

class GitWorkspaceFactory final : public WorkspaceFactory {
 public:
  explicit GitWorkspaceFactory(std::shared_ptr<Target> target) : target_(std::move(target)) {}

  base::Result<std::unique_ptr<Workspace>> create(const std::string& name) override {
    try {
      return make(name);
    } catch (const WorkspaceError& e) {  // git and file-system steps below throw; the seam answers a value
      return base::fail(e.what());
    }
  }

  std::unique_ptr<Workspace> make(const std::string& name) {
    fs::path dir = folder_of(name);
    std::error_code ec;
    if (fs::exists(fs::symlink_status(dir, ec))) {
      throw WorkspaceError("workspace '" + name + "' already exists at " + in_quotes(dir) +
                           " (left by an interrupted run? prune() removes it)");
    }
    fs::create_directories(target_->root, ec);
    if (ec)
      throw WorkspaceError("cannot create workspace root " + in_quotes(target_->root) + ": " + ec.message());
    if (target_->is_git) {
      std::lock_guard<std::mutex> lock(target_->admin);
      must(run_git(target_->toplevel.string(), {"worktree", "add", "--detach", dir.string(), target_->base}));
      return std::make_unique<GitWorkspace>(target_, dir, target_->base, true);
    }
    try {
      return create_copy(dir);
    } catch (...) {
      fs::remove_all(dir, ec);  // a half-made copy must not look like a workspace
      throw;
    }
  }

  // Removes every workspace under the root: worktrees of the target registered there, worktree folders whose
  // registration is gone, and copies carrying our mark; then drops stale worktree metadata. Kept workspaces
  // of an earlier run under the same root go too.
  void prune() override {
    std::lock_guard<std::mutex> lock(target_->admin);
    const std::string top = target_->toplevel.string();
    if (target_->is_git) {
      must(run_git(top, {"worktree", "prune"}));
      std::string listing = must(run_git(top, {"worktree", "list", "--porcelain", "-z"}));
      for (size_t start = 0; start < listing.size();) {
        size_t end = listing.find('\0', start);
        if (end == std::string::npos) end = listing.size();
        std::string field = listing.substr(start, end - start);
        start = end + 1;
        if (field.rfind("worktree ", 0) != 0) continue;
        fs::path worktree = field.substr(9);
        // Never the main worktree, nor one holding the target or the root itself, whatever the root is set
        // to.
        if (!is_within(worktree, target_->root) || is_within(target_->toplevel, worktree) ||
            is_within(target_->root, worktree)) {
          continue;
        }
        (void)run_git(top, {"worktree", "remove", "--force", "--force", worktree.string()});  // as in remove()
        remove_tree(worktree);
      }
    }
    std::error_code ec;
    if (fs::is_directory(target_->root, ec)) {
      for (const auto& entry : fs::directory_iterator(target_->root, ec)) {
        if (entry.is_directory() && (is_our_copy(entry.path()) || is_orphaned_worktree(entry.path()))) {
          remove_tree(entry.path());
        }
      }
    }
    if (target_->is_git) must(run_git(top, {"worktree", "prune"}));
  }

  void discard(const std::string& name) override {
    fs::path dir = folder_of(name);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(dir, ec))) return;
    std::lock_guard<std::mutex> lock(target_->admin);
    const std::string top = target_->toplevel.string();
    // Fails harmlessly when the folder is not a registered worktree of the target.
    if (target_->is_git) (void)run_git(top, {"worktree", "remove", "--force", "--force", dir.string()});
    if (fs::exists(fs::symlink_status(dir, ec)) && (is_our_copy(dir) || is_orphaned_worktree(dir))) remove_tree(dir);
    if (target_->is_git) must(run_git(top, {"worktree", "prune"}));
  }

 private:
  fs::path folder_of(const std::string& name) const {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos || name[0] == '-') {
      throw WorkspaceError("workspace name '" + name + "' is not a plain folder name");
    }
    return target_->root / name;
  }

  std::unique_ptr<Workspace> create_copy(const fs::path& dir) {
    try {
      copy_tree(target_->repo, dir, target_->root);
    } catch (const fs::filesystem_error& e) {
      throw WorkspaceError("cannot copy " + in_quotes(target_->repo) + " to " + in_quotes(dir) + ": " +
                           e.what());
    }
    if (fs::exists(dir / ".git")) {
      throw WorkspaceError("cannot make a workspace of " + in_quotes(target_->repo) +
                           ": it holds a .git entry");
    }
    must(run_git(dir.string(), {"init", "-q"}));
    std::ofstream(dir / ".git" / kCopyMark) << "a copy of " << target_->repo.string() << "\n";
    must(run_git(dir.string(), {"add", "-A"}));
    must(run_git(dir.string(), {"-c", "user.name=harness", "-c", "user.email=harness@localhost", "-c",
                                "commit.gpgsign=false", "commit", "-q", "--no-verify", "--allow-empty", "-m",
                                "harness: base copy of " + target_->repo.string()}));
    std::string base = first_line(must(run_git(dir.string(), {"rev-parse", "HEAD"})));
    return std::make_unique<GitWorkspace>(target_, dir, base, false);
  }

  static bool is_our_copy(const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir / ".git" / kCopyMark, ec);
  }

  // A folder with a .git file pointing into the target's worktree metadata: its registration was pruned.
  bool is_orphaned_worktree(const fs::path& dir) const {
    if (!target_->is_git) return false;
    std::ifstream dot_git(dir / ".git");
    std::string line;
    if (!std::getline(dot_git, line) || line.rfind("gitdir: ", 0) != 0) return false;
    return is_within(fs::path(line.substr(8)), target_->common_dir / "worktrees");
  }

  std::shared_ptr<Target> target_;
};

}  // namespace

std::unique_ptr<WorkspaceFactory> make_workspace_factory(const std::string& repo, const std::string& base_ref,
                                                         const std::string& root) {
  auto target = std::make_shared<Target>();
  std::error_code ec;
  target->repo = fs::absolute(repo, ec).lexically_normal();
  target->root = fs::absolute(root, ec).lexically_normal();
  if (!fs::is_directory(target->repo, ec)) {
    throw WorkspaceError("target " + in_quotes(repo) +
                         (fs::exists(target->repo, ec) ? " is not a folder" : " does not exist"));
  }
  const std::string dir = target->repo.string();
  GitResult toplevel = run_git(dir, {"rev-parse", "--show-toplevel"});
  if (!toplevel.ok()) {
    if (toplevel.error().find("not a git repository") == std::string::npos)
      throw WorkspaceError(toplevel.error());
    return std::make_unique<GitWorkspaceFactory>(std::move(target));  // a plain folder: workspaces are copies
  }
  target->is_git = true;
  target->toplevel = first_line(*toplevel);
  target->prefix = first_line(must(run_git(dir, {"rev-parse", "--show-prefix"})));
  fs::path common = first_line(must(run_git(dir, {"rev-parse", "--git-common-dir"})));
  target->common_dir = fs::weakly_canonical(common.is_absolute() ? common : target->repo / common, ec);
  const std::string ref = base_ref.empty() ? "HEAD" : base_ref;
  GitResult base = run_git(dir, {"rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"});
  if (!base.ok())
    throw WorkspaceError("base ref '" + ref + "' is not a commit of repository " +
                         in_quotes(target->toplevel));
  target->base = first_line(*base);
  return std::make_unique<GitWorkspaceFactory>(std::move(target));
}

}  // namespace harness
