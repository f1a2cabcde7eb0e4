#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Build the Mailpit mail catcher (SMTP 1025, web UI and API 8025) into $ROOT/.tools/mailpit/mailpit.
# The Go module carries the web UI's sources but not its built assets (its UI then answers 404 for
# /dist/app.js), so the module is copied out of the Go module cache, its UI built with npm
# (esbuild.config.mjs), and the binary built from that copy. One to several minutes; done once.
# The module's own package-lock.json names versions the npm registry no longer serves
# (sass-embedded 1.108.1, rapidoc 12.x), so the UI is installed from ui-package-lock.json beside this
# script, resolved against the registry, with RapiDoc 9 (the API reference page) in place of 12.
# `npm install --no-save` over that lock, not `npm ci`: the lock leaves out the platform packages of
# sass-embedded that the registry does not serve, which npm ci refuses and npm install skips.
# Idempotent: skipped when the binary was built from MAILPIT_VERSION (stamp). Needs Go and npm.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"

NAME=mailpit
VERSION=v1.33.1
MODULE=github.com/axllent/mailpit
DIR="$TOOLS_DIR/mailpit"
BIN="$DIR/mailpit"
STAMP="$DIR/version"
BUILD_LOG="$LOG_DIR/mailpit-fetch.log"

if [[ -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" ]]; then
  log "$NAME" "binary present ($VERSION)"
  exit 0
fi
# Mailpit's go.mod asks for Go 1.26 (Debian 12's golang-go is 1.19, too old: take https://go.dev/dl)
command -v go >/dev/null || die "$NAME" "go not found: Mailpit is built from its Go module and needs Go 1.26+ (https://go.dev/dl)"
go_minor="$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
(( ${go_minor:-0} >= 21 )) || die "$NAME" "$(go env GOVERSION) is too old to build Mailpit (needs Go 1.26+, or 1.21+ with GOTOOLCHAIN=auto to fetch it)"
command -v npm >/dev/null || die "$NAME" "npm not found (it comes with Node.js, which the estate needs anyway)"

# step TITLE CMD...  run CMD with its output in the build log, a progress line every 15 s meanwhile
step() {
  local title="$1"; shift
  local t0 job rc=0; t0="$(now_ms)"
  log "$NAME" "$title…"
  printf '\n===== %s: %s =====\n' "$(date '+%F %T')" "$title" >>"$BUILD_LOG"
  "$@" >>"$BUILD_LOG" 2>&1 & job=$!
  while ! wait_briefly "$job"; do log "$NAME" "  still at it ($(elapsed_since "$t0"))"; done
  wait "$job" || rc=$?
  if (( rc != 0 )); then
    tail -n 20 "$BUILD_LOG" >&2
    die "$NAME" "$title failed (exit $rc; full output: $BUILD_LOG)"
  fi
  log "$NAME" "  done in $(elapsed_since "$t0")"
}
# wait_briefly PID  -> true once PID has ended, false after 15 s while it runs
wait_briefly() {
  local _
  for _ in $(seq 1 75); do pid_alive "$1" || return 0; sleep 0.2; done
  return 1
}

t0="$(now_ms)"
src="$DIR/src"
rm -rf "$src" "$STAMP"
mkdir -p "$DIR"
: >"$BUILD_LOG"
step "downloading $MODULE@$VERSION from the Go module proxy" go mod download "$MODULE@$VERSION"
cached="$(go env GOMODCACHE)/$MODULE@$VERSION"
[[ -f "$cached/go.mod" ]] || die "$NAME" "go mod download finished but $cached is missing"
# the module cache is read-only: build in a writable copy
cp -r "$cached" "$src"
chmod -R u+w "$src"
cp "$HERE/ui-package-lock.json" "$src/package-lock.json"
env -C "$src" npm pkg set dependencies.rapidoc=^9.3.8
# The binary embeds the UI, so its own packages wait for the UI build; its dependencies do not (the
# pure-Go SQLite alone is minutes of compiling). They compile into Go's build cache meanwhile, while
# npm mostly waits on the registry, and the final go build links what is already there.
warm_log="$DIR/go-deps.log"
(env -C "$src" go list -e -deps -f '{{if not .Standard}}{{with .Module}}{{if ne .Path "'"$MODULE"'"}}{{$.ImportPath}}{{end}}{{end}}{{end}}' . |
  xargs env -C "$src" CGO_ENABLED=0 go build) >"$warm_log" 2>&1 &
warm_job=$!
step "installing the web UI's npm packages (the locked versions)" env -C "$src" npm install --no-save --no-audit --no-fund --loglevel=error
step "building the web UI (esbuild)" env -C "$src" npm run build
[[ -f "$src/server/ui/dist/app.js" ]] || die "$NAME" "the UI build produced no server/ui/dist/app.js (see $BUILD_LOG)"
# A failed warm-up only costs time: the build below compiles whatever is missing and reports errors.
step "compiling the binary's dependencies (go build, started beside npm)" tail --pid="$warm_job" -f /dev/null
step "building the binary (go build)" env -C "$src" CGO_ENABLED=0 \
  go build -ldflags "-s -w -X $MODULE/config.Version=$VERSION" -o "$BIN.tmp" .
mv "$BIN.tmp" "$BIN"
rm -rf "$src"
echo "$VERSION" >"$STAMP"
log "$NAME" "built $("$BIN" version 2>/dev/null | head -n1 || echo "$VERSION") in $(elapsed_since "$t0")"
