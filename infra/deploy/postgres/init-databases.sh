#!/usr/bin/env bash
# First start of an empty PostgreSQL data directory (the official image runs every script in
# /docker-entrypoint-initdb.d once): one database per service, owned by one LOGIN role that can
# reach only that database. The same layout as infra/local/postgres/init.sh gives the dev stack, and the
# same dev passwords (= role names); the service URLs in compose.yaml and the Kubernetes dev
# overlay match it (test/deploy checks that). The list is infra/estate.json's; this script runs in the
# database's container, where nothing can read that file, so it spells the list and
# test/deploy/estate.test.ts keeps the two equal. Used by compose and, through the kustomization
# beside it, by the Kubernetes dev overlay's PostgreSQL.
#
#   database       role
#   orders         order_service
#   inventory      inventory_service
#   fulfillment    fulfillment_service
#   analytics      analytics_service
#   notifications  notification_service
#   payments       payment_service
set -euo pipefail

DATABASES=(
  "orders:order_service"
  "inventory:inventory_service"
  "fulfillment:fulfillment_service"
  "analytics:analytics_service"
  "notifications:notification_service"
  "payments:payment_service"
)

as_superuser() { psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --no-password --quiet "$@"; }

for pair in "${DATABASES[@]}"; do
  db="${pair%%:*}" role="${pair##*:}"
  echo "[init-databases] $db (role $role)"
  as_superuser --dbname "${POSTGRES_DB:-postgres}" <<SQL
CREATE ROLE $role WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '$role';
CREATE DATABASE $db OWNER $role;
-- nobody but the owner (and superusers) may connect
REVOKE ALL ON DATABASE $db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE $db TO $role;
SQL
  # inside the database: the public schema belongs to the service role alone
  as_superuser --dbname "$db" <<SQL
ALTER SCHEMA public OWNER TO $role;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT ALL ON SCHEMA public TO $role;
SQL
done
echo "[init-databases] ${#DATABASES[@]} databases, each reachable only by its own role"
