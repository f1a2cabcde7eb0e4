#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The no-Docker dev stack: PostgreSQL, Kafka, Temporal, Mailpit, each from its infra/<piece>/.
#
#   infra/local/stack.sh fetch    install/fetch everything (apt postgresql, mvn jars, pip venv, Mailpit build); start nothing
#   infra/local/stack.sh up       start all four in parallel (already running ones are left alone)
#   infra/local/stack.sh down [PIECE…]  stop exactly what our pidfiles in .state/pids name (all pieces, or those named)
#   infra/local/stack.sh status   running/stopped per piece, with ports (exit 0 = all running, 3 = not)
#   infra/local/stack.sh stopped  the pieces not running, one per line: what an `up` now would start
#
# Endpoints once up:
#   postgres  127.0.0.1:5432   postgres://<role>:<role>@127.0.0.1:5432/<db>  (see infra/local/postgres/init.sh)
#   kafka     localhost:9092   (controller 127.0.0.1:9093)
#   temporal  127.0.0.1:7233   namespace default, UI http://127.0.0.1:8233
#   mailpit   127.0.0.1:1025   SMTP; mail UI and API http://127.0.0.1:8025
# State in .state/ (logs/<piece>.log, pids/<piece>.pid), tools in .tools/.
#
# `up` puts each piece under a supervisor (supervise.sh) that restarts it with backoff when it dies:
# Kafka, Temporal and Mailpit as its children, PostgreSQL (which pg_ctl detaches) by watching the postmaster
# and running its start.sh again. `down` stops the supervisors first. DEV_SUPERVISE=0: none.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"

INFRA="$ROOT/infra/local"
PIECES=(postgres kafka temporal mailpit)
export DEV_SUPERVISE="${DEV_SUPERVISE:-1}"

declare -A PORTS=(
  [postgres]="5432"
  [kafka]="9092 9093"
  [temporal]="7233 8233"
  [mailpit]="1025 8025"
)

usage() {
  sed -n '3,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

# run_parallel SCRIPT PIECE...  run infra/<piece>/<SCRIPT> for each piece at once;
# sets FAILED=(pieces whose script exited non-zero), prints which and how.
FAILED=()
run_parallel() {
  local script="$1"; shift
  local -A job=()
  local piece rc
  FAILED=()
  for piece in "$@"; do
    "$INFRA/$piece/$script" &
    job[$piece]=$!
  done
  for piece in "$@"; do
    rc=0
    wait "${job[$piece]}" || rc=$?
    if (( rc != 0 )); then
      FAILED+=("$piece")
      log stack "$piece: $script FAILED (exit $rc), see $(log_file "$piece")"
    fi
  done
}

# Processes of ours still alive: java/temporal/postgres/mailpit whose command line names
# this checkout (or our postgres cluster dir).
leftovers() {
  local dir pid exe cmd
  local pg_marker; pg_marker="$(postgres_base_dir)"
  for dir in /proc/[0-9]*; do
    pid="${dir#/proc/}"
    pid_alive "$pid" || continue
    exe="$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null || true)")"
    case "$exe" in java|temporal|postgres|mailpit) ;; *) continue ;; esac
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    if [[ "$cmd" == *"$ROOT"* || "$cmd" == *"$pg_marker"* ]]; then
      echo "$pid $(cut -c1-150 <<<"$cmd")"
    fi
  done
}

