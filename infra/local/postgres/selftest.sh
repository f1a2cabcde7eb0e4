#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Quick proof of the access rules set by init.sh (cluster must be running):
#  - each service role reaches its own database over TCP with its password
#  - no service role reaches any other service's database
#  - wrong password and unix-socket logins for service roles are refused
# Exits non-zero if any expectation fails.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"
source "$HERE/env.sh"

NAME=postgres-selftest
PSQL="$(pg_bin_dir)/psql"
pairs_list="$(estate_list databases)" || die "$NAME" "cannot read infra/estate.json"
mapfile -t PAIRS <<<"$pairs_list"   # database:role, from the estate's one list (infra/estate.json)
pass=0 fail=0

# try ROLE PASSWORD DB [HOST] -> prints psql's answer (first line), returns psql's status
try() {
  PGPASSWORD="$2" PGCONNECT_TIMEOUT=3 "$PSQL" -X -w -h "${4:-127.0.0.1}" -p "$PG_PORT" -U "$1" -d "$3" \
    -Atc 'SELECT current_user || '"'"' @ '"'"' || current_database()' 2>&1 | head -n1
  return "${PIPESTATUS[0]}"
}
expect_ok() {
  local out
  if out="$(try "$@")"; then pass=$((pass + 1)); printf '  ok    %-22s -> %-14s %s\n' "$1" "$3" "$out"
  else fail=$((fail + 1)); printf '  FAIL  %-22s -> %-14s expected success, got: %s\n' "$1" "$3" "$out"; fi
}
expect_refused() {
  local out
  if out="$(try "$@")"; then fail=$((fail + 1)); printf '  FAIL  %-22s -> %-14s expected refusal, got: %s\n' "$1" "$3" "$out"
  else pass=$((pass + 1)); printf '  ok    %-22s -> %-14s refused: %s\n' "$1" "$3" "${out#psql: error: }"; fi
}

echo "[$NAME] own database, own password (must work):"
for p in "${PAIRS[@]}"; do expect_ok "${p##*:}" "${p##*:}" "${p%%:*}"; done

echo "[$NAME] owner can create tables in its public schema, also over ::1 when listened on:"
if out="$(PGPASSWORD=order_service "$PSQL" -X -q -w -h 127.0.0.1 -p "$PG_PORT" -U order_service -d orders -Atc \
      'CREATE TABLE selftest_t (id int); DROP TABLE selftest_t; SELECT $$created+dropped a table$$' 2>&1)"; then
  pass=$((pass + 1)); echo "  ok    order_service -> orders: $out"
else
  fail=$((fail + 1)); echo "  FAIL  order_service could not create a table in orders: $out"
fi
if ss -Hltn 'sport = :'"$PG_PORT" | grep -qF '[::1]'; then expect_ok order_service order_service orders ::1; fi

echo "[$NAME] inventory_service into orders (must fail):"
expect_refused inventory_service inventory_service orders

echo "[$NAME] every role into every other service database (must fail):"
n_cross=0 cross_fail=0
for a in "${PAIRS[@]}"; do
  for b in "${PAIRS[@]}"; do
    [[ "$a" == "$b" ]] && continue
    n_cross=$((n_cross + 1))
    if try "${a##*:}" "${a##*:}" "${b%%:*}" >/dev/null; then
      cross_fail=$((cross_fail + 1)); fail=$((fail + 1))
      echo "  FAIL  ${a##*:} could connect to ${b%%:*}"
    else
      pass=$((pass + 1))
    fi
  done
done
echo "  ok    $((n_cross - cross_fail))/$n_cross cross-database logins refused"

echo "[$NAME] other ways in (must fail):"
expect_refused order_service wrong-password orders
expect_refused order_service order_service orders "$PG_SOCKET_DIR"

echo "[$NAME] $pass passed, $fail failed"
(( fail == 0 ))
