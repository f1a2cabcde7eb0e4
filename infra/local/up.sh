#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `make up`: the whole estate on this machine, from nothing to a demo batch, then stays up until
# Ctrl-C and stops what it started.
#
#   1. fetch what is missing (npm packages, Temporal CLI, Kafka jars, PostgreSQL)
#   2. start PostgreSQL, Kafka and Temporal (in parallel)
#   3. migrations and topics, the prebuilt workflow bundle
#   4. the seven services, each waited for on /health
#   5. seed the catalogue, run the demo batch, print where to look
#
# Everything started in steps 2 and 4 is supervised (infra/local/supervise.sh): a piece that dies is
# restarted with backoff, as compose's `restart: unless-stopped` would; restarts are logged in
# .state/logs/supervisor.log. `make down` (or Ctrl-C) stops the supervisors first. DEV_SUPERVISE=0: none.
#
# UP_DETACH=1 returns after step 5 and leaves everything running (`make down` stops it).
# UP_LOAD_RATE=N keeps a gentle stream of N mixed orders per second flowing (the load generator,
# an hour at a time, restarted while up), so a demo always has traffic.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"
cd "$ROOT"

began="$(now_ms)"
started_stack=0

stop_everything() {
  trap - INT TERM EXIT
  echo
  log up "stopping…"
  stop_by_pidfile load >/dev/null 2>&1 || true
  "$HERE/services.sh" down || true
  (( started_stack )) && "$HERE/stack.sh" down "${stack_was_down[@]}" || true
}

# stack_was_down: the pieces of the dev stack `make up` found stopped, so Ctrl-C stops only what
# this run started.
mapfile -t stack_was_down < <("$HERE/stack.sh" stopped)

log up "1/5 fetching dependencies…"
"$HERE/fetch.sh"
use_fetched_node   # the Node 24 that fetch.sh may just have put in .tools/node

log up "2/5 starting the dev stack…"
trap stop_everything INT TERM
(( ${#stack_was_down[@]} == 0 )) || started_stack=1
"$HERE/stack.sh" up || { stop_everything; exit 1; }

log up "3/5 migrations, topics, workflow bundle…"
{ npx tsx infra/programs/setup/setup.ts && "$HERE/bundle.sh"; } || { log up "setup FAILED"; stop_everything; exit 1; }

log up "4/5 starting the services…"
"$HERE/services.sh" up || { stop_everything; exit 1; }
log up "estate ready in $(elapsed_since "$began") (from make up to every service healthy)"

log up "5/5 seeding the catalogue and running the demo batch…"
{ npx tsx infra/programs/setup/seed.ts && npx tsx infra/programs/setup/demo.ts; } || { log up "demo FAILED"; stop_everything; exit 1; }

cat <<SUMMARY

  ordersaga is up ($(elapsed_since "$began") in all)
    console      http://localhost:8080/  (sign in as a demo customer or admin; docs/console.md)
    gateway      http://localhost:8080   (API reference: http://localhost:8080/docs)
    a token      TOKEN=\$(make -s token CUSTOMER=cust-kim)   (ROLE=admin for KPIs and listings; docs/security.md)
                 curl -H "Authorization: Bearer \$TOKEN" localhost:8080/orders
    Temporal UI  http://localhost:8233   (filter: OrderStatus = "COMPLETED")
    mail UI      http://localhost:8025   (the demo customers' notifications, Korean and English)
    KPIs         curl -H "Authorization: Bearer \$(make -s token CUSTOMER=ops ROLE=admin)" localhost:8080/analytics/kpis
    logs         $ROOT/.state/logs/<service>.log
    supervised   a process that dies is restarted with backoff ($ROOT/.state/logs/supervisor.log)

SUMMARY

if [[ -n "${UP_LOAD_RATE:-}" ]]; then
  log up "continuous traffic: ${UP_LOAD_RATE} orders/s (log: .state/logs/load.log)"
  DEV_SUPERVISE=0 spawn load bash -c "while true; do node --import tsx '$ROOT/loadgen/main.ts' --rate '$UP_LOAD_RATE' --duration 3600 --plain || sleep 5; done"
fi

if [[ "${UP_DETACH:-0}" == 1 ]]; then
  log up "detached; stop it all with: make down"
  exit 0
fi
log up "running; press Ctrl-C to stop everything this started"
trap stop_everything INT TERM EXIT
while true; do sleep 3600 & wait $!; done
