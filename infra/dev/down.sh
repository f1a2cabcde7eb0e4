#!/usr/bin/env bash
# `make down`: stops the services, then the dev stack — exactly what our pidfiles name, nothing else.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"
stop_by_pidfile load >/dev/null
"$HERE/services.sh" down
"$HERE/stack.sh" down
