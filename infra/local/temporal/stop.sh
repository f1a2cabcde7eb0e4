#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stop the Temporal dev server named by $ROOT/.state/pids/temporal.pid
# (SIGTERM, SIGKILL after TEMPORAL_STOP_DEADLINE_S, default 20 s). Touches nothing else.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"

STOP_DEADLINE_S="${TEMPORAL_STOP_DEADLINE_S:-20}" stop_by_pidfile temporal TERM
