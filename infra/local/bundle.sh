#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Rebuilds the prebuilt workflow bundles (dist/workflow-bundle.js for the order worker,
# dist/shipment-workflow-bundle.js for the fulfillment worker) only when workflow code changed,
# and the web console the gateway serves at / (console/dist) only when its source did.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"
cd "$ROOT"

bundle="dist/workflow-bundle.js"
shipments="dist/shipment-workflow-bundle.js"
if [[ -f "$bundle" && -f "$shipments" ]] && [[ -z "$(find workflows platform/contracts activities -name '*.ts' -newer "$bundle" -print -quit)" ]] \
   && [[ package-lock.json -ot "$bundle" ]]; then
  log bundle "workflow bundle up to date"
else
  if npx tsx workers/order/bundle.ts >"$(log_file bundle)" 2>&1; then
    grep '^\[bundle\]' "$(log_file bundle)"
  else
    show_log_tail bundle 30
    die bundle "workflow bundle was not built"
  fi
fi

console="console/dist/index.html"
if [[ -f "$console" ]] && [[ -z "$(find console/src console/index.html console/vite.config.ts console/budget.ts platform/contracts/demo-triggers.ts -newer "$console" -print -quit)" ]] \
   && [[ package-lock.json -ot "$console" ]]; then
  log console "web console up to date"
else
  # vite fails the build over the bundle budget (console/budget.ts), naming the size
  if npm run -s console:build >"$(log_file console)" 2>&1; then
    grep 'bundle budget' "$(log_file console)" | sed 's/^\[plugin [^]]*\] /[console] /'
  else
    show_log_tail console 30
    die console "web console was not built"
  fi
fi
