#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Start our own PostgreSQL cluster (not Debian's default one) on 127.0.0.1:5432,
# as the `postgres` system user, then run init.sh (databases + roles).
#   data:   /var/lib/ordersaga/<hash>/data  (symlinked from $ROOT/.state/postgres/data; see env.sh)
#   log:    $ROOT/.state/logs/postgres.log  pid: $ROOT/.state/pids/postgres.pid
# Env: POSTGRES_START_DEADLINE_S (default 30).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"
source "$HERE/env.sh"

NAME=postgres
DEADLINE_S="${POSTGRES_START_DEADLINE_S:-30}"
LOG="$(log_file "$NAME")"

[[ "$(id -u)" == 0 ]] || die "$NAME" "run as root (the server itself runs as the postgres user via runuser)"

# Ready = pg_isready over TCP; also picks up the postmaster pid once it is written.
pg_ready() {
  is_running "$NAME" || pg_adopt_pid || true
  "$(pg_bin_dir)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -t 1
}

t0="$(now_ms)"
if is_running "$NAME" || pg_adopt_pid; then
  log "$NAME" "already running (pid $(read_pid "$NAME")), checking it is ready…"
  wait_until "$NAME" "$DEADLINE_S" pg_ready
  "$HERE/init.sh"
  log "$NAME" "ready on 127.0.0.1:$PG_PORT (pid $(read_pid "$NAME"))"
  exit 0
fi

"$HERE/fetch.sh"
BIN="$(pg_bin_dir)"

# Debian's own cluster(s) on our port: say so and stop here; never touch them.
if command -v pg_lsclusters >/dev/null; then
  while read -r ver cluster port status _; do
    if [[ "$port" == "$PG_PORT" && "$status" == online* ]]; then
      die "$NAME" "Debian's own PostgreSQL cluster $ver/$cluster is running on port $PG_PORT. \
We do not stop it. Stop it yourself (pg_ctlcluster $ver $cluster stop) and retry."
    fi
  done < <(pg_lsclusters -h 2>/dev/null || true)
fi
require_port_free "$NAME" "$PG_PORT"

# The postgres system user (Debian's package creates it; a bare machine may not have it).
if ! id -u postgres >/dev/null 2>&1; then
  log "$NAME" "creating system user postgres"
  useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

# Cluster directory outside $ROOT, owned by postgres; symlink for humans and tools.
install -d -m 0755 -o root -g root "$(dirname "$PG_BASE")"
install -d -m 0700 -o postgres -g postgres "$PG_BASE" "$PG_SOCKET_DIR"
echo "$ROOT" >"$PG_BASE/checkout"     # which checkout this cluster belongs to
chown postgres:postgres "$PG_BASE/checkout"
mkdir -p "$(dirname "$PG_LINK")"
if [[ -e "$PG_LINK" && ! -L "$PG_LINK" ]]; then
  die "$NAME" "$PG_LINK exists and is not a symlink; move it away (the cluster lives in $PG_DATA)"
fi
ln -sfn "$PG_DATA" "$PG_LINK"

if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
  log "$NAME" "initdb $PG_DATA…"
  rm -rf "$PG_DATA"
  if ! as_postgres "$BIN/initdb" -D "$PG_DATA" -U postgres --encoding=UTF8 --locale=C \
        --auth-local=trust --auth-host=scram-sha-256 >>"$LOG" 2>&1; then
    show_log_tail "$NAME" 20
    die "$NAME" "initdb failed"
  fi
fi

# Our settings and access rules, rewritten on every start so edits here apply.
listen="127.0.0.1"
if grep -q '^00000000000000000000000000000001 .* lo$' /proc/net/if_inet6 2>/dev/null; then
  listen="127.0.0.1,::1"
fi
as_postgres tee "$PG_DATA/ordersaga.conf" >/dev/null <<CONF
# Written by infra/local/postgres/start.sh on every start; edit there.
listen_addresses = '$listen'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 200
shared_buffers = 128MB
# A commit returns once its WAL is flushed: an answer a service gave (a 202, an
# approval, a reservation) survives kill -9 of PostgreSQL. With it off, the chaos
# suite lost acknowledged orders (docs/benchmarks.md, "Chaos runs").
synchronous_commit = on
password_encryption = scram-sha-256
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
CONF
as_postgres tee "$PG_DATA/pg_hba.conf" >/dev/null <<'HBA'
# Written by infra/local/postgres/start.sh on every start; edit there.
# TYPE  DATABASE  USER      ADDRESS        METHOD
# unix socket: only the superuser, no password (used by init.sh as root->postgres)
local   all       postgres                 trust
# TCP on loopback: every role, with its password
host    all       all       127.0.0.1/32   scram-sha-256
host    all       all       ::1/128        scram-sha-256
HBA
if ! grep -q "^include_if_exists = 'ordersaga.conf'" "$PG_DATA/postgresql.conf"; then
  echo "include_if_exists = 'ordersaga.conf'" | as_postgres tee -a "$PG_DATA/postgresql.conf" >/dev/null
fi

log "$NAME" "starting…"
rm -f "$(pid_file "$NAME")"
printf '\n===== %s: starting %s =====\n' "$(date '+%F %T')" "$NAME" >>"$LOG"
# No -l: the postmaster inherits pg_ctl's stdout/stderr, i.e. our log file,
# opened here by root (postgres may not be able to reach $ROOT).
if ! as_postgres "$BIN/pg_ctl" start -D "$PG_DATA" -W -s >>"$LOG" 2>&1 </dev/null; then
  show_log_tail "$NAME" 20
  die "$NAME" "pg_ctl start failed"
fi
wait_until "$NAME" "$DEADLINE_S" pg_ready
is_running "$NAME" || pg_adopt_pid || die "$NAME" "ready, but could not read the postmaster pid from $PG_DATA/postmaster.pid"
log "$NAME" "ready in $(elapsed_since "$t0") on 127.0.0.1:$PG_PORT (pid $(read_pid "$NAME"))"
"$HERE/init.sh"