cmd_fetch() {
  log stack "fetching tools for: ${PIECES[*]} (in parallel)…"
  run_parallel fetch.sh "${PIECES[@]}"
  if (( ${#FAILED[@]} )); then
    log stack "fetch FAILED for: ${FAILED[*]}"
    return 1
  fi
}

cmd_up() {
  local piece
  local -A was_running=()
  for piece in "${PIECES[@]}"; do
    if is_running "$piece"; then was_running[$piece]=1; else was_running[$piece]=0; fi
  done
  log stack "starting: ${PIECES[*]} (in parallel)…"
  run_parallel start.sh "${PIECES[@]}"
  if (( ${#FAILED[@]} )); then
    log stack "up FAILED: ${FAILED[*]}; stopping what this run started…"
    for piece in "${PIECES[@]}"; do
      if [[ "${was_running[$piece]}" == 0 ]] && is_running "$piece"; then
        "$INFRA/$piece/stop.sh" || true
      fi
    done
    return 1
  fi
  # Kafka, Temporal and Mailpit started now are supervised already (spawn); PostgreSQL, and pieces that were
  # running before, get a supervisor that watches them and runs their start.sh when they are gone.
  for piece in "${PIECES[@]}"; do
    if ! supervisor_running "$piece"; then
      supervise_running "$piece" script "$INFRA/$piece/start.sh"
      [[ "$DEV_SUPERVISE" == 1 ]] && log "$piece" "supervised (supervisor pid $(read_pid "$piece.supervisor"))"
    fi
  done
  return 0
}

cmd_down() {
  local piece
  local pieces=("${@:-${PIECES[@]}}")
  # the supervisors first: nothing is restarted while the pieces stop
  for piece in "${pieces[@]}"; do stop_supervisor "$piece"; done
  log stack "stopping: ${pieces[*]} (in parallel)…"
  run_parallel stop.sh "${pieces[@]}"
  (( $# == 0 )) || { (( ${#FAILED[@]} == 0 )); return; }   # others may run on purpose: no leftover check
  local left; left="$(leftovers)"
  if [[ -n "$left" ]]; then
    log stack "WARNING: processes of this checkout still running (not named by our pidfiles):"
    sed 's/^/[stack]   /' <<<"$left"
    return 1
  fi
  (( ${#FAILED[@]} == 0 ))
}

cmd_status() {
  local piece pid port all=0 ports_desc supervision
  for piece in "${PIECES[@]}"; do
    ports_desc=""
    for port in ${PORTS[$piece]}; do
      if tcp_open "$port"; then ports_desc+=" $port:open"; else ports_desc+=" $port:closed"; fi
    done
    supervision=""
    supervisor_running "$piece" && supervision=" supervised (pid $(read_pid "$piece.supervisor"))"
    if is_running "$piece"; then
      pid="$(read_pid "$piece")"
      printf '%-10s running  pid %-7s ports%s%s\n' "[$piece]" "$pid" "$ports_desc" "$supervision"
    else
      all=3
      printf '%-10s stopped  %-11s ports%s%s\n' "[$piece]" "" "$ports_desc" "${supervision:+ (restarting:$supervision)}"
      for port in ${PORTS[$piece]}; do
        if [[ -n "$(port_listeners "$port")" ]]; then
          printf '[%s]   port %s is held by a process that is not ours: %s\n' "$piece" "$port" \
            "$(port_listeners "$port" | grep -o 'users:.*' | head -n1)"
        fi
      done
    fi
  done
  return "$all"
}

cmd_stopped() {
  local piece
  for piece in "${PIECES[@]}"; do is_running "$piece" || echo "$piece"; done
}

[[ $# -ge 1 ]] || usage
command="$1"; shift
if [[ "$command" == stopped ]]; then cmd_stopped; exit 0; fi
for piece in "$@"; do [[ "$command" == down && " ${PIECES[*]} " == *" $piece "* ]] || usage; done
T0="$(now_ms)"
rc=0
case "$command" in
  fetch)  cmd_fetch  || rc=$? ;;
  up)     cmd_up     || rc=$? ;;
  down)   cmd_down "$@" || rc=$? ;;
  status) cmd_status || rc=$? ;;
  *) usage ;;
esac
if (( rc == 0 )); then
  log stack "$command done in $(elapsed_since "$T0")"
elif [[ "$command" == status ]]; then
  log stack "not everything is running ($(elapsed_since "$T0"))"
else
  log stack "$command FAILED after $(elapsed_since "$T0")"
fi
exit "$rc"
