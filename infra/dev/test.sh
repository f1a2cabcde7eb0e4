#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `make test`: everything the suite needs, then the whole suite (ava 7), then a closing line
# `N passed, N failed`. Starts the dev stack and the services if they are not running, and stops
# afterwards only what it started.
#
# Telemetry of the run goes to the suite's own OTLP receiver (test/support/otlp-receiver-main.ts,
# port OTLP_RECEIVER_PORT, default 4319, so an Instana agent on 4318 is never in the way), started
# before the services so it holds everything they export; the observability tests query it.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"
cd "$ROOT"

began="$(now_ms)"
"$HERE/fetch.sh" || die test "fetching dependencies failed"

# What the services started below export to (services.sh passes the environment through): the
# receiver, with short batching and metric intervals so a test sees its data within seconds, and
# logs over OTLP too.
export OTLP_RECEIVER_PORT="${OTLP_RECEIVER_PORT:-4319}"
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$OTLP_RECEIVER_PORT"
export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
export OTEL_BSP_SCHEDULE_DELAY="${OTEL_BSP_SCHEDULE_DELAY:-500}"
export OTEL_BLRP_SCHEDULE_DELAY="${OTEL_BLRP_SCHEDULE_DELAY:-500}"
export OTEL_METRIC_EXPORT_INTERVAL="${OTEL_METRIC_EXPORT_INTERVAL:-2000}"
export OTEL_LOGS_EXPORTER=otlp

stack_started=0 services_started=0 receiver_started=0
"$HERE/stack.sh" status >/dev/null 2>&1 || stack_started=1
"$HERE/services.sh" status >/dev/null 2>&1 || services_started=1
cleanup() {
  (( services_started )) && "$HERE/services.sh" down >/dev/null 2>&1
  restore_foreign
  (( receiver_started )) && stop_by_pidfile otlp-receiver >/dev/null 2>&1
  (( stack_started )) && "$HERE/stack.sh" down >/dev/null 2>&1
  return 0
}
trap cleanup EXIT

receiver_ok() { curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$OTLP_RECEIVER_PORT/api/status"; }
start_receiver() {
  if is_running otlp-receiver; then
    log otlp-receiver "already running (pid $(read_pid otlp-receiver)) on :$OTLP_RECEIVER_PORT"
    return 0
  fi
  require_port_free otlp-receiver "$OTLP_RECEIVER_PORT"
  spawn otlp-receiver node --import tsx "$ROOT/test/support/otlp-receiver-main.ts"
  receiver_started=1
  wait_until otlp-receiver 30 receiver_ok
  log otlp-receiver "listening on :$OTLP_RECEIVER_PORT"
}

# Services already running but exporting elsewhere (a `make up` estate, or one pointed at an
# Instana agent) would leave the receiver empty and the observability tests failing. They are
# restarted under the suite's settings for the run, and afterwards as they were found: with the
# OTEL_* settings the running gateway had.
foreign_otel=() restart_foreign=0
check_foreign_export() {
  local pid endpoint
  pid="$(read_pid gateway)"
  [[ -n "$pid" && -r "/proc/$pid/environ" ]] || return 0
  endpoint="$(tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^OTEL_EXPORTER_OTLP_ENDPOINT=//p')"
  [[ "$endpoint" == "$OTEL_EXPORTER_OTLP_ENDPOINT" ]] && return 0
  mapfile -t foreign_otel < <(tr '\0' '\n' <"/proc/$pid/environ" | grep -E '^OTEL_[A-Z_]+=')
  restart_foreign=1
  log test "the running services export to ${endpoint:-http://localhost:4318 (the default)}; restarting them for the suite's receiver,"
  log test "and again afterwards with their own OTEL_* settings"
  "$HERE/services.sh" down >/dev/null || die test "could not stop the running services"
}
restore_foreign() {
  (( restart_foreign )) || return 0
  "$HERE/services.sh" down >/dev/null 2>&1
  # a subshell: the suite's OTEL_* out, the services' own back in
  (
    while read -r name; do unset "$name"; done < <(compgen -e | grep '^OTEL_')
    (( ${#foreign_otel[@]} )) && export "${foreign_otel[@]}"
    "$HERE/services.sh" up >/dev/null 2>&1
  ) && log test "services restarted with their own telemetry settings" || log test "WARNING: restarting the services as they were failed; run infra/dev/services.sh up"
}

"$HERE/stack.sh" up || die test "the dev stack did not start"
npx tsx infra/setup/setup.ts || die test "migrations or topics failed"
"$HERE/bundle.sh" || die test "workflow bundle failed"
start_receiver
(( services_started )) || check_foreign_export
"$HERE/services.sh" up || die test "the services did not start"
npx tsx infra/setup/seed.ts || die test "seeding failed"
log test "estate ready for the suite in $(elapsed_since "$began")"

export TEMPORAL_CLI_PATH="${TEMPORAL_CLI_PATH:-$("$ROOT/infra/temporal/bin-path.sh")}"
report="$STATE_DIR/test-report.txt"
npx ava "$@" 2>&1 | tee "$report"
status="${PIPESTATUS[0]}"

# ava's closing lines: "N tests passed", "N tests failed", "N known failures", "N uncaught
# exceptions", "N unhandled rejections", "N hooks failed". When a hook fails it prints no "passed"
# line and names the tests it never ran ("✘ N tests remaining …"): those count as failed, and the
# passed ones are counted from their ✔ lines.
passed="$(grep -oE '^ *[0-9]+ tests? passed' "$report" | tail -n1 | grep -oE '[0-9]+')"
[[ -z "$passed" ]] && passed="$(grep -cE '^ *✔ ' "$report")"
failed="$(grep -oE '^ *([0-9]+) (tests? failed|known failures?|uncaught exceptions?|unhandled rejections?|hooks? failed)|✘ [0-9]+ tests? remaining' "$report" | grep -oE '[0-9]+' | awk '{ sum += $1 } END { print sum + 0 }')"
[[ -z "$failed" ]] && failed=0
if (( status != 0 && failed == 0 )); then failed=1; fi   # ava itself failed (e.g. a test file crashed)
log test "suite finished in $(elapsed_since "$began") (exit $status)"
# cleaned up before the summary, so the summary stays the last line
cleanup
trap - EXIT
echo "$passed passed, $failed failed"
exit "$status"
