#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Rebuilds the prebuilt workflow bundle (dist/workflow-bundle.js) only when workflow code changed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"
cd "$ROOT"

bundle="dist/workflow-bundle.js"
if [[ -f "$bundle" ]] && [[ -z "$(find workflows platform/contracts activities -name '*.ts' -newer "$bundle" -print -quit)" ]] \
   && [[ package-lock.json -ot "$bundle" ]]; then
  log bundle "workflow bundle up to date"
else
  npx tsx workers/order/bundle.ts 2>&1 | grep -v '^\s' | grep -v 'webpack\|Workflow bundle created' || true
  [[ -f "$bundle" ]] || die bundle "workflow bundle was not built"
fi
