#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `make test`: everything the suite needs, then the whole suite (ava 7), then a closing line
# `N passed, N failed`. Starts the dev stack and the services if they are not running, and stops
# afterwards only what it started.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"
cd "$ROOT"

began="$(now_ms)"
"$HERE/fetch.sh" || die test "fetching dependencies failed"

stack_started=0 services_started=0
"$HERE/stack.sh" status >/dev/null 2>&1 || stack_started=1
"$HERE/services.sh" status >/dev/null 2>&1 || services_started=1
cleanup() {
  (( services_started )) && "$HERE/services.sh" down >/dev/null 2>&1
  (( stack_started )) && "$HERE/stack.sh" down >/dev/null 2>&1
  return 0
}
trap cleanup EXIT

"$HERE/stack.sh" up || die test "the dev stack did not start"
npx tsx infra/setup/setup.ts || die test "migrations or topics failed"
"$HERE/bundle.sh" || die test "workflow bundle failed"
"$HERE/services.sh" up || die test "the services did not start"
npx tsx infra/setup/seed.ts || die test "seeding failed"
log test "estate ready for the suite in $(elapsed_since "$began")"

export TEMPORAL_CLI_PATH="${TEMPORAL_CLI_PATH:-$("$ROOT/infra/temporal/bin-path.sh")}"
report="$STATE_DIR/test-report.txt"
npx ava "$@" 2>&1 | tee "$report"
status="${PIPESTATUS[0]}"

passed="$(grep -oE '([0-9]+) tests? passed' "$report" | tail -n1 | grep -oE '^[0-9]+' || echo 0)"
failed="$(grep -oE '([0-9]+) (tests? failed|known failures?|uncaught exceptions?|unhandled rejections?)' "$report" | grep -oE '^[0-9]+' | awk '{ sum += $1 } END { print sum + 0 }')"
[[ -z "$failed" ]] && failed=0
if (( status != 0 && failed == 0 )); then failed=1; fi   # ava itself failed (e.g. a test file crashed)
log test "suite finished in $(elapsed_since "$began") (exit $status)"
echo "$passed passed, $failed failed"
exit "$status"
