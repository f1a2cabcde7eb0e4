# shellcheck shell=bash
# Shared helpers for the no-Docker dev stack (postgres, kafka, temporal).
# Source it from a script that has already done `set -euo pipefail`:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
#
# Layout (fixed, other code depends on it):
#   $ROOT/.state/logs/<name>.log   one log per piece
#   $ROOT/.state/pids/<name>.pid   pid of the process we started (plain number)
#   $ROOT/.state/<name>/...        data of each piece
#   $ROOT/.tools/...               downloaded tools (venv, kafka jars, node)

# --- paths -----------------------------------------------------------------
# shellcheck disable=SC2034  # used by the scripts that source this file
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
STATE_DIR="$ROOT/.state"
TOOLS_DIR="$ROOT/.tools"
LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/pids"
mkdir -p "$LOG_DIR" "$PID_DIR"

# The estate's Node.js (infra/local/node.sh fetches it into .tools/node when the machine's is older than
# 24): first on PATH for every script that sources this file, and so for all they start.
use_fetched_node() {
  if [[ -x "$TOOLS_DIR/node/bin/node" && ":$PATH:" != *":$TOOLS_DIR/node/bin:"* ]]; then
    export PATH="$TOOLS_DIR/node/bin:$PATH"
  fi
  return 0
}
use_fetched_node

log_file() { echo "$LOG_DIR/$1.log"; }
pid_file() { echo "$PID_DIR/$1.pid"; }

# --- the estate ------------------------------------------------------------
# The estate's one list (infra/estate.json), one line per entry, for a script to read:
#   estate_list services     "name entry httpPort [otherPorts…]", in start order
#   estate_list names        the service names, in start order
#   estate_list databases    "database:role"
estate_list() {
  node -e '
    const [file, kind] = process.argv.slice(1);
    const estate = require(file);
    const rows = {
      services: () => estate.services.map((s) => [s.name, s.entry, s.httpPort, ...(s.otherPorts ?? [])].join(" ")),
      names: () => estate.services.map((s) => s.name),
      "node-flags": () => estate.services.map((s) => [s.name, ...(s.nodeFlags ?? [])].join(" ")),
      databases: () => estate.databases.map((d) => `${d.name}:${d.role}`),
    }[kind];
    if (!rows) { console.error(`estate_list: no list ${kind} (services, names, node-flags, databases)`); process.exit(2); }
    console.log(rows().join("\n"));
  ' "$ROOT/infra/estate.json" "$1"
}

# --- output ----------------------------------------------------------------
# log NAME MESSAGE...   ->  [name] message
log() {
  local name="$1"; shift
  printf '[%s] %s\n' "$name" "$*"
}

# die NAME MESSAGE...   ->  [name] ERROR: message (stderr), exit 1
die() {
  local name="$1"; shift
  printf '[%s] ERROR: %s\n' "$name" "$*" >&2
  exit 1
}

# show_log_tail NAME [LINES]  -> last lines of the piece's log, on stderr
show_log_tail() {
  local name="$1" lines="${2:-20}" file
  file="$(log_file "$name")"
  if [[ -s "$file" ]]; then
    printf '[%s] ---- last %s lines of %s ----\n' "$name" "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2
    printf '[%s] ---- end of log ----\n' "$name" >&2
  else
    printf '[%s] (log %s is empty or missing)\n' "$name" "$file" >&2
  fi
}

# --- time ------------------------------------------------------------------
now_ms() { date +%s%3N; }

# elapsed_since START_MS  -> "2.1s"
elapsed_since() {
  local start="$1" ms
  ms=$(( $(now_ms) - start ))
  printf '%d.%ds' $(( ms / 1000 )) $(( (ms % 1000) / 100 ))
}

# --- processes -------------------------------------------------------------
# The pid in a pidfile only counts as "ours" while that process is alive and its
# command line still mentions our marker (by default $ROOT), so a recycled pid
# never makes us skip a start or kill a stranger.
piece_marker() {
  case "$1" in
    postgres) postgres_base_dir ;;
    *) echo "$ROOT" ;;
  esac
}

# read_pid NAME  -> prints the pid from the pidfile (nothing if absent/garbage)
read_pid() {
  local file pid
  file="$(pid_file "$1")"
  [[ -f "$file" ]] || return 0
  pid="$(head -n1 "$file" 2>/dev/null | tr -dc '0-9')"
  [[ -n "$pid" ]] && echo "$pid"
  return 0
}

