#!/usr/bin/env bash
# Runs once, when the postgres container initialises its data directory (docker-entrypoint-initdb.d).
# Two roles, neither a superuser:
#   ticketing_owner  owns the database and its tables: runs `migrate` (the compose `migrate` job)
#   ticketing_app    what web, worker and beat connect as: reads and writes rows, nothing more. It
#                    owns no table, so it cannot drop one, disable the audit triggers (core
#                    0003, seating 0005) or TRUNCATE the audit tables.
# Tables the owner creates later are granted to the app role by the default privileges below.
set -euo pipefail
: "${TICKETING_OWNER_PASSWORD:?set TICKETING_OWNER_PASSWORD}"
: "${TICKETING_APP_PASSWORD:?set TICKETING_APP_PASSWORD}"
DB="${POSTGRES_DB:-ticketing}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$DB" \
     -v owner_password="$TICKETING_OWNER_PASSWORD" -v app_password="$TICKETING_APP_PASSWORD" \
     -v db="$DB" <<'SQL'
CREATE ROLE ticketing_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE ticketing_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO ticketing_owner;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO ticketing_app;
ALTER SCHEMA public OWNER TO ticketing_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO ticketing_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ticketing_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ticketing_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ticketing_owner IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ticketing_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ticketing_owner IN SCHEMA public
    GRANT EXECUTE ON FUNCTIONS TO ticketing_app;
SQL
