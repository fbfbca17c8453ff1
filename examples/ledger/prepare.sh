#!/usr/bin/env bash
# Makes this example's target repository from project/ (one deterministic commit). Usage: prepare.sh [DEST]
# (default: .work/repo beside this script); see ../lib/prepare_repo.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/../lib/prepare_repo.sh" "$here" "ledger: transfer service with worker pool and client retries" "$@"
