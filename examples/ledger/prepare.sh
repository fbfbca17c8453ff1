#!/usr/bin/env bash
# Makes the example's target repository: a git repo holding project/ as one commit (a repository cannot keep a
# nested .git, so the harness config points at the repo this script makes). Usage: prepare.sh [DEST]
# (default: .work/repo beside this script). The commit is deterministic (fixed author and dates), so running it
# again leaves an up-to-date repo untouched, and replaces one made from an older project/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest=${1:-$here/.work/repo}
marker=.git/harness-ledger-example

export GIT_AUTHOR_NAME="ledger example" GIT_AUTHOR_EMAIL="ledger@example.invalid"
export GIT_COMMITTER_NAME="ledger example" GIT_COMMITTER_EMAIL="ledger@example.invalid"
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"

staging=$(mktemp -d "${TMPDIR:-/tmp}/ledger-repo.XXXXXX")
trap 'rm -rf "$staging"' EXIT
(cd "$here/project" && tar --exclude=./build -cf - .) | tar -xf - -C "$staging"
git -C "$staging" init -q -b main
git -C "$staging" add -A
git -C "$staging" -c commit.gpgsign=false commit -q -m "ledger: transfer service with worker pool and client retries"
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
