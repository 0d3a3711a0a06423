#!/usr/bin/env bash
# Starts the whole Tideline stack on this machine, in the background:
#   NATS (JetStream), a source Postgres (logical replication on), a target Postgres,
#   and the four services (api, gateway, apply, sync).
# Installs what is missing (Java 17, nats-server, PostgreSQL) from the distribution and builds first.
#
# Everything binds to 127.0.0.1 on free ports unless told otherwise. Give any of these to use
# existing infrastructure or fixed ports instead:
#   TIDELINE_NATS_URL, TIDELINE_SOURCE_PG_URL, TIDELINE_TARGET_PG_URL, TIDELINE_WAREHOUSE,
#   TIDELINE_API_TOKEN, TIDELINE_SECRETS_KEY,
#   TIDELINE_API_PORT, TIDELINE_GATEWAY_PORT, TIDELINE_APPLY_PORT, TIDELINE_SYNC_PORT
#   TIDELINE_SKIP_BUILD=1 skips the Maven build (use the jars already built).
#   TIDELINE_LOCAL_S3=1 (and no TIDELINE_WAREHOUSE) also starts a local S3 server (S3Proxy) and uses the bucket
#   s3://warehouse/tideline as the warehouse; its endpoint and credentials go to the services and stack.env.
# The API token and the secrets key (which encrypts connection passwords stored in NATS KV) are
# generated once per checkout and kept in .tideline/api.token and .tideline/secrets.key, so a
# restart can still decrypt the passwords stored before it.
# Writes .tideline/stack.env (KEY=VALUE lines, TIDELINE_CONSOLE_URL among them) and prints the same, then the
# console URL (sign in with TIDELINE_API_TOKEN). Stop with deploy/local/down.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ENV_FILE="$STATE_DIR/stack.env"
PID_DIR="$STATE_DIR/pids"
LOG_DIR="$STATE_DIR/logs"

running() { [ -f "$PID_DIR/$1.pid" ] && alive "$(cat "$PID_DIR/$1.pid")"; }

if [ -f "$ENV_FILE" ] && running api; then
  log "the stack is already running (stop it with deploy/local/down.sh):"
  cat "$ENV_FILE"
  log "console: $(sed -n 's/^TIDELINE_CONSOLE_URL=//p' "$ENV_FILE") (sign in with TIDELINE_API_TOKEN above)"
  exit 0
fi

ensure_prerequisites
mkdir -p "$PID_DIR" "$LOG_DIR"

if [ "${TIDELINE_SKIP_BUILD:-0}" != 1 ]; then
  log "building (./mvnw install -DskipTests; the first build downloads dependencies and takes a few minutes)"
  ./mvnw -B -q install -DskipTests >"$LOG_DIR/build.log" 2>&1 || { tail -n 40 "$LOG_DIR/build.log" >&2; die "build failed (log: $LOG_DIR/build.log)"; }
fi

# Passwords of the local clusters: generated once, kept in the state directory.
secret() {
  local file="$STATE_DIR/$1"
  [ -f "$file" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$file")
  cat "$file"
}

if [ -z "${TIDELINE_NATS_URL:-}" ]; then
  port=$(free_port)
  start_nats "$port"
  TIDELINE_NATS_URL="nats://127.0.0.1:$port"
  log "NATS (JetStream) at $TIDELINE_NATS_URL"
fi

if [ -z "${TIDELINE_SOURCE_PG_URL:-}" ]; then
  port=$(free_port); password=$(secret source-pg.password)
  start_postgres source "$port" "$password"
  echo source > "$PID_DIR/pg-source.cluster"
  TIDELINE_SOURCE_PG_URL="jdbc:postgresql://127.0.0.1:$port/postgres?user=postgres&password=$password"
  log "source Postgres at 127.0.0.1:$port (wal_level=logical)"
fi

if [ -z "${TIDELINE_TARGET_PG_URL:-}" ]; then
  port=$(free_port); password=$(secret target-pg.password)
  start_postgres target "$port" "$password"
  echo target > "$PID_DIR/pg-target.cluster"
  TIDELINE_TARGET_PG_URL="jdbc:postgresql://127.0.0.1:$port/postgres?user=postgres&password=$password"
  log "target Postgres at 127.0.0.1:$port"
fi

S3_ENV=""
if [ "${TIDELINE_LOCAL_S3:-0}" = 1 ] && [ -z "${TIDELINE_WAREHOUSE:-}" ]; then
  port=$(free_port)
  start_s3 "$port" "$(secret s3.secret)"
  export TIDELINE_S3_ENDPOINT="http://127.0.0.1:$port" TIDELINE_S3_PATH_STYLE_ACCESS=true TIDELINE_S3_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=tideline AWS_SECRET_ACCESS_KEY="$(secret s3.secret)"
  TIDELINE_WAREHOUSE="s3://warehouse/tideline"
  S3_ENV=$(printf '%s\n' "TIDELINE_S3_ENDPOINT=$TIDELINE_S3_ENDPOINT" "TIDELINE_S3_PATH_STYLE_ACCESS=true" \
    "TIDELINE_S3_REGION=us-east-1" "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY")
  log "local S3 server (S3Proxy) at $TIDELINE_S3_ENDPOINT; warehouse $TIDELINE_WAREHOUSE"
fi

TIDELINE_WAREHOUSE="${TIDELINE_WAREHOUSE:-$STATE_DIR/warehouse}"
case "$TIDELINE_WAREHOUSE" in
  *://*) ;;
  *) mkdir -p "$TIDELINE_WAREHOUSE" 2>/dev/null || true ;;
