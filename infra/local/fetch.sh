#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Fetches everything the estate needs and nothing more: Node.js 24 when the machine's is older
# (node.sh), npm packages (when the lockfile changed),
# then the dev stack's tools (stack.sh fetch). Idempotent and quick when all is present.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"
cd "$ROOT"

# Node first: npm ci below and everything after it run on the node it leaves first on PATH.
"$HERE/node.sh"
use_fetched_node

stamp="$ROOT/node_modules/.ordersaga-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  start="$(now_ms)"
  log npm "installing packages (npm ci)…"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
  log npm "installed in $(elapsed_since "$start")"
else
  log npm "packages up to date"
fi
"$HERE/stack.sh" fetch
