#!/usr/bin/env bash
# `make down`: stops the supervisors (so nothing is restarted), then the services, then the dev
# stack — exactly what our pidfiles name, nothing else.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"
for supervisor in "$PID_DIR"/*.supervisor.pid; do
  if [[ -e "$supervisor" ]]; then stop_supervisor "$(basename "$supervisor" .supervisor.pid)"; fi
done
stop_by_pidfile load >/dev/null
"$HERE/services.sh" down
"$HERE/stack.sh" down
