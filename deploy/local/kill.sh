#!/usr/bin/env bash
# Fault drills on the local stack: kills a part of what deploy/local/up.sh started with SIGKILL — no
# shutdown hook, no flush, like a crashed container or a lost machine. Bring it back with restart.sh.
# Usage: deploy/local/kill.sh api|gateway|apply|sync|nats|s3|source|target ...
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PID_DIR="$STATE_DIR/pids"

for part in "$@"; do
  case "$part" in
    api|gateway|apply|sync|nats|s3)
      [ -f "$PID_DIR/$part.pid" ] || die "$part was not started by up.sh here ($PID_DIR)"
      pid=$(cat "$PID_DIR/$part.pid")
      kill -9 "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do alive "$pid" || break; sleep 0.25; done
      log "killed $part (SIGKILL)" ;;
    source|target)
      [ -f "$PID_DIR/pg-$part.cluster" ] || die "the $part Postgres was not started by up.sh here"
      pidfile="$(pg_base_dir)/$part/postmaster.pid"
      [ -f "$pidfile" ] || die "the $part Postgres is not running"
      # The postmaster alone: its backends notice and exit, and the next start runs crash recovery.
      kill -9 "$(head -n 1 "$pidfile")" 2>/dev/null || true
      log "killed the $part Postgres (SIGKILL of the postmaster)" ;;
    *) die "unknown part '$part': api, gateway, apply, sync, nats, s3, source or target" ;;
  esac
done
