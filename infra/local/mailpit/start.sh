#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Start Mailpit, the mail catcher the notification service delivers to in the dev stack
# (docs/decisions.md, "Notification delivery"):
#   SMTP 127.0.0.1:1025, web UI and REST API http://127.0.0.1:8025 (loopback only)
#   messages: $ROOT/.state/mailpit/mailpit.db (kept across restarts, the newest 5000)
#   log: $ROOT/.state/logs/mailpit.log   pid: $ROOT/.state/pids/mailpit.pid
# Env: MAILPIT_START_DEADLINE_S (default 30).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"

NAME=mailpit
SMTP_PORT=1025
UI_PORT=8025
DEADLINE_S="${MAILPIT_START_DEADLINE_S:-30}"
BIN="$TOOLS_DIR/mailpit/mailpit"
DB="$STATE_DIR/mailpit/mailpit.db"

# Ready = the API says so (/readyz) and SMTP accepts connections.
mailpit_ready() {
  curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$UI_PORT/readyz" && tcp_open "$SMTP_PORT"
}

t0="$(now_ms)"
if is_running "$NAME"; then
  log "$NAME" "already running (pid $(read_pid "$NAME")), checking it is ready…"
  wait_until "$NAME" "$DEADLINE_S" mailpit_ready
  log "$NAME" "ready: SMTP 127.0.0.1:$SMTP_PORT, UI http://127.0.0.1:$UI_PORT (pid $(read_pid "$NAME"))"
  exit 0
fi

"$HERE/fetch.sh"
require_port_free "$NAME" "$SMTP_PORT"
require_port_free "$NAME" "$UI_PORT"
mkdir -p "$(dirname "$DB")"

log "$NAME" "starting…"
spawn "$NAME" "$BIN" \
  --smtp "127.0.0.1:$SMTP_PORT" --listen "127.0.0.1:$UI_PORT" \
  --database "$DB" --max 5000 \
  --smtp-auth-accept-any --smtp-auth-allow-insecure \
  --disable-version-check --quiet
wait_until "$NAME" "$DEADLINE_S" mailpit_ready
log "$NAME" "ready in $(elapsed_since "$t0"): SMTP 127.0.0.1:$SMTP_PORT, UI http://127.0.0.1:$UI_PORT (pid $(read_pid "$NAME"))"
