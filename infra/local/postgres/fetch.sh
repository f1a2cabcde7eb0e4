#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Make sure PostgreSQL server binaries are installed (Debian's `postgresql`).
# On a fresh machine: apt-get update + apt-get install -y postgresql, without
# letting the package start Debian's default cluster (it would take port 5432).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"
source "$HERE/env.sh"

NAME=postgres
if bin="$(pg_bin_dir)" && [[ -n "$bin" && -x "$bin/initdb" && -x "$bin/pg_ctl" ]]; then
  log "$NAME" "binaries present ($("$bin/postgres" --version))"
  exit 0
fi

apt_install "$NAME" postgresql
bin="$(pg_bin_dir)"
[[ -n "$bin" && -x "$bin/initdb" ]] || die "$NAME" "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
log "$NAME" "binaries present ($("$bin/postgres" --version))"
