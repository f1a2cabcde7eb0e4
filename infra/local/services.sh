#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The seven ordersaga services, each a Node process started from this checkout.
#
#   infra/local/services.sh up       start every service not yet running, wait until each answers /health
#   infra/local/services.sh down     stop exactly the services our pidfiles name
#   infra/local/services.sh status   running/stopped per service, with its port and supervisor
#
# Each service runs under a supervisor (supervise.sh) that restarts it with backoff when it dies,
# as compose's `restart: unless-stopped` would; `down` stops the supervisor first. A service found
# running without one is given one (restarts then use this caller's environment).
# DEV_SUPERVISE=0 starts them unsupervised.
# Logs: .state/logs/<service>.log (JSON lines with trace ids). Requires the dev stack (stack.sh up)
# and `npm run setup` first; `make up` does all of it in order.
# Environment: the caller's passes through to every service (OTEL_EXPORTER_OTLP_ENDPOINT,
# OTEL_SDK_DISABLED, OTEL_LOGS_EXPORTER, …; `make test` points them at its OTLP receiver this way);
# OTEL_SERVICE_NAME is set per service.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"
cd "$ROOT"
# The gateway's token secret (docs/security.md): made once, kept in .state/gateway-secret; without key material it does not start.
[[ -n "${GATEWAY_JWKS_URL:-}" ]] || export GATEWAY_JWT_SECRET="${GATEWAY_JWT_SECRET:-$("$HERE/gateway-secret.sh")}"
# payment-sim's ledger journal on local disk (docs/payment-telegram.md#the-ledger): one directory per
# ledger database, so the suite's simulator (database payments_test) never replays the user's journal.
# PAYMENT_LEDGER_JOURNAL_DIR= (set and empty) runs the simulator on PostgreSQL's group commit instead.
if [[ -z "${PAYMENT_LEDGER_JOURNAL_DIR+set}" ]]; then
  ledger_db="${PAYMENT_DATABASE_URL:-postgres://localhost:5432/payments}"
  ledger_db="${ledger_db%%\?*}"
  export PAYMENT_LEDGER_JOURNAL_DIR="$STATE_DIR/payment-ledger/${ledger_db##*/}"
fi
# The web console's dev login (POST /dev/login) on this local estate; never with an identity provider's keys.
[[ -n "${GATEWAY_JWKS_URL:-}" ]] || export GATEWAY_DEV_LOGIN="${GATEWAY_DEV_LOGIN:-true}"

# name  entry point  HTTP port  [other ports], in start order: the estate's one list (infra/estate.json)
services_list="$(estate_list services)" || die services "cannot read infra/estate.json"
mapfile -t SERVICES <<<"$services_list"
# Each service's node flags (estate.json `nodeFlags`), given to node before its entry point.
declare -A NODE_FLAGS=()
while read -r name flags; do NODE_FLAGS[$name]="$flags"; done <<<"$(estate_list node-flags)" || die services "cannot read infra/estate.json"
DEADLINE_S="${SERVICES_START_DEADLINE_S:-60}"
export DEV_SUPERVISE="${DEV_SUPERVISE:-1}"

health_ok() { curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$1/health"; }

cmd_up() {
  local start entry name main port extra p
  start="$(now_ms)"
  # Check every port before starting anything, so a taken port fails fast and names its culprit.
  for entry in "${SERVICES[@]}"; do
    read -r name main port extra <<<"$entry"
    { is_running "$name" || supervisor_running "$name"; } && continue
    for p in $port $extra; do require_port_free "$name" "$p"; done
  done
  for entry in "${SERVICES[@]}"; do
    read -r name main port extra <<<"$entry"
    local flags=()
    read -r -a flags <<<"${NODE_FLAGS[$name]:-}"
    local command=(node --enable-source-maps --import tsx --import "$ROOT/platform/telemetry/preload.mjs" "${flags[@]}" "$ROOT/$main")
    if is_running "$name"; then
      if supervisor_running "$name" || [[ "$DEV_SUPERVISE" != 1 ]]; then
        log "$name" "already running (pid $(read_pid "$name"))"
      else
        OTEL_SERVICE_NAME="$name" supervise_running "$name" exec "${command[@]}"
        log "$name" "already running (pid $(read_pid "$name")), now supervised"
      fi
      continue
    fi
    if supervisor_running "$name"; then
      log "$name" "down, being restarted by its supervisor (pid $(read_pid "$name.supervisor"))"
      continue
    fi
    log "$name" "starting on :$port…"
    OTEL_SERVICE_NAME="$name" spawn "$name" "${command[@]}"
  done
  for entry in "${SERVICES[@]}"; do
    read -r name main port extra <<<"$entry"
    wait_until "$name" "$DEADLINE_S" health_ok "$port"
    log "$name" "healthy on :$port"
  done
  log services "all ${#SERVICES[@]} services healthy in $(elapsed_since "$start")"
}

cmd_down() {
  local i name
  # Stop in reverse order: the gateway first, the payment simulator last.
  for (( i=${#SERVICES[@]}-1; i>=0; i-- )); do
    read -r name _ <<<"${SERVICES[$i]}"
    stop_by_pidfile "$name"
  done
}

cmd_status() {
  local entry name main port extra all=0 supervision
  for entry in "${SERVICES[@]}"; do
    read -r name main port extra <<<"$entry"
    supervision=""
    supervisor_running "$name" && supervision="supervised (pid $(read_pid "$name.supervisor"))"
    if is_running "$name"; then
      printf '%-14s running  pid %-8s :%-10s %s\n' "$name" "$(read_pid "$name")" "$port $extra" "$supervision"
    elif [[ -n "$supervision" ]]; then
      printf '%-14s restarting  %s\n' "$name" "$supervision"; all=3
    else
      printf '%-14s stopped\n' "$name"; all=3
    fi
  done
  return "$all"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
