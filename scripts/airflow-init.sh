#!/usr/bin/env bash
# Prepare an Airflow metadata database for newsdesk; safe to run again.
#   1. migrate the metadata database (sqlite locally, postgres in docker-compose);
#   2. create the one-slot pool `duckdb_writer` (`airflow dags test` ignores a missing pool,
#      the scheduler would leave the load task queued forever);
#   3. with AIRFLOW_ADMIN_PASSWORD set, write the simple auth manager's passwords file so the
#      admin login is the one you chose rather than a generated one.
# Used by `make airflow`, the airflow-init service of docker-compose.yml and tests/test_dags.py.
set -euo pipefail

AIRFLOW_BIN="${AIRFLOW_BIN:-airflow}"
POOL_DESCRIPTION="newsdesk: the single DuckDB writer (load and per-day checks)"

"$AIRFLOW_BIN" db migrate
"$AIRFLOW_BIN" pools set duckdb_writer 1 "$POOL_DESCRIPTION"

if [[ -n "${AIRFLOW_ADMIN_PASSWORD:-}" ]]; then
    passwords="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-${AIRFLOW_HOME:?}/simple_auth_manager_passwords.json.generated}"
    mkdir -p "$(dirname "$passwords")"
    umask 077
    AIRFLOW_ADMIN_USER="${AIRFLOW_ADMIN_USER:-admin}" PASSWORDS_FILE="$passwords" python3 -c '
import json, os
with open(os.environ["PASSWORDS_FILE"], "w") as fh:
    json.dump({os.environ["AIRFLOW_ADMIN_USER"]: os.environ["AIRFLOW_ADMIN_PASSWORD"]}, fh)
'
    echo "admin login written to $passwords (user ${AIRFLOW_ADMIN_USER:-admin})"
fi
