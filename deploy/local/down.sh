#!/usr/bin/env bash
# Stops what deploy/local/up.sh started (services, NATS, the local S3 server, the local Postgres clusters).
# Data (JetStream store, Postgres clusters, warehouse) is kept; `down.sh --purge` deletes it too.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PID_DIR="$STATE_DIR/pids"

stop_pid() {
  local name="$1" file="$PID_DIR/$1.pid" pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do alive "$pid" || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped $name"
  fi
  rm -f "$file" "$PID_DIR/$name.port"
}

for name in api gateway apply sync nats s3; do stop_pid "$name"; done
for cluster in source target; do
  if [ -f "$PID_DIR/pg-$cluster.cluster" ]; then
    stop_postgres "$cluster"; rm -f "$PID_DIR/pg-$cluster.cluster"; log "stopped the $cluster Postgres"
  fi
done
rm -f "$STATE_DIR/stack.env"

if [ "${1:-}" = "--purge" ]; then
  rm -rf "$STATE_DIR" "$(pg_base_dir)"
  log "deleted $STATE_DIR and the local Postgres clusters"
fi
