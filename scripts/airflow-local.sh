#!/usr/bin/env bash
# `make airflow`: a local Airflow for newsdesk, every port on 127.0.0.1, state under data/airflow/.
# Runs api-server, scheduler, dag-processor and triggerer (LocalExecutor, sqlite metadata DB).
# The scheduler and the triggerer run with --skip-serve-logs: their log servers would listen on
# every interface; the api-server reads the task logs from $AIRFLOW_HOME/logs directly.
# Ctrl-C (or SIGTERM) stops every component and waits for it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
BIN="${BIN:-$ROOT/.venv/bin}"
HOST=127.0.0.1
PORT="${AIRFLOW_PORT:-8080}"

export AIRFLOW_HOME="${LOCAL_AIRFLOW_HOME:-$ROOT/data/airflow}"
export AIRFLOW_BIN="$BIN/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-8}"  # LocalExecutor worker processes
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False}"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin"
export AIRFLOW__API__HOST="$HOST" AIRFLOW__API__PORT="$PORT"
export AIRFLOW__API__BASE_URL="http://$HOST:$PORT"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://$HOST:$PORT/execution/"
export AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK=False
# Tasks read the same NEWSDESK_* settings as the CLI; relative defaults are pinned to the repo.
export NEWSDESK_DATA_DIR="${NEWSDESK_DATA_DIR:-$ROOT/data}"

[[ -x "$AIRFLOW_BIN" ]] || { echo "no $AIRFLOW_BIN: run 'make env' first" >&2; exit 1; }
if "$BIN/python" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('$HOST',$PORT)) != 0)"; then
    echo "port $HOST:$PORT is in use; choose another with AIRFLOW_PORT=..." >&2
    exit 1
fi

mkdir -p "$AIRFLOW_HOME/logs/local"
passwords="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
if [[ ! -s "$passwords" ]]; then
    AIRFLOW_ADMIN_PASSWORD="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(12))')"
    export AIRFLOW_ADMIN_PASSWORD
fi
echo "setting up $AIRFLOW_HOME (metadata DB, pool duckdb_writer)..."
bash scripts/airflow-init.sh >"$AIRFLOW_HOME/logs/local/init.log" 2>&1 \
    || { cat "$AIRFLOW_HOME/logs/local/init.log" >&2; exit 1; }
unset AIRFLOW_ADMIN_PASSWORD

pids=()
start() {  # name, args...: each component leads its own process group, so it can be stopped whole
    local name="$1"
    shift
    setsid "$AIRFLOW_BIN" "$@" >"$AIRFLOW_HOME/logs/local/$name.log" 2>&1 &
    pids+=("$!")
}
stop() {  # [exit code]
    local code="${1:-0}"
    trap - INT TERM EXIT
    echo
    echo "stopping Airflow..."
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for _ in $(seq 60); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
        [[ $alive == 0 ]] && break
        sleep 0.5
    done
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "stopped."
    exit "$code"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

start api-server api-server --host "$HOST" --port "$PORT" --workers 1
start scheduler scheduler --skip-serve-logs
start dag-processor dag-processor
start triggerer triggerer --skip-serve-logs

echo "waiting for the api-server on http://$HOST:$PORT ..."
for _ in $(seq 240); do
    if "$BIN/python" -c "import urllib.request as u; u.urlopen('http://$HOST:$PORT/api/v2/version', timeout=2)" 2>/dev/null; then
        break
    fi
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || { echo "a component exited; see $AIRFLOW_HOME/logs/local/" >&2; stop 1; }
    done
    sleep 0.5
done
login="$("$BIN/python" -c "import json,sys; d=json.load(open(sys.argv[1])); print(*next(iter(d.items())))" "$passwords")"
cat <<MSG

  Airflow is up: http://$HOST:$PORT
  login: ${login% *} / ${login#* }   (stored in $passwords)
  DAGs: newsdesk_ingest (${NEWSDESK_INGEST_SCHEDULE:-every 30 minutes}), newsdesk_daily (00:00 UTC, the day before)
  backfill: AIRFLOW_HOME=$AIRFLOW_HOME $AIRFLOW_BIN backfill create --dag-id newsdesk_daily --from-date 2025-05-12 --to-date 2025-05-14
  component logs: $AIRFLOW_HOME/logs/local/    warehouse: ${NEWSDESK_DB:-$NEWSDESK_DATA_DIR/newsdesk.duckdb}

  Ctrl-C stops everything.
MSG
while true; do
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || { echo "a component exited; see $AIRFLOW_HOME/logs/local/" >&2; stop 1; }
    done
    sleep 2
done
