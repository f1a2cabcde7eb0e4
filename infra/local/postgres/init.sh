#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Idempotent: one database per service, owned by one LOGIN role that can reach
# only that database. Dev passwords = role names. Needs the cluster running.
# The databases and their roles: infra/estate.json (the estate's one list).
#
# Connection string: postgres://<role>:<role>@127.0.0.1:5432/<database>
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
source "$HERE/../lib.sh"
source "$HERE/env.sh"

NAME=postgres
databases_list="$(estate_list databases)" || die "$NAME" "cannot read infra/estate.json"
mapfile -t DATABASES <<<"$databases_list"   # database:role, from the estate's one list

t0="$(now_ms)"
log "$NAME" "init: databases and roles…"

# 1) roles and databases (CREATE DATABASE cannot run inside DO/transactions: \gexec)
sql=""
for pair in "${DATABASES[@]}"; do
  db="${pair%%:*}" role="${pair##*:}"
  sql+="
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN;
  END IF;
END \$\$;
ALTER ROLE $role WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '$role';
SELECT format('CREATE DATABASE %I OWNER %I', '$db', '$role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db')\\gexec
ALTER DATABASE $db OWNER TO $role;
-- nobody but the owner (and superusers) may connect
REVOKE ALL ON DATABASE $db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE $db TO $role;
"
done
pg_super_psql -d postgres <<<"$sql"

# 2) inside each database: the public schema belongs to the service role alone
for pair in "${DATABASES[@]}"; do
  db="${pair%%:*}" role="${pair##*:}"
  pg_super_psql -d "$db" <<SQL
ALTER SCHEMA public OWNER TO $role;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT ALL ON SCHEMA public TO $role;
SQL
done

log "$NAME" "init done in $(elapsed_since "$t0"): ${#DATABASES[@]} databases, each reachable only by its own role"
