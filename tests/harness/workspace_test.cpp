// Workspaces on real temporary git repositories and plain folders: patches that apply to a fresh checkout,
// changed files, restores of protected paths, removal that leaves nothing, pruning of an interrupted run's
// leftovers.
#include "harness/workspace.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace harness {
namespace {

namespace fs = std::filesystem;

// The workspace of a create() that must succeed (the test stops on the failure's message otherwise).
std::unique_ptr<Workspace> made(base::Result<std::unique_ptr<Workspace>> created) {
  if (!created.ok()) throw std::runtime_error("create failed: " + created.error());
  return std::move(created).value();
}

struct Shell {
  int status;
  std::string out;
};

// Test-side commands go through the shell, independently of the code under test.
Shell sh(const std::string& command) {
  Shell result{};
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  result.status = ::pclose(pipe);
  return result;
}

std::string q(const fs::path& path) { return "'" + path.string() + "'"; }

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void spit(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

using namespace std::string_literals;
const std::string kBinary = "\x00\x01\x02\xff\xfe binary\x00 data"s;

class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("workspace_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    repo_ = dir_ / "repo";
    root_ = dir_ / "workspaces";
    fs::create_directories(repo_);
    spit(repo_ / "src/a.txt", "one\ntwo\n");
    spit(repo_ / "gone.txt", "to be deleted\n");
    spit(repo_ / "data.bin", kBinary);
    spit(repo_ / "tests/test_a.sh", "test a\n");
    spit(repo_ / "tests/other.sh", "other\n");
    spit(repo_ / ".gitignore", "*.log\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void make_git_repo() {
    ASSERT_EQ(sh("cd " + q(repo_) + " && git init -q && git add -A && " + commit("base")).status, 0);
    base_ = head();
  }
  static std::string commit(const std::string& message) {
    return "git -c user.name=t -c user.email=t@t commit -q -m '" + message + "'";
  }
  std::string head() { return sh("git -C " + q(repo_) + " rev-parse HEAD").out.substr(0, 40); }

  // Edits, a new file in a new folder, a new binary, a deletion, a changed binary, and an ignored file.
  static void edit(const fs::path& ws) {
    spit(ws / "src/a.txt", "one\nTWO\nthree\n");
    spit(ws / "new/dir/file.txt", "brand new\n");
    spit(ws / "new/bin.dat", "\x00\x10 new binary"s);
    fs::remove(ws / "gone.txt");
    spit(ws / "data.bin", kBinary + "!");
    spit(ws / "debug.log", "ignored\n");
  }

  fs::path dir_, repo_, root_;
  std::string base_;
};

const std::vector<std::string> kEditedFiles = {"data.bin", "gone.txt", "new/bin.dat", "new/dir/file.txt",
                                               "src/a.txt"};

TEST_F(WorkspaceTest, WorktreeIsDetachedAtTheBase) {
  make_git_repo();
  spit(repo_ / "src/a.txt", "later\n");
  ASSERT_EQ(sh("cd " + q(repo_) + " && " + commit("later") + " -a").status, 0);
  auto factory = make_workspace_factory(repo_.string(), base_, root_.string());
  auto ws = made(factory->create("g01-a01"));
  EXPECT_EQ(ws->path(), (root_ / "g01-a01").string());
  EXPECT_EQ(sh("git -C " + q(ws->path()) + " rev-parse HEAD").out, base_ + "\n");
  EXPECT_NE(sh("git -C " + q(ws->path()) + " symbolic-ref -q HEAD").status, 0);  // detached
  EXPECT_EQ(slurp(fs::path(ws->path()) / "src/a.txt"), "one\ntwo\n");
  EXPECT_EQ(ws->capture_patch(), "");
  EXPECT_TRUE(ws->changed_files().empty());
}

TEST_F(WorkspaceTest, PatchWithNewDeletedAndBinaryFilesAppliesToAFreshCheckout) {
  make_git_repo();
  auto ws = made(make_workspace_factory(repo_.string(), "HEAD", root_.string())->create("g01-a02"));
  edit(ws->path());
  std::string patch = ws->capture_patch();
  EXPECT_NE(patch.find("diff --git a/new/dir/file.txt b/new/dir/file.txt\nnew file mode 100644"),
            std::string::npos);
  EXPECT_NE(patch.find("diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644"), std::string::npos);
  EXPECT_NE(patch.find("GIT binary patch"), std::string::npos);
  EXPECT_EQ(patch.find("debug.log"), std::string::npos);  // ignored by the target's .gitignore
  EXPECT_EQ(ws->changed_files(), kEditedFiles);

  fs::path fresh = dir_ / "fresh";
  ASSERT_EQ(sh("git clone -q " + q(repo_) + " " + q(fresh)).status, 0);
  spit(dir_ / "patch.diff", patch);
  auto applied = sh("git -C " + q(fresh) + " apply --check " + q(dir_ / "patch.diff") + " && git -C " +
                    q(fresh) + " apply " + q(dir_ / "patch.diff"));
  ASSERT_EQ(applied.status, 0) << applied.out;
  for (const std::string& file : kEditedFiles) {
    EXPECT_EQ(fs::exists(fresh / file), fs::exists(fs::path(ws->path()) / file)) << file;
    if (fs::exists(fresh / file)) {
      EXPECT_EQ(slurp(fresh / file), slurp(fs::path(ws->path()) / file)) << file;
    }
  }
  EXPECT_EQ(sh("git -C " + q(repo_) + " status --porcelain").out, "");  // the target itself is untouched
}

TEST_F(WorkspaceTest, CommitsMadeByTheAgentAreInThePatch) {
  make_git_repo();
  auto ws = made(make_workspace_factory(repo_.string(), "", root_.string())->create("g01-a03"));
  spit(fs::path(ws->path()) / "src/a.txt", "committed\n");
  ASSERT_EQ(sh("cd " + q(ws->path()) + " && " + commit("agent") + " -a").status, 0);
  spit(fs::path(ws->path()) / "src/b.txt", "uncommitted\n");
  EXPECT_EQ(ws->changed_files(), (std::vector<std::string>{"src/a.txt", "src/b.txt"}));
  EXPECT_NE(ws->capture_patch().find("-one\n-two\n+committed\n"), std::string::npos);
}

TEST_F(WorkspaceTest, RestorePathsBringsBackTheBaseAndRemovesAddedFiles) {
  make_git_repo();
  auto ws = made(make_workspace_factory(repo_.string(), "HEAD", root_.string())->create("g01-a04"));
  fs::path w = ws->path();
  spit(w / "tests/test_a.sh", "tampered\n");
  fs::remove(w / "tests/other.sh");
  spit(w / "tests/staged_new.sh", "new, staged by changed_files()\n");
  ASSERT_EQ(ws->changed_files().size(), 3u);
  spit(w / "tests/untracked_new.sh", "new, never staged\n");
  spit(w / "protected/new.txt", "a folder absent from the base\n");
  spit(w / "conftest.log", "an ignored file absent from the base\n");
  spit(w / "src/a.txt", "a real fix\n");

  ws->restore_paths({"tests/", "protected", "conftest.log"});

  EXPECT_EQ(slurp(w / "tests/test_a.sh"), "test a\n");
  EXPECT_EQ(slurp(w / "tests/other.sh"), "other\n");
  EXPECT_FALSE(fs::exists(w / "tests/staged_new.sh"));
  EXPECT_FALSE(fs::exists(w / "tests/untracked_new.sh"));
  EXPECT_FALSE(fs::exists(w / "protected"));
  EXPECT_FALSE(fs::exists(w / "conftest.log"));
  EXPECT_EQ(slurp(w / "src/a.txt"), "a real fix\n");
  EXPECT_EQ(ws->changed_files(), (std::vector<std::string>{"src/a.txt"}));

  ws->restore_paths({"src/a.txt", "never/existed"});
  EXPECT_TRUE(ws->changed_files().empty());
}

TEST_F(WorkspaceTest, RestorePathsRefusesPathsOutsideTheWorkspace) {
  make_git_repo();
  auto ws = made(make_workspace_factory(repo_.string(), "HEAD", root_.string())->create("g01-a05"));
  try {
    ws->restore_paths({"tests/../../repo"});
    FAIL() << "expected WorkspaceError";
  } catch (const WorkspaceError& e) {
    EXPECT_STREQ(e.what(), "cannot restore 'tests/../../repo': not a relative path inside the workspace");
  }
  EXPECT_THROW(ws->restore_paths({"/etc"}), WorkspaceError);
  EXPECT_TRUE(fs::exists(repo_ / "tests/test_a.sh"));
}

TEST_F(WorkspaceTest, RemoveLeavesNothingAndIsIdempotent) {
  make_git_repo();
  auto factory = make_workspace_factory(repo_.string(), "HEAD", root_.string());
  auto ws = made(factory->create("g01-a06"));
  edit(ws->path());
  ws->capture_patch();
  std::string path = ws->path();
  ws->remove();
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(sh("git -C " + q(repo_) + " worktree list --porcelain").out.find(path), std::string::npos);
  EXPECT_FALSE(fs::exists(repo_ / ".git/worktrees/g01-a06"));
  ws->remove();
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(WorkspaceTest, CreatingAnExistingWorkspaceFails) {
  make_git_repo();
  auto factory = make_workspace_factory(repo_.string(), "HEAD", root_.string());
  made(factory->create("g01-a07"));
  auto again = factory->create("g01-a07");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), "workspace 'g01-a07' already exists at '" + (root_ / "g01-a07").string() +
                               "' (left by an interrupted run? prune() removes it)");
  auto escape = factory->create("../escape");
  ASSERT_FALSE(escape.ok());
  EXPECT_EQ(escape.error(), "workspace name '../escape' is not a plain folder name");
  EXPECT_FALSE(factory->create("").ok());
}

TEST_F(WorkspaceTest, PruneRemovesWhatAnInterruptedRunLeft) {
  make_git_repo();
  {
    auto factory = make_workspace_factory(repo_.string(), "HEAD", root_.string());
    edit(made(factory->create("g01-a01"))->path());  // never removed: the run "crashed"
    fs::path lost = made(factory->create("g01-a02"))->path();
    fs::remove_all(lost);  // folder gone, metadata left
    auto kept_registration = made(factory->create("g01-a03"))->path();
    ASSERT_EQ(sh("git -C " + q(repo_) + " worktree remove --force " + q(kept_registration) + " && mkdir -p " +
                 q(kept_registration) + " && echo 'gitdir: " + (repo_ / ".git/worktrees/g01-a03").string() +
                 "' > " + q(fs::path(kept_registration) / ".git"))
                  .status,
              0);  // folder left, registration gone
  }
  spit(root_ / "unrelated/file.txt", "not ours\n");
  auto factory = make_workspace_factory(repo_.string(), "HEAD", root_.string());
  factory->prune();
  EXPECT_FALSE(fs::exists(root_ / "g01-a01"));
  EXPECT_FALSE(fs::exists(root_ / "g01-a03"));
  EXPECT_TRUE(fs::exists(root_ / "unrelated/file.txt"));
  EXPECT_EQ(sh("git -C " + q(repo_) + " worktree list --porcelain | grep -c '^worktree '").out, "1\n");
  EXPECT_TRUE(fs::exists(repo_ / "src/a.txt"));
  auto again = made(factory->create("g01-a01"));
  EXPECT_EQ(slurp(fs::path(again->path()) / "src/a.txt"), "one\ntwo\n");
}

TEST_F(WorkspaceTest, PruneNeverTouchesTheTargetWhenTheRootContainsIt) {
  make_git_repo();
  auto factory = make_workspace_factory(repo_.string(), "HEAD", dir_.string());
  made(factory->create("g01-a01"));
  factory->prune();
  EXPECT_FALSE(fs::exists(dir_ / "g01-a01"));
  EXPECT_EQ(slurp(repo_ / "src/a.txt"), "one\ntwo\n");
  EXPECT_EQ(sh("git -C " + q(repo_) + " status --porcelain").out, "");
}

TEST_F(WorkspaceTest, BadTargetOrBaseIsAClearError) {
  try {
    make_workspace_factory((dir_ / "missing").string(), "HEAD", root_.string());
    FAIL() << "expected WorkspaceError";
  } catch (const WorkspaceError& e) {
    EXPECT_EQ(std::string(e.what()), "target '" + (dir_ / "missing").string() + "' does not exist");
  }
  make_git_repo();
  try {
    make_workspace_factory(repo_.string(), "no-such-branch", root_.string());
    FAIL() << "expected WorkspaceError";
  } catch (const WorkspaceError& e) {
    EXPECT_EQ(std::string(e.what()),
              "base ref 'no-such-branch' is not a commit of repository '" + repo_.string() + "'");
  }
}

TEST_F(WorkspaceTest, SubfolderTargetWorksInsideItsRepository) {
  make_git_repo();
  auto ws = made(make_workspace_factory((repo_ / "src").string(), "HEAD", root_.string())->create("g01-a08"));
  EXPECT_EQ(ws->path(), (root_ / "g01-a08/src").string());
  spit(fs::path(ws->path()) / "a.txt", "changed\n");
  EXPECT_EQ(ws->changed_files(),
            (std::vector<std::string>{"src/a.txt"}));  // relative to the repository's top
  ws->restore_paths({"a.txt"});
  EXPECT_TRUE(ws->changed_files().empty());
  ws->remove();
  EXPECT_FALSE(fs::exists(root_ / "g01-a08"));
}

TEST_F(WorkspaceTest, PlainFolderTargetIsCopied) {
  // Not a git repository (and no enclosing one: the temp dir is not in a repository).
  ASSERT_NE(sh("git -C " + q(repo_) + " rev-parse --git-dir").status, 0);
  fs::path inner_root = repo_ / ".workspaces";  // a root inside the target must not be copied into itself
  auto factory = make_workspace_factory(repo_.string(), "ignored-for-copies", inner_root.string());
  auto ws = made(factory->create("g01-a01"));
  EXPECT_EQ(ws->path(), (inner_root / "g01-a01").string());
  EXPECT_FALSE(fs::exists(inner_root / "g01-a01/.workspaces"));
  EXPECT_EQ(slurp(inner_root / "g01-a01/data.bin"), kBinary);
  EXPECT_TRUE(ws->changed_files().empty());
  edit(ws->path());
  std::string patch = ws->capture_patch();
  EXPECT_EQ(ws->changed_files(), kEditedFiles);

  fs::path fresh = dir_ / "fresh";
  fs::create_directories(fresh);
  ASSERT_EQ(sh("cp -a " + q(repo_) + "/. " + q(fresh) + " && rm -rf " + q(fresh / ".workspaces")).status, 0);
  spit(dir_ / "patch.diff", patch);
  auto applied = sh("cd " + q(fresh) + " && git apply " + q(dir_ / "patch.diff"));
  ASSERT_EQ(applied.status, 0) << applied.out;
  for (const std::string& file : kEditedFiles) {
    EXPECT_EQ(fs::exists(fresh / file), fs::exists(fs::path(ws->path()) / file)) << file;
    if (fs::exists(fresh / file)) {
      EXPECT_EQ(slurp(fresh / file), slurp(fs::path(ws->path()) / file)) << file;
    }
  }
  EXPECT_TRUE(fs::exists(repo_ / "gone.txt"));  // the original is untouched

  ws->restore_paths({"tests", "new"});
  EXPECT_FALSE(fs::exists(fs::path(ws->path()) / "new"));
  made(factory->create("g01-a02"));  // left behind, then pruned
  ws->remove();
  ws->remove();
  EXPECT_FALSE(fs::exists(inner_root / "g01-a01"));
  factory->prune();
  EXPECT_FALSE(fs::exists(inner_root / "g01-a02"));
  EXPECT_TRUE(fs::exists(repo_ / "src/a.txt"));
}

}  // namespace
}  // namespace harness
