#!/usr/bin/env bash
# Starts again what deploy/local/up.sh started and is no longer running — a service, NATS or a local
# Postgres that crashed or was killed — with the same ports, data and settings (.tideline/stack.env).
# Usage: deploy/local/restart.sh [api|gateway|apply|sync|nats|s3|source|target ...]   (default: all of them)
# What still runs is left alone; to restart something running, stop it first (kill, pg_ctl stop).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ENV_FILE="$STATE_DIR/stack.env"
PID_DIR="$STATE_DIR/pids"
[ -f "$ENV_FILE" ] || die "no stack to restart in $STATE_DIR: start one with deploy/local/up.sh"
while IFS='=' read -r key value; do
  [ -n "$key" ] && export "$key=$value"
done < "$ENV_FILE"

running() { [ -f "$PID_DIR/$1.pid" ] && alive "$(cat "$PID_DIR/$1.pid")"; }
port_of() { sed -E 's#.*//[^:/]+:([0-9]+).*#\1#' <<<"$1"; }

# The postmaster of a cluster runs (pg_ctl status would count a killed, unreaped one as running).
pg_running() {
  local pidfile
  pidfile="$(pg_base_dir)/$1/postmaster.pid"
  [ -f "$pidfile" ] && alive "$(head -n 1 "$pidfile")"
}

restart() {
  local name="$1" port
  case "$name" in
    nats)
      [ "${TIDELINE_NATS_URL#nats://127.0.0.1:}" != "$TIDELINE_NATS_URL" ] || { log "NATS is not the stack's own: left alone"; return; }
      running nats && { log "nats is running"; return; }
      start_nats "${TIDELINE_NATS_URL##*:}"
      log "NATS restarted at $TIDELINE_NATS_URL" ;;
    s3)
      [ -f "$PID_DIR/s3.port" ] || { log "the warehouse store is not the stack's own: left alone"; return; }
      running s3 && { log "s3 is running"; return; }
      start_s3 "$(cat "$PID_DIR/s3.port")" "$(cat "$STATE_DIR/s3.secret")"
      log "the local S3 server restarted at $TIDELINE_S3_ENDPOINT" ;;
    source|target)
      [ -f "$PID_DIR/pg-$name.cluster" ] || { log "the $name Postgres is not the stack's own: left alone"; return; }
      pg_running "$name" && { log "the $name Postgres is running"; return; }
      local url_var="TIDELINE_${name^^}_PG_URL"
      port=$(port_of "${!url_var}")
      # A killed postmaster leaves its lock file, naming a pid that may linger as a zombie, which Postgres
      # would take for a running server: it is stale.
      rm -f "$(pg_base_dir)/$name/postmaster.pid"
      # Backends of a killed postmaster may hold its shared memory for a moment: retry the start.
      local attempt
      for attempt in 1 2 3 4 5 6 7 8 9 10; do
        (start_postgres "$name" "$port" "$(cat "$STATE_DIR/$name-pg.password")") 2>/dev/null && break
        [ "$attempt" -lt 10 ] || die "the $name Postgres did not start again (log: $(pg_base_dir)/$name.log)"
        sleep 1
      done
      log "the $name Postgres restarted on 127.0.0.1:$port (after crash recovery, if it crashed)" ;;
    api|gateway|apply|sync)
      running "$name" && { log "$name-service is running"; return; }
      port=$(cat "$PID_DIR/$name.port")
      if [ "$name" = api ]; then
        start_service api "$port" TIDELINE_API_DATABASE_INSTANCES_POSTGRES_URL="$TIDELINE_TARGET_PG_URL"
      else
        start_service "$name" "$port"
      fi
      wait_http "http://127.0.0.1:$port/q/health" 90 \
        || { tail -n 30 "$STATE_DIR/logs/$name.log" >&2; die "$name-service did not become healthy"; }
      log "$name-service restarted on http://127.0.0.1:$port" ;;
    *) die "unknown part '$name': api, gateway, apply, sync, nats, s3, source or target" ;;
  esac
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(nats s3 source target api gateway apply sync)
for part in "${parts[@]}"; do restart "$part"; done
