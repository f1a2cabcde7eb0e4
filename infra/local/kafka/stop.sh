#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stop the Kafka broker named by $ROOT/.state/pids/kafka.pid (controlled shutdown
# on SIGTERM; SIGKILL after KAFKA_STOP_DEADLINE_S, default 30 s). Touches nothing else.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"

STOP_DEADLINE_S="${KAFKA_STOP_DEADLINE_S:-30}" stop_by_pidfile kafka TERM
