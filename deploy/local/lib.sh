# Shared by up.sh, down.sh and test.sh. Sourced, not run.
# Installs what is missing from the distribution and starts local servers the same way the
# `testing` module does for tests, so what the README promises is what the tests exercise.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${TIDELINE_STATE_DIR:-$REPO_ROOT/.tideline}"

log() { printf '[tideline] %s\n' "$*" >&2; }
die() { printf '[tideline] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your package manager, then rerun"
  log "installing $* (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have empty package lists; update only when the install fails for that reason.
  as_root apt-get install -y -q "$@" >/dev/null 2>&1 || {
    as_root apt-get update -q >/dev/null
    as_root apt-get install -y -q "$@" >/dev/null
  }
}

# Postgres server binaries: the newest /usr/lib/postgresql/*/bin, or pg_config's bindir.
pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ] && command -v pg_config >/dev/null; then dir=$(pg_config --bindir); fi
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

ensure_prerequisites() {
  local missing=()
  command -v java >/dev/null && java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-4])' || missing+=(openjdk-17-jdk-headless)
  command -v nats-server >/dev/null || missing+=(nats-server)
  pg_bindir >/dev/null || missing+=(postgresql)
  command -v pg_recvlogical >/dev/null || missing+=(postgresql-client)
  command -v curl >/dev/null || missing+=(curl)
  if [ "$(id -u)" -eq 0 ] && ! command -v runuser >/dev/null; then missing+=(util-linux); fi
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

