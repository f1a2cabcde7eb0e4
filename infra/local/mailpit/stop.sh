#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stop the Mailpit named by $ROOT/.state/pids/mailpit.pid (SIGTERM, SIGKILL after
# MAILPIT_STOP_DEADLINE_S, default 10 s). Touches nothing else.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"

STOP_DEADLINE_S="${MAILPIT_STOP_DEADLINE_S:-10}" stop_by_pidfile mailpit TERM
