#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `make test`: everything the suite needs, then the whole suite (ava 7), then a closing line
# `N passed, N failed`. Starts the dev stack and the services if they are not running, and stops
# afterwards only what it started.
#
# Telemetry of the run goes to the suite's own OTLP receiver (test/support/otlp-receiver-main.ts,
# port OTLP_RECEIVER_PORT, default 4319, so an Instana agent on 4318 is never in the way), started
# before the services so it holds everything they export; the observability tests query it.
#
# The suite runs its services under the test identity (infra/programs/setup/test-estate.ts): databases
# `<db>_test`, Kafka topics `ordersaga-test.*` and consumer groups `ordersaga-test.<service>`, Temporal
# namespace `ordersaga-test`. The user's estate (what `make up` runs) is left alone: a census of its
# databases, topics and workflows is taken before the suite and compared after it
# (test/support/estate-census.ts), and any difference fails the run. A fresh machine (CI) just runs
# the test identity.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"
cd "$ROOT"

began="$(now_ms)"
"$HERE/fetch.sh" || die test "fetching dependencies failed"
# The browser the console's test drives (test/e2e/console.test.ts): Debian's Chromium, with CJK
# fonts so the Korean pages (and their screenshots) show their text.
[[ -x /usr/bin/chromium ]] || apt_install chromium chromium fonts-noto-cjk
use_fetched_node   # the Node 24 that fetch.sh may just have put in .tools/node
source "$ROOT/infra/local/postgres/env.sh"   # PG_SOCKET_DIR: the superuser's way in, to create the test databases

# The lint (`make lint`: ESLint and Prettier's check) counts as one more check; the suite runs either way.
lint_ok=0
if make --no-print-directory -s lint; then lint_ok=1; else log test "lint failed (above); \`make fmt\` fixes what is formatting"; fi