# The console's browser tests (api-service ConsoleBrowserTest) drive Debian's headless Chromium through its
# chromedriver; they fail, naming these packages, where they are missing. Only the test command needs them.
ensure_browser() {
  local missing=()
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

# A TCP port nobody listens on (checked by connecting), below the kernel's ephemeral range: a port the
# kernel hands to an outgoing connection cannot be bound by a server, and connecting does not see it.
free_port() {
  local port low=32768
  [ -r /proc/sys/net/ipv4/ip_local_port_range ] && read -r low _ < /proc/sys/net/ipv4/ip_local_port_range
  [ "$low" -gt 12000 ] || die "the ephemeral port range starts at $low: set TIDELINE_*_PORT and the service URLs yourself"
  for _ in $(seq 1 200); do
    port=$(( 10000 + RANDOM % (low - 10000) ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  die "no free TCP port found"
}

# Postgres refuses to run as root: when we are root, clusters run as the `postgres` user and live
# where that user can reach them (the repository may sit under a directory it cannot enter).
pg_run() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_base_dir() {
  if [ "$(id -u)" -eq 0 ]; then
    # Keyed by the state directory, so two stacks of one checkout (e.g. the end-to-end test's) never share clusters.
    echo "/var/tmp/tideline-$(printf '%s' "$STATE_DIR" | md5sum | cut -c1-10)"
  else
    echo "$STATE_DIR/pg"
  fi
}

# start_postgres NAME PORT PASSWORD: initialises (once) and starts a cluster with logical replication.
start_postgres() {
  local name="$1" port="$2" password="$3" bindir base data
  bindir=$(pg_bindir) || die "PostgreSQL server binaries not found"
  base=$(pg_base_dir)
  data="$base/$name"
  mkdir -p "$base"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$base"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    local pwfile="$base/.pw-$name"
    printf '%s\n' "$password" > "$pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$pwfile"; fi
    pg_run "$bindir/initdb" -D "$data" -U postgres --pwfile="$pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$base/$name-initdb.log" 2>&1 \
      || { cat "$base/$name-initdb.log" >&2; die "initdb of the $name Postgres failed"; }
    rm -f "$pwfile"
    cat >> "$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$data'
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_connections = 200
EOF
    echo "host replication all 127.0.0.1/32 scram-sha-256" >> "$data/pg_hba.conf"
  fi
  sed -i "/^port = /d" "$data/postgresql.conf"
  echo "port = $port" >> "$data/postgresql.conf"
  pg_run "$bindir/pg_ctl" -D "$data" -l "$base/$name.log" -w -t 60 start >/dev/null \
    || { tail -n 30 "$base/$name.log" >&2; die "the $name Postgres did not start (log: $base/$name.log)"; }
}

stop_postgres() {
  local name="$1" bindir data
  bindir=$(pg_bindir) || return 0
  data="$(pg_base_dir)/$name"
  [ -f "$data/postmaster.pid" ] || return 0
  pg_run "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

# alive PID: the process exists and is not a zombie. A killed service whose parent is gone becomes a
# zombie until PID 1 reaps it, and some PID 1s (containers, sandboxes) never do: kill -0 still succeeds.
alive() {
  local pid="$1" state
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/stat" ]; then
    state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null || echo R)
    [ "$state" != Z ] && [ "$state" != X ]
  fi
}

# start_nats PORT: a JetStream server on 127.0.0.1:PORT keeping its store in the state directory.
start_nats() {
  local port="$1"
  mkdir -p "$STATE_DIR/nats" "$STATE_DIR/pids" "$STATE_DIR/logs"
  # 8 MB messages (NATS' recommended ceiling): the gateway sizes its batches to max_payload, so rows up
  # to about 8 MB pass; the default 1 MiB would stop the gateway on the first larger row.
  printf 'max_payload: 8MB\n' > "$STATE_DIR/nats.conf"
  nohup nats-server -c "$STATE_DIR/nats.conf" -js -a 127.0.0.1 -p "$port" -sd "$STATE_DIR/nats" >>"$STATE_DIR/logs/nats.log" 2>&1 &
  echo $! > "$STATE_DIR/pids/nats.pid"
  for _ in $(seq 1 40); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.25; done
}

# start_s3 PORT SECRET: a local S3 server (S3Proxy, the jar the testing module's build copies; filesystem backend,
# which honours If-None-Match: * atomically) on 127.0.0.1:PORT, access key `tideline`, objects in the state
# directory, bucket `warehouse`.
start_s3() {
  local port="$1" secret="$2" jar="$REPO_ROOT/testing/target/servers/s3proxy.jar" dir="$STATE_DIR/s3"
  [ -f "$jar" ] || die "$jar is missing: run up.sh without TIDELINE_SKIP_BUILD=1 (the build copies S3Proxy there)"
  mkdir -p "$dir/data/warehouse" "$STATE_DIR/pids" "$STATE_DIR/logs"
  (umask 077; printf '%s\n' "s3proxy.endpoint=http://127.0.0.1:$port" "s3proxy.authorization=aws-v2-or-v4" \
    "s3proxy.identity=tideline" "s3proxy.credential=$secret" "jclouds.provider=filesystem-nio2" \
    "jclouds.filesystem.basedir=$dir/data" > "$dir/s3proxy.conf")
  nohup java -Xmx384m -XX:+UseSerialGC -jar "$jar" --properties "$dir/s3proxy.conf" >>"$STATE_DIR/logs/s3.log" 2>&1 &
  echo $! > "$STATE_DIR/pids/s3.pid"
  echo "$port" > "$STATE_DIR/pids/s3.port"
  wait_http_any "http://127.0.0.1:$port/" 60 || { tail -n 30 "$STATE_DIR/logs/s3.log" >&2; die "the local S3 server did not start"; }
}

# wait_http_any URL SECONDS: waits until the URL answers at all (any status: S3 answers 403 to an unsigned request).
wait_http_any() {
  local url="$1" seconds="$2"
  for _ in $(seq 1 "$((seconds * 4))"); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" != 000 ]; then return 0; fi
    sleep 0.25
  done
  return 1
}

# start_service NAME PORT [KEY=VALUE...]: one service's jar in the background, with the stack's settings
# (TIDELINE_NATS_URL, TIDELINE_WAREHOUSE, TIDELINE_API_TOKEN, TIDELINE_SECRETS_KEY, and for an s3:// warehouse the
# exported TIDELINE_S3_* and AWS_* settings) and the extra ones given.
start_service() {
  local name="$1" port="$2" jar="$REPO_ROOT/$1-service/target/quarkus-app/quarkus-run.jar"
  shift 2
  [ -f "$jar" ] || die "$jar is missing: run up.sh without TIDELINE_SKIP_BUILD=1"
  mkdir -p "$STATE_DIR/pids" "$STATE_DIR/logs"
  QUARKUS_HTTP_PORT="$port" TIDELINE_NATS_URL="$TIDELINE_NATS_URL" TIDELINE_WAREHOUSE="$TIDELINE_WAREHOUSE" \
    TIDELINE_API_TOKEN="$TIDELINE_API_TOKEN" TIDELINE_SECRETS_KEY="$TIDELINE_SECRETS_KEY" \
    env "$@" nohup java ${TIDELINE_JAVA_OPTS:-} -jar "$jar" >>"$STATE_DIR/logs/$name.log" 2>&1 &
  echo $! > "$STATE_DIR/pids/$name.pid"
  echo "$port" > "$STATE_DIR/pids/$name.port"
}

# wait_http URL SECONDS: waits until the URL answers 200.
wait_http() {
  local url="$1" seconds="$2"
  for _ in $(seq 1 "$((seconds * 4))"); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  return 1
}