esac
TIDELINE_API_TOKEN="${TIDELINE_API_TOKEN:-$(secret api.token)}"

# The key that seals connection passwords in KV (AES-256-GCM): base64 of 32 random bytes, the form
# `openssl rand -base64 32` prints. Kept as long as the NATS store is: a new key could not open the
# passwords sealed with the old one.
secrets_key() {
  local file="$STATE_DIR/secrets.key"
  [ -s "$file" ] || (umask 077; head -c 32 /dev/urandom | base64 | tr -d '\n' > "$file")
  cat "$file"
}
TIDELINE_SECRETS_KEY="${TIDELINE_SECRETS_KEY:-$(secrets_key)}"

API_PORT="${TIDELINE_API_PORT:-$(free_port)}"
# Database instances created without connection_name (all the Databricks SDK sends) are provisioned on the target Postgres.
start_service api "$API_PORT" TIDELINE_API_DATABASE_INSTANCES_POSTGRES_URL="$TIDELINE_TARGET_PG_URL"
start_service gateway "${TIDELINE_GATEWAY_PORT:-$(free_port)}"
start_service apply "${TIDELINE_APPLY_PORT:-$(free_port)}"
start_service sync "${TIDELINE_SYNC_PORT:-$(free_port)}"

for name in api gateway apply sync; do
  port=$(cat "$PID_DIR/$name.port")
  wait_http "http://127.0.0.1:$port/q/health" 90 \
    || { tail -n 30 "$LOG_DIR/$name.log" >&2; die "$name-service did not become healthy (log: $LOG_DIR/$name.log)"; }
  log "$name-service healthy on http://127.0.0.1:$port"
done

TIDELINE_API_URL="http://127.0.0.1:$API_PORT"
TIDELINE_CONSOLE_URL="$TIDELINE_API_URL/console"
cat > "$ENV_FILE" <<EOF
TIDELINE_API_URL=$TIDELINE_API_URL
TIDELINE_CONSOLE_URL=$TIDELINE_CONSOLE_URL
TIDELINE_API_TOKEN=$TIDELINE_API_TOKEN
TIDELINE_SOURCE_PG_URL=$TIDELINE_SOURCE_PG_URL
TIDELINE_TARGET_PG_URL=$TIDELINE_TARGET_PG_URL
TIDELINE_NATS_URL=$TIDELINE_NATS_URL
TIDELINE_WAREHOUSE=$TIDELINE_WAREHOUSE
TIDELINE_SECRETS_KEY=$TIDELINE_SECRETS_KEY
EOF
[ -z "$S3_ENV" ] || printf '%s\n' "$S3_ENV" >> "$ENV_FILE"
chmod 600 "$ENV_FILE"
log "stack is up; settings written to $ENV_FILE:"
cat "$ENV_FILE"
log "console: $TIDELINE_CONSOLE_URL (sign in with TIDELINE_API_TOKEN above)"
