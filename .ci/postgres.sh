#!/usr/bin/env bash
# Install (from Debian's packages) and start a PostgreSQL server for the test suite,
# then print the TEST_POSTGRES_URL to use. Prints nothing if it cannot.
set -uo pipefail
log=/tmp/approdo-postgres.log
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >>"$log" 2>&1 || exit 0
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then
  pg_createcluster "$version" main >>"$log" 2>&1 || exit 0
fi
pg_ctlcluster "$version" main start >>"$log" 2>&1 || pg_lsclusters -h | grep -q online || exit 0
for _ in $(seq 1 30); do
  su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='approdo'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"create role approdo login superuser password 'approdo'\"" >>"$log" 2>&1 || exit 0
su postgres -c "psql -qtAc \"select 1 from pg_database where datname='approdo_test'\"" | grep -q 1 ||
  su postgres -c "createdb -O approdo approdo_test" >>"$log" 2>&1 || exit 0
echo "postgresql+psycopg://approdo:approdo@127.0.0.1:5432/approdo_test"
