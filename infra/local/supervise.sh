#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The supervisor of one piece of the dev estate: what compose's `restart: unless-stopped` does for a
# container. A piece that dies is started again, after a pause that doubles from
# DEV_RESTART_BACKOFF_S (default 1 s) up to DEV_RESTART_BACKOFF_MAX_S (default 30 s) while it keeps
# dying, and drops back to the first pause once it has stayed up DEV_RESTART_HEALTHY_S (default 30 s).
# Each restart is logged, with the exit status, in the piece's log and in .state/logs/supervisor.log.
#
#   supervise.sh NAME exec CMD...     run CMD as our child, in its own session (pid = process group),
#                                     its pid in .state/pids/NAME.pid; restart CMD when it exits
#   supervise.sh NAME script CMD...   watch the process .state/pids/NAME.pid names, and run CMD (a start
#                                     script that returns once the piece is ready) when it is gone:
#                                     PostgreSQL (pg_ctl detaches the postmaster), or a piece that was
#                                     already running when supervision began
#
# Started by lib.sh (spawn, supervise_running) with setsid, its own pid in .state/pids/NAME.supervisor.pid.
# One supervisor per piece: each holds .state/pids/NAME.supervisor.lock for its whole life (flock; the
# kernel drops it when the supervisor dies, even by SIGKILL), so a second one, started by a racing
# `up`, finds it held and leaves at once instead of fighting the first over the pidfile.
# SIGTERM makes it stand down without touching the piece: stop_by_pidfile stops the supervisor first
# and then the piece, so nothing is resurrected. A restart already under way is finished first.
#
# Running supervisors read this file as they go (bash does): change it by replacing the file (git
# checkout, an editor that writes a new file, mv), never by rewriting it in place under them.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"

NAME="$1" MODE="$2"; shift 2
BACKOFF_FIRST_S="${DEV_RESTART_BACKOFF_S:-1}"
BACKOFF_MAX_S="${DEV_RESTART_BACKOFF_MAX_S:-30}"
HEALTHY_S="${DEV_RESTART_HEALTHY_S:-30}"
WATCH_EVERY_S=0.5
# A restart script must not put a second supervisor on the piece it starts.
export DEV_SUPERVISE=0

exec 9>"$PID_DIR/$NAME.supervisor.lock"
if ! flock -n 9; then
  printf '%s [%s] supervisor: another supervisor already watches %s; leaving\n' "$(date '+%F %T')" "$NAME" "$NAME" >>"$(log_file "$NAME")"
  exit 0
fi
echo $$ >"$(pid_file "$NAME.supervisor")"
stopping=0
trap 'stopping=1' TERM INT

say() {
  local line; line="$(printf '%s [%s] supervisor: %s' "$(date '+%F %T')" "$NAME" "$*")"
  printf '%s\n' "$line" >>"$(log_file "$NAME")"
  printf '%s\n' "$line" >>"$(log_file supervisor)"
}

# exit_description STATUS  ->  "exited with status 1" / "killed by SIGKILL (status 137)"
exit_description() {
  local rc="$1"
  if (( rc > 128 )); then
    printf 'killed by SIG%s (status %s)' "$(kill -l $(( rc - 128 )) 2>/dev/null || echo $(( rc - 128 )))" "$rc"
  else
    printf 'exited with status %s' "$rc"
  fi
}

# pause_interruptibly SECONDS  -> false if told to stop meanwhile
pause_interruptibly() {
  sleep "$1" 9>&- & local sleeper=$!
  wait "$sleeper" 2>/dev/null
  kill "$sleeper" 2>/dev/null
  (( ! stopping ))
}

# run_to_end CMD...  run CMD in the background and wait for its end even if told to stop meanwhile
# (a half-done start would leave a piece the caller's stop cannot see); returns CMD's status.
run_to_end() {
  "$@" 9>&- & local job=$!
  local rc=0
  while true; do
    wait "$job"; rc=$?
    pid_alive "$job" || break
  done
  return "$rc"
}

# start_child: CMD as our child, in its own session, writing its own pid (see spawn in lib.sh)
child=""
start_child() {
  local pidf; pidf="$(pid_file "$NAME")"
  rm -f "$pidf"
  printf '\n===== %s: starting %s =====\n' "$(date '+%F %T')" "$NAME" >>"$(log_file "$NAME")"
  # fd 9 (the lock) closed: a piece outliving its supervisor must not keep the next one out
  setsid --wait bash -c 'echo $$ >"$1"; shift; exec "$@"' spawn "$pidf" "$@" \
    </dev/null >>"$(log_file "$NAME")" 2>&1 9>&- &
  child=$!
  local _
  for _ in $(seq 1 50); do
    [[ -s "$pidf" ]] && return 0
    sleep 0.05
  done
}

# wait_for_end: until the piece is gone (or we are told to stop); sets status (empty = unknown)
status=""
wait_for_end() {
  status=""
  if [[ -n "$child" ]]; then
    while (( ! stopping )); do
      wait "$child"; status=$?
      pid_alive "$child" || return 0
    done
    return 0
  fi
  # not our child: watch the pidfile's process (a restart by someone else rewrites the pidfile)
  while (( ! stopping )); do
    is_running "$NAME" || { [[ "$NAME" == postgres ]] && pg_adopt_pid; } || return 0
    pause_interruptibly "$WATCH_EVERY_S" || return 0
  done
}

if [[ "$MODE" == script && "$NAME" == postgres ]]; then
  source "$ROOT/infra/local/postgres/env.sh"   # pg_adopt_pid
fi

backoff="$BACKOFF_FIRST_S" restarts=0 up_since="$(now_ms)"
if [[ "$MODE" == exec ]] && ! is_running "$NAME"; then
  start_child "$@"
fi
say "supervising $NAME (pid $(read_pid "$NAME"), $MODE mode)"

while (( ! stopping )); do
  wait_for_end
  (( stopping )) && break
  lived_s=$(( ($(now_ms) - up_since) / 1000 ))
  (( lived_s >= HEALTHY_S )) && backoff="$BACKOFF_FIRST_S"
  restarts=$(( restarts + 1 ))
  if [[ -n "$status" ]]; then how="$(exit_description "$status")"; else how="is gone (not our child: exit status unknown)"; fi
  say "$NAME $how after ${lived_s}s up; restart #$restarts in ${backoff}s"
  pause_interruptibly "$backoff" || break
  backoff=$(awk -v b="$backoff" -v m="$BACKOFF_MAX_S" 'BEGIN { b *= 2; print (b > m ? m : b) }')
  up_since="$(now_ms)"
  if [[ "$MODE" == exec ]]; then
    start_child "$@"
    say "restarted $NAME (pid $(read_pid "$NAME" || true))"
  else
    child=""
    if run_to_end "$@" >>"$(log_file "$NAME")" 2>&1; then
      say "restarted $NAME (pid $(read_pid "$NAME"))"
    else
      say "restart of $NAME failed (exit $?); trying again"
    fi
  fi
done
say "standing down (the piece, if running, is left to its stop)"
rm -f "$(pid_file "$NAME.supervisor")"
