# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this file
# Shared settings for infra/local/postgres/*.sh (sourced after infra/local/lib.sh).
#
# Where the cluster lives, and why not in $ROOT/.state:
#   PostgreSQL refuses to run as root, so it runs as the `postgres` system user,
#   which must be able to traverse every parent of its data directory. A checkout
#   may sit under a 0700 directory (/root, or /work on some machines), and making
#   those parents world-traversable (chmod o+x) would change permissions outside
#   the repo. So the cluster lives in /var/lib/ordersaga/<sha256(ROOT)[:12]>/
#   (postgres-owned, one per checkout) and $ROOT/.state/postgres/data is a symlink
#   to it. The server log is still $ROOT/.state/logs/postgres.log: root opens it
#   and the postmaster inherits the file descriptor, so postgres never needs to
#   reach $ROOT.
PG_PORT=5432
PG_BASE="$(postgres_base_dir)"     # /var/lib/ordersaga/<hash>
PG_DATA="$PG_BASE/data"
PG_SOCKET_DIR="$PG_BASE/run"       # our own socket dir (not Debian's /run/postgresql)
PG_LINK="$STATE_DIR/postgres/data" # symlink -> $PG_DATA

# Server binaries: $PG_BIN if set; else those of the major version our cluster
# was created with; else the newest installed (Debian: /usr/lib/postgresql/<major>/bin).
pg_bin_dir() {
  if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
  local d v
  v="$(cat "$PG_DATA/PG_VERSION" 2>/dev/null || true)"
  if [[ -n "$v" && -x "/usr/lib/postgresql/$v/bin/postgres" ]]; then
    echo "/usr/lib/postgresql/$v/bin"; return
  fi
  d="$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n1 || true)"
  [[ -n "$d" ]] && dirname "$d"
}

# Run a command as the postgres system user, from / (the caller's cwd may be
# unreadable for postgres).
as_postgres() { (cd / && runuser -u postgres -- "$@"); }

# Superuser psql over our unix socket (pg_hba: local trust for postgres only).
pg_super_psql() {
  as_postgres "$(pg_bin_dir)/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres \
    -X -q -v ON_ERROR_STOP=1 "$@"
}

# If $PG_DATA/postmaster.pid names a live postmaster of ours, (re)write our pidfile.
pg_adopt_pid() {
  local pid
  pid="$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null | tr -dc '0-9' || true)"
  if pid_is_ours "$pid" "$PG_DATA"; then
    echo "$pid" >"$(pid_file postgres)"
    return 0
  fi
  return 1
}