# The test identity, exported so every service started below and every test inherit it (services.sh
# passes the environment through). `user_identity` keeps the caller's own values of the same
# variables (or unsets them), for the census of the user's estate.
identity=() user_identity=() user_unset=()
mapfile -t identity < <(npx tsx infra/programs/setup/test-estate.ts env) || die test "deriving the test identity failed"
(( ${#identity[@]} )) || die test "deriving the test identity failed"
for assignment in "${identity[@]}"; do
  name="${assignment%%=*}"
  if [[ -n "${!name+set}" ]]; then user_identity+=("$name=${!name}"); else user_unset+=(-u "$name"); fi
done
export "${identity[@]}"
# env's -u options before its assignments
in_user_identity() { env "${user_unset[@]}" "${user_identity[@]}" "$@"; }

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

stack_started=() services_started=0 receiver_started=0
# only the pieces of the dev stack that are down now are this run's to stop (a piece added to the
# stack, such as Mailpit, may be all that is missing from an estate already running)
mapfile -t stack_started < <("$HERE/stack.sh" stopped)
"$HERE/services.sh" status >/dev/null 2>&1 || services_started=1
cleanup() {
  (( services_started )) && "$HERE/services.sh" down >/dev/null 2>&1
  restore_foreign
  (( receiver_started )) && stop_by_pidfile otlp-receiver >/dev/null 2>&1
  (( ${#stack_started[@]} )) && "$HERE/stack.sh" down "${stack_started[@]}" >/dev/null 2>&1
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

# Services already running under another identity or exporting elsewhere (a `make up` estate, or
# one pointed at an Instana agent) would write the suite's orders into the user's databases and
# leave the receiver empty. They are stopped for the run, the suite's own are started under the test
# identity, and afterwards the user's are started again exactly as they were found: with the whole
# environment the running gateway had (its identity and OTEL_* settings), after the migrations of
# that identity (the suite migrated only its own databases).
foreign_env=() restart_foreign=0
check_foreign() {
  local pid="" name endpoint assignment mismatch=""
  # the first running service speaks for all: services.sh gives every service the same environment
  for name in $(estate_list names); do
    is_running "$name" && { pid="$(read_pid "$name")"; break; }
  done
  [[ -n "$pid" && -r "/proc/$pid/environ" ]] || return 0
  endpoint="$(tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^OTEL_EXPORTER_OTLP_ENDPOINT=//p')"
  [[ "$endpoint" == "$OTEL_EXPORTER_OTLP_ENDPOINT" ]] || mismatch="they export to ${endpoint:-http://localhost:4318 (the default)}"
  for assignment in "${identity[@]}"; do
    grep -qxF -- "$assignment" < <(tr '\0' '\n' <"/proc/$pid/environ") || { mismatch="${mismatch:+$mismatch, }they run as the user's estate"; break; }
  done
  [[ -z "$mismatch" ]] && return 0
  mapfile -t foreign_env < <(tr '\0' '\n' <"/proc/$pid/environ" | grep -v '^OTEL_SERVICE_NAME=')
  restart_foreign=1
  log test "the running services are not the suite's ($mismatch): stopping them for the run,"
  log test "and starting them again afterwards as they were"
  "$HERE/services.sh" down >/dev/null || die test "could not stop the running services"
}
restore_foreign() {
  (( restart_foreign )) || return 0
  restart_foreign=0
  "$HERE/services.sh" down >/dev/null 2>&1
  # only the environment the user's services had: none of the suite's identity or OTEL_* settings
  if env -i "${foreign_env[@]}" npx tsx infra/programs/setup/setup.ts >/dev/null 2>&1 &&
    env -i "${foreign_env[@]}" "$HERE/services.sh" up >/dev/null 2>&1; then
    log test "the user's services restarted as they were (their own identity and telemetry settings)"
  else
    log test "WARNING: restarting the user's services failed; run: make services"
  fi
}

# check_services_identity WHEN: every running service carries the test identity; names those that do
# not (started from another shell, or by a supervisor that is not the suite's) and fails if any.
check_services_identity() {
  local name pid assignment wrong=0
  for name in $(estate_list names); do
    pid="$(read_pid "$name")"
    [[ -n "$pid" && -r "/proc/$pid/environ" ]] || continue
    for assignment in "${identity[@]}"; do
      if ! grep -qxF -- "$assignment" < <(tr '\0' '\n' <"/proc/$pid/environ"); then
        log test "WARNING: $name (pid $pid, parent $(ps -o ppid= -p "$pid" | tr -d ' ')) is not running under the test identity $1: something outside the suite (another shell, a supervisor not started by it) started it"
        wrong=1
        break
      fi
    done
  done
  return "$wrong"
}

# The census of the user's estate (test/support/estate-census.ts), taken once its services are
# stopped (or were never running) and compared after the suite.
census="$STATE_DIR/user-estate-census.json" census_taken=0
take_census() {
  in_user_identity npx tsx test/support/estate-census.ts take "$census" && census_taken=1 ||
    log test "WARNING: no census of the user's estate (a dependency did not answer); its check is skipped"
}

"$HERE/stack.sh" up || die test "the dev stack did not start"
npx tsx infra/programs/setup/test-estate.ts prepare --postgres-socket "$PG_SOCKET_DIR" || die test "test databases or namespace failed"
npx tsx infra/programs/setup/setup.ts || die test "migrations or topics failed"
"$HERE/bundle.sh" || die test "workflow bundle failed"
start_receiver
check_foreign
take_census
"$HERE/services.sh" up || die test "the services did not start"
# The suite would wait on work that lands in the user's estate instead: stop here, naming the service.
check_services_identity "at the start" || die test "a service runs under another identity; stop whatever restarts it and run make test again"
npx tsx infra/programs/setup/seed.ts || die test "seeding failed"
log test "estate ready for the suite in $(elapsed_since "$began")"

export TEMPORAL_CLI_PATH="${TEMPORAL_CLI_PATH:-$("$ROOT/infra/local/temporal/bin-path.sh")}"
report="$STATE_DIR/test-report.txt"
# A watchdog over each ava run: AVA bounds a test (its `timeout`) but not a teardown or a worker that
# never exits, and one such hang once held CI for its whole 90 minutes with no summary. Killed at the
# limit, the run counts as one failure, named below, and the summary line still comes.
suite_limit="${ORDERSAGA_SUITE_TIMEOUT:-1200}" chaos_limit="${ORDERSAGA_CHAOS_TIMEOUT:-600}" hung=0
run_ava() { # LIMIT_SECONDS ARGS…: ava under the watchdog; its exit status, 124 when it was killed
  local limit="$1"
  shift
  timeout --kill-after=20 "$limit" npx ava "$@"
}
run_ava "$suite_limit" "$@" 2>&1 | tee "$report"
status="${PIPESTATUS[0]}"
if (( status == 124 || status == 137 )); then
  hung=$(( hung + 1 ))
  log test "the suite did not finish within ${suite_limit}s and was stopped: a test, hook or teardown hangs (the last lines above show where)"
fi
# Runs that would disturb the others run on their own, after them: the console's browser test
# switches the estate's payment scenario and faults (docs/console.md), and the chaos suite's short
# run kills pieces the other tests use (docs/chaos.md).
run_alone() { # NAME LIMIT_SECONDS VARIABLE FILE: one file under VARIABLE=1; its failure is the run's
  local name="$1" limit="$2" variable="$3" file="$4" alone_status
  (export "$variable=1"; run_ava "$limit" "$file") 2>&1 | tee -a "$report"
  alone_status="${PIPESTATUS[0]}"
  if (( alone_status == 124 || alone_status == 137 )); then
    hung=$(( hung + 1 ))
    log test "the $name run did not finish within ${limit}s and was stopped"
  fi
  (( status == 0 )) && status="$alone_status"
  return 0
}
if [[ $# -eq 0 ]]; then
  run_alone browser "${ORDERSAGA_BROWSER_TIMEOUT:-300}" ORDERSAGA_BROWSER_TEST test/e2e/console.test.ts
  run_alone chaos "$chaos_limit" ORDERSAGA_CHAOS_TEST test/e2e/chaos.test.ts
fi

# Passed tests are counted from ava's ✔ lines (two spaces in): a run with failures prints no
# "N tests passed" line, so summing those over the two runs would count only a run without any.
# Failures from ava's closing lines: "N tests failed", "N known failures", "N uncaught exceptions",
# "N unhandled rejections", "N hooks failed", and the tests a failed hook never ran
# ("✘ N tests remaining …").
passed="$(grep -cE '^  ✔ ' "$report")"
failed="$(grep -oE '^ *([0-9]+) (tests? failed|known failures?|uncaught exceptions?|unhandled rejections?|hooks? failed)|✘ [0-9]+ tests? remaining' "$report" | grep -oE '[0-9]+' | awk '{ sum += $1 } END { print sum + 0 }')"
[[ -z "$failed" ]] && failed=0
failed=$(( failed + hung ))   # a run stopped by the watchdog printed no closing lines to count
if (( status != 0 && failed == 0 )); then failed=1; fi   # ava itself failed (e.g. a test file crashed)
log test "suite finished in $(elapsed_since "$began") (exit $status)"
# A service restarted during the run from another shell runs under that shell's identity: its work
# then lands in the user's estate (and the census says so). Name it, so the cause is plain.
check_services_identity "during the suite" || true
# The user's estate as the suite found it: counted as one more check, failed when anything changed.
if (( census_taken )); then
  if in_user_identity npx tsx test/support/estate-census.ts compare "$census"; then
    passed=$(( passed + 1 ))
  else
    failed=$(( failed + 1 ))
    (( status == 0 )) && status=1
  fi
fi
# The lint (before the estate started): one more check, like the census.
if (( lint_ok )); then
  passed=$(( passed + 1 ))
else
  failed=$(( failed + 1 ))
  (( status == 0 )) && status=1
fi
# cleaned up before the summary, so the summary stays the last line
cleanup
trap - EXIT
echo "$passed passed, $failed failed"
exit "$status"
