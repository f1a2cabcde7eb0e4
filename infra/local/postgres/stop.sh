#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stop our PostgreSQL cluster (the postmaster named by $ROOT/.state/pids/postgres.pid):
# pg_ctl stop -m fast, then SIGKILL after POSTGRES_STOP_DEADLINE_S (default 20 s).
# Never touches Debian's own clusters.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"
source "$HERE/env.sh"

NAME=postgres
DEADLINE_S="${POSTGRES_STOP_DEADLINE_S:-20}"

# its supervisor first (infra/local/supervise.sh), or it would start PostgreSQL again
stop_supervisor "$NAME"

# A postmaster of ours whose pidfile got lost (e.g. .state was wiped) is still ours.
is_running "$NAME" || pg_adopt_pid || true
if ! is_running "$NAME"; then
  log "$NAME" "not running"
  rm -f "$(pid_file "$NAME")"
  exit 0
fi

pid="$(read_pid "$NAME")"
t0="$(now_ms)"
log "$NAME" "stopping pid $pid (pg_ctl stop -m fast)…"
if as_postgres "$(pg_bin_dir)/pg_ctl" stop -D "$PG_DATA" -m fast -w -t "$DEADLINE_S" -s >>"$(log_file "$NAME")" 2>&1; then
  rm -f "$(pid_file "$NAME")"
  log "$NAME" "stopped in $(elapsed_since "$t0")"
else
  log "$NAME" "pg_ctl stop did not finish in ${DEADLINE_S}s, falling back to signals"
  STOP_DEADLINE_S=5 stop_by_pidfile "$NAME" QUIT   # SIGQUIT = immediate shutdown
fi
