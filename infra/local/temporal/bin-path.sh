#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Print the absolute path of the Temporal CLI binary installed by
# infra/local/temporal/fetch.sh (installs it first if missing; that output goes to stderr).
# For @temporalio/testing:
#   TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path } } })
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"

BIN="$TOOLS_DIR/python/bin/temporal"
if [[ ! -x "$BIN" ]]; then
  "$HERE/fetch.sh" >&2
fi
echo "$BIN"