# pid_alive PID  -> true if PID exists and is not a zombie (kill -0 says yes to zombies)
pid_alive() {
  local state
  [[ -n "$1" && -r "/proc/$1/stat" ]] || return 1
  state="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# pid_is_ours PID MARKER  -> true if PID is alive and its cmdline contains MARKER
pid_is_ours() {
  local pid="$1" marker="$2"
  pid_alive "$pid" || return 1
  # grep reads from a process substitution, not a pipe: with pipefail, `tr | grep -q` fails when
  # grep stops early on a command line longer than a pipe holds (Java's class path)
  grep -qF -- "$marker" < <(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
}

# is_running NAME  -> true if the pidfile names a live process of ours
is_running() {
  local pid
  pid="$(read_pid "$1")"
  pid_is_ours "$pid" "$(piece_marker "$1")"
}

# spawn NAME CMD...  start CMD in its own session (setsid), stdout+stderr appended
# to the piece's log, stdin from /dev/null; the pid (== process group id) is
# written to the pidfile by the child itself, so it is right whether or not
# setsid had to fork.
# With DEV_SUPERVISE=1 (services.sh and stack.sh set it unless told otherwise)
# CMD runs under a supervisor (supervise.sh) that starts it again when it dies;
# the pidfile still names CMD's own process. If a supervisor of NAME is already
# there (the piece died and is about to be restarted), nothing more is started.
spawn() {
  local name="$1"; shift
  local pidf; pidf="$(pid_file "$name")"
  if [[ "${DEV_SUPERVISE:-0}" == 1 ]]; then
    if supervisor_running "$name"; then
      log "$name" "supervised (supervisor pid $(read_pid "$name.supervisor")): it restarts $name itself"
      return 0
    fi
    # the supervisor clears the pidfile itself, under its lock: a racing second `up` must not
    # remove the pidfile of the piece the first one just started
    setsid "$ROOT/infra/local/supervise.sh" "$name" exec "$@" </dev/null >>"$(log_file "$name")" 2>&1 &
  else
    rm -f "$pidf"
    printf '\n===== %s: starting %s =====\n' "$(date '+%F %T')" "$name" >>"$(log_file "$name")"
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' spawn "$pidf" "$@" \
      </dev/null >>"$(log_file "$name")" 2>&1 &
  fi
  local _
  for _ in $(seq 1 50); do
    [[ -s "$pidf" ]] && return 0
    sleep 0.05
  done
  die "$name" "process did not write its pidfile $pidf"
}

# --- supervision -----------------------------------------------------------
# Each supervised piece has a supervisor (infra/local/supervise.sh, see there)
# whose own pid is in .state/pids/<name>.supervisor.pid.

# supervisor_running NAME  -> true if NAME's supervisor is alive
supervisor_running() {
  pid_is_ours "$(read_pid "$1.supervisor")" "$ROOT/infra/local/supervise.sh"
}

# supervise_running NAME MODE CMD...  put a supervisor on a piece that runs
# without one (started before supervision, or with DEV_SUPERVISE=0); no-op when
# DEV_SUPERVISE is not 1 or the piece already has one. MODE and CMD: supervise.sh.
supervise_running() {
  local name="$1"; shift
  [[ "${DEV_SUPERVISE:-0}" == 1 ]] || return 0
  supervisor_running "$name" && return 0
  setsid "$ROOT/infra/local/supervise.sh" "$name" "$@" </dev/null >>"$(log_file "$name")" 2>&1 &
  local _
  for _ in $(seq 1 50); do
    supervisor_running "$name" && return 0
    sleep 0.05
  done
  die "$name" "its supervisor did not start (see $(log_file "$name"))"
}

# stop_supervisor NAME  tell NAME's supervisor to stand down, so a piece about
# to be stopped is not restarted; waits for it (a restart under way is finished
# first: up to SUPERVISOR_STOP_DEADLINE_S, default 60 s, then SIGKILL).
stop_supervisor() {
  local name="$1" pid start
  local deadline_s="${SUPERVISOR_STOP_DEADLINE_S:-60}"
  pid="$(read_pid "$name.supervisor")"
  if ! supervisor_running "$name"; then
    rm -f "$(pid_file "$name.supervisor")"; return 0
  fi
  start="$(now_ms)"
  kill -s TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid"; do
    if (( $(now_ms) - start > deadline_s * 1000 )); then
      log "$name" "supervisor still busy after ${deadline_s}s, sending SIGKILL"
      kill -s KILL "$pid" 2>/dev/null || true
      sleep 0.2
      break
    fi
    sleep 0.1
  done
  rm -f "$(pid_file "$name.supervisor")"
  log "$name" "supervisor (pid $pid) stood down"
}

# stop_by_pidfile NAME [SIGNAL]
# Stops NAME's supervisor first, if it has one (see stop_supervisor).
# SIGNAL (default TERM) to the process - or its whole process group when it
# leads one (we started it with setsid) - wait up to STOP_DEADLINE_S
# (default 20 s), then KILL. Removes the pidfile. Never touches anything the
# pidfile does not name.
stop_by_pidfile() {
  local name="$1" sig="${2:-TERM}"
  local deadline_s="${STOP_DEADLINE_S:-20}"
  local pidf pid target start
  # first the supervisor, or it would start the piece again once it is gone
  stop_supervisor "$name"
  pidf="$(pid_file "$name")"
  pid="$(read_pid "$name")"
  if [[ -z "$pid" ]]; then
    log "$name" "not running (no pidfile)"
    rm -f "$pidf"; return 0
  fi
  if ! pid_is_ours "$pid" "$(piece_marker "$name")"; then
    log "$name" "not running (stale pidfile, pid $pid is gone or not ours)"
    rm -f "$pidf"; return 0
  fi
  target="$pid"
  if [[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" == "$pid" ]]; then
    target="-$pid"          # group leader: signal the whole group
  fi
  start="$(now_ms)"
  log "$name" "stopping pid $pid (SIG$sig)…"
  kill -s "$sig" -- "$target" 2>/dev/null || true
  while pid_alive "$pid"; do
    if (( $(now_ms) - start > deadline_s * 1000 )); then
      log "$name" "still alive after ${deadline_s}s, sending SIGKILL"
      kill -s KILL -- "$target" 2>/dev/null || true
      sleep 0.2
      break
    fi
    sleep 0.1
  done
  # a KILLed group leader may leave group members behind for a moment
  if [[ "$target" == -* ]]; then
    kill -s KILL -- "$target" 2>/dev/null || true
  fi
  rm -f "$pidf"
  log "$name" "stopped in $(elapsed_since "$start")"
}

# --- ports -----------------------------------------------------------------
# port_listeners PORT  -> `ss` lines of TCP listeners on PORT (any address)
port_listeners() {
  ss -Hltnp "sport = :$1" 2>/dev/null || true
}

# require_port_free NAME PORT  fail at once if anything listens on PORT
require_port_free() {
  local name="$1" port="$2" lines
  lines="$(port_listeners "$port")"
  [[ -z "$lines" ]] && return 0
  printf '[%s] ERROR: port %s is already taken by a process that is not ours:\n' "$name" "$port" >&2
  printf '%s\n' "$lines" | sed "s/^/[$name]   /" >&2
  local pids pid
  pids="$(printf '%s\n' "$lines" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)"
  for pid in $pids; do
    printf '[%s]   pid %s: %s\n' "$name" "$pid" \
      "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)" >&2
  done
  printf '[%s] %s needs port %s; stop that process (or free the port) and retry.\n' "$name" "$name" "$port" >&2
  exit 1
}

# tcp_open PORT [HOST]  -> true if a TCP connect succeeds within 1 s
tcp_open() {
  timeout 1 bash -c "exec 3<>/dev/tcp/${2:-127.0.0.1}/$1" 2>/dev/null
}

# --- waiting ---------------------------------------------------------------
# wait_until NAME DEADLINE_S CMD...
# Run CMD (quietly) every 0.2 s until it succeeds. Fails early if the piece's
# pidfile names a process that died, unless a supervisor is there to restart
# it. On timeout prints the last 20 log lines
# and exits non-zero naming the piece.
wait_until() {
  local name="$1" deadline_s="$2"; shift 2
  local start; start="$(now_ms)"
  while true; do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if [[ -f "$(pid_file "$name")" ]] && ! is_running "$name" && ! supervisor_running "$name"; then
      show_log_tail "$name" 20
      die "$name" "process exited while waiting for: $*"
    fi
    if (( $(now_ms) - start > deadline_s * 1000 )); then
      show_log_tail "$name" 20
      die "$name" "not ready after ${deadline_s}s (waiting for: $*)"
    fi
    sleep 0.2
  done
}

# --- apt -------------------------------------------------------------------
# apt_install NAME PKG...  apt-get update + install -y, for a fresh machine.
# Serialised between our own parallel fetches (flock), waits for a foreign dpkg
# lock, and keeps packages from starting services (e.g. Debian's default
# PostgreSQL cluster on 5432) via a temporary policy-rc.d (exit 101) when the
# machine has none. Output goes to $LOG_DIR/apt.log.
apt_install() {
  local name="$1"; shift
  [[ "$(id -u)" == 0 ]] || die "$name" "need root to apt-get install $*"
  command -v apt-get >/dev/null || die "$name" "apt-get not found; install $* yourself"
  local t0 rc=0; t0="$(now_ms)"
  log "$name" "apt-get install $*…"
  (
    exec 9>"$STATE_DIR/apt.lock"
    flock 9
    policy=/usr/sbin/policy-rc.d added=0
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\n# temporary, from ordersaga infra/local/lib.sh apt_install\nexit 101\n' >"$policy"
      chmod +x "$policy"; added=1
    fi
    trap 'if [[ $added == 1 ]]; then rm -f "$policy"; fi' EXIT
    apt-get -q -o DPkg::Lock::Timeout=300 update &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=300 "$@"
  ) >>"$LOG_DIR/apt.log" 2>&1 || rc=$?
  if (( rc != 0 )); then
    tail -n 20 "$LOG_DIR/apt.log" >&2
    die "$name" "apt-get install $* failed (full output: $LOG_DIR/apt.log)"
  fi
  log "$name" "installed $* in $(elapsed_since "$t0")"
}

# --- misc ------------------------------------------------------------------
# sha256 of files, concatenated (stamp for "already fetched")
files_sha256() { cat "$@" | sha256sum | cut -d' ' -f1; }

# Where our own PostgreSQL cluster lives. It is NOT under $ROOT: PostgreSQL
# must run as the `postgres` user, which may not be able to traverse the
# parents of $ROOT (e.g. /work or /root being 0700). One directory per
# checkout, keyed by a hash of $ROOT; $ROOT/.state/postgres/data is a symlink.
postgres_base_dir() {
  echo "/var/lib/ordersaga/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
}
