#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Prints the local gateway's token secret (GATEWAY_JWT_SECRET, HS256), making it the first time:
# 48 random bytes, base64, in .state/gateway-secret (gitignored, mode 0600). services.sh gives it to
# the gateway; the tools (make token, the demo, the load generator, the tests) read the same file
# (platform/identity.ts). Delete the file to rotate it: tokens signed with the old one stop working.
# See docs/security.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/lib.sh"

secret_file="$STATE_DIR/gateway-secret"
if [[ ! -s "$secret_file" ]]; then
  ( umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' >"$secret_file.tmp" && mv "$secret_file.tmp" "$secret_file" )
  log gateway "new local token secret in .state/gateway-secret (tokens: make token CUSTOMER=cust-kim)" >&2
fi
cat "$secret_file"
