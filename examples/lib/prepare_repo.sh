#!/usr/bin/env bash
# Makes an example's target repository: a git repo holding the example's project/ as one commit (a repository
# cannot keep a nested .git, so the harness config points at the repo this script makes).
# Usage: prepare_repo.sh EXAMPLE_DIR "COMMIT MESSAGE" [DEST] (default DEST: EXAMPLE_DIR/.work/repo). The commit is
# deterministic (fixed author and dates), so running it again leaves an up-to-date repo untouched, and replaces one
# made from an older project/. Each example's prepare.sh calls it.
set -euo pipefail
here=$(cd "$1" && pwd)
message=$2
name=$(basename "$here")
dest=${3:-$here/.work/repo}
marker=.git/harness-$name-example

export GIT_AUTHOR_NAME="$name example" GIT_AUTHOR_EMAIL="$name@example.invalid"
export GIT_COMMITTER_NAME="$name example" GIT_COMMITTER_EMAIL="$name@example.invalid"
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"

staging=$(mktemp -d "${TMPDIR:-/tmp}/$name-repo.XXXXXX")
trap 'rm -rf "$staging"' EXIT
(cd "$here/project" && tar --exclude=./build -cf - .) | tar -xf - -C "$staging"
git -C "$staging" init -q -b main
git -C "$staging" add -A
git -C "$staging" -c commit.gpgsign=false commit -q -m "$message"
want=$(git -C "$staging" rev-parse HEAD)

if [[ -d "$dest/.git" ]] && [[ "$(git -C "$dest" rev-parse -q --verify HEAD 2>/dev/null)" == "$want" ]]; then
  echo "$dest: up to date at $want"
  exit 0
fi
if [[ -e "$dest" ]]; then
  if [[ ! -e "$dest/$marker" ]] && [[ -n "$(ls -A "$dest" 2>/dev/null)" ]]; then
    echo "prepare.sh: $dest exists and was not made by this script; not touching it" >&2
    exit 2
  fi
  rm -rf "$dest"
fi
touch "$staging/$marker"
mkdir -p "$(dirname "$dest")"
mv "$staging" "$dest"
trap - EXIT
echo "$dest: created at $want"
