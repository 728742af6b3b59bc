#!/usr/bin/env bash
# A local Temporal cluster as production runs it, as plain processes: a
# PostgreSQL instance of its own, the schema set up by temporal-sql-tool, and
# Temporal server 1.29.1 as four processes (frontend, history, matching,
# worker) on deploy/temporal/hiresync.yaml, the configuration
# docker-compose.yml runs; and the Web UI when bin/temporal-ui-server is
# there. Everything lives under one folder and listens on loopback ports of
# its own.
#
#   scripts/cluster.sh start                 start (or find running) all of it
#   scripts/cluster.sh stop                  stop exactly what start started
#   scripts/cluster.sh destroy               stop it and delete its data
#   scripts/cluster.sh address               the frontend's host:port
#   scripts/cluster.sh server-env            a service's environment (for tests)
#   scripts/cluster.sh server-args NAME      a service's arguments (for tests)
#   scripts/cluster.sh service-stop NAME     stop one Temporal service (SIGTERM)
#   scripts/cluster.sh service-kill NAME     SIGKILL it
#   scripts/cluster.sh service-start NAME    start it again
#
# Settings (environment): CLUSTER_DIR (.data/cluster), CLUSTER_PORT_OFFSET
# (10000: frontend 17233, PostgreSQL 15432, the services' Prometheus metrics
# on 17250-17253: frontend, history, matching, worker), and the binaries the Makefile
# installs: TEMPORAL_SERVER, TEMPORAL_SQL_TOOL, TEMPORAL_CLI, HIRESYNC_BIN.
# `make cluster`, `make cluster-stop` and `make test-cluster` call this.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${CLUSTER_DIR:-$ROOT/.data/cluster}
case $DIR in /*) ;; *) DIR=$PWD/$DIR ;; esac
OFFSET=${CLUSTER_PORT_OFFSET:-10000}
# Temporal keeps membership ports (6933-6939 + offset) in a PostgreSQL
# smallint.
if ! [[ $OFFSET =~ ^[0-9]+$ ]] || [ "$OFFSET" -gt 25828 ]; then
  echo "cluster: CLUSTER_PORT_OFFSET must be a number from 0 to 25828 (membership ports must stay below 32768)" >&2
  exit 2
fi
PG_PORT=$((5432 + OFFSET))
FRONTEND=127.0.0.1:$((7233 + OFFSET))
TEMPORAL_SERVER=${TEMPORAL_SERVER:-$ROOT/bin/temporal-server}
TEMPORAL_SQL_TOOL=${TEMPORAL_SQL_TOOL:-$ROOT/bin/temporal-sql-tool}
TEMPORAL_CLI=${TEMPORAL_CLI:-$ROOT/bin/temporal}
TEMPORAL_UI=${TEMPORAL_UI:-$ROOT/bin/temporal-ui-server}
UI_ADDR=127.0.0.1:$((8233 + OFFSET))
HIRESYNC_BIN=${HIRESYNC_BIN:-$ROOT/bin/hiresync}
SERVER_VERSION=v1.29.1
SERVICES=(history matching frontend worker)
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
# A local-only password: PostgreSQL listens on loopback alone.
PG_USER=temporal
PG_PASSWORD=temporal

# What every Temporal service process gets: the server renders
# deploy/temporal/hiresync.yaml with this environment (docker-compose.yml's
# temporal service sets the same variables for its container).
SERVER_ENV=(
  POSTGRES_SEEDS=127.0.0.1 DB_PORT=$PG_PORT POSTGRES_USER=$PG_USER POSTGRES_PWD=$PG_PASSWORD
  BIND_ON_IP=127.0.0.1 TEMPORAL_BROADCAST_ADDRESS=127.0.0.1 TEMPORAL_PORT_OFFSET=$OFFSET
  DYNAMIC_CONFIG_FILE_PATH=$ROOT/deploy/temporal/dynamicconfig.yaml
)
server_args() { echo "--root / --config $ROOT/deploy/temporal --env hiresync --allow-no-auth start --service $1"; }

say() { printf 'cluster: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# PostgreSQL refuses to run as root: as root, its commands run as the
# postgres user the Debian package creates.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

install_postgresql() {
  pg_bin >/dev/null && return 0
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed: apt-get install postgresql (as root)"
  say "installing Debian's postgresql package"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# PostgreSQL's folder: its data, socket and log, owned by its user. It is
# $DIR/postgresql, unless that user cannot reach $DIR (a checkout in a folder
# only root may enter): then a folder of its own under /tmp, linked from there.
pg_home() {
  if [ ! -e "$DIR/postgresql" ]; then
    if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$DIR"; then
      mkdir -p "$DIR/postgresql"
    else
      local home
      home=$(mktemp -d /tmp/hiresync-postgresql.XXXXXX)
      ln -s "$home" "$DIR/postgresql"
    fi
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DIR/postgresql/"; fi
    chmod 700 "$DIR/postgresql/"
  fi
  readlink -f "$DIR/postgresql"
}

start_postgresql() {
  mkdir -p "$DIR"
  install_postgresql
  local bin home data
  bin=$(pg_bin)
  home=$(pg_home)
  data=$home/data
  if [ ! -s "$data/PG_VERSION" ]; then
    say "creating a PostgreSQL instance in $data"
    # Local connections (the Unix socket in $home) as any user; TCP with a
    # password, as Temporal connects in production.
    as_pg "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 >"$DIR/initdb.log"
  fi
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    say "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  else
    port_free "$PG_PORT" || die "port $PG_PORT is taken: set CLUSTER_PORT_OFFSET"
    as_pg "$bin/pg_ctl" -D "$data" -l "$home/postgresql.log" -w -t 60 \
      -o "-p $PG_PORT -k $home -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null ||
      die "PostgreSQL did not start: see $home/postgresql.log"
    say "PostgreSQL on 127.0.0.1:$PG_PORT"
  fi
  as_pg "$bin/psql" -h "$home" -p "$PG_PORT" -U postgres -d postgres -qtA -v ON_ERROR_STOP=1 <<SQL >/dev/null
SELECT 'CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD ''$PG_PASSWORD'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') \gexec
SQL
}

# The schema, as docker-compose.yml's temporal-schema service sets it up:
# every step is a no-op when already done.
setup_schema() {
  local mod schema
  mod=$(cd "$ROOT" && go mod download -json "go.temporal.io/server@$SERVER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  schema=$mod/schema/postgresql/v12
  [ -d "$schema" ] || die "no schema files in $schema"
  sql() {
    SQL_PASSWORD=$PG_PASSWORD "$TEMPORAL_SQL_TOOL" --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" -u "$PG_USER" "$@" \
      >>"$DIR/schema.log" 2>&1 || die "temporal-sql-tool $* failed: see $DIR/schema.log"
  }
  sql --db temporal create
  sql --db temporal setup-schema -v 0.0
  sql --db temporal update-schema -d "$schema/temporal/versioned"
  sql --db temporal_visibility create
  sql --db temporal_visibility setup-schema -v 0.0
  sql --db temporal_visibility update-schema -d "$schema/visibility/versioned"
  say "schemas temporal and temporal_visibility are up to date"
}

pid_of() {
  local f=$DIR/$1.pid pid mark="--service $1"
  [ "$1" = ui ] && mark="--config $DIR/ui"
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  # Only our process: the pid file may be stale and the pid reused.
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q -- "$mark" || return 1
  echo "$pid"
}

# gone: the service's process has ended. Not pid_of's cmdline check, which
# misses a process still in its exec chain (env, setsid, the server) on a
# busy machine and so took a starting service for an exited one.
gone() {
  local f=$DIR/$1.pid
  ! { [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }
}

# The Web UI (ui-server 2.42.1, the release compose's temporal-ui runs), on
# loopback, when the Makefile has built it.
start_ui() {
  [ -x "$TEMPORAL_UI" ] || return 0
  if ! pid_of ui >/dev/null; then
    mkdir -p "$DIR/ui"
    cat >"$DIR/ui/hiresync.yaml" <<UI
temporalGrpcAddress: $FRONTEND
host: ${UI_ADDR%:*}
port: ${UI_ADDR#*:}
enableUi: true
defaultNamespace: $NAMESPACE
cors:
  cookieInsecure: true
UI
    setsid "$TEMPORAL_UI" --root / --config "$DIR/ui" --env hiresync start >>"$DIR/ui.log" 2>&1 </dev/null &
    echo $! >"$DIR/ui.pid"
  fi
  say "Web UI on http://$UI_ADDR"
}

# metrics_port NAME: where a service serves its Prometheus metrics (the
# frontend's `action` counter among them): 7250-7253 plus the offset, below
# Linux's ephemeral ports at every offset allowed.
metrics_port() {
  case $1 in
    frontend) echo $((7250 + OFFSET)) ;;
    history) echo $((7251 + OFFSET)) ;;
    matching) echo $((7252 + OFFSET)) ;;
    worker) echo $((7253 + OFFSET)) ;;
  esac
}

service_start() {
  local name=$1 i
  if pid_of "$name" >/dev/null; then
    say "$name already running"
    return 0
  fi
  env "${SERVER_ENV[@]}" PROMETHEUS_ENDPOINT="127.0.0.1:$(metrics_port "$name")" \
    setsid "$TEMPORAL_SERVER" $(server_args "$name") >>"$DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
  for i in $(seq 1 50); do
    pid_of "$name" >/dev/null && return 0
    sleep 0.1
  done
  die "$name did not start: see $DIR/$name.log"
}

service_signal() {
  local name=$1 sig=$2 pid i
  pid=$(pid_of "$name") || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$DIR/$name.pid"; return 0; }
    sleep 0.1
  done
  say "$name did not stop on SIG$sig within 30 s: killing it"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$DIR/$name.pid"
}

# exited NAME: the service is gone; say so with the last lines of its log.
exited() {
  say "$1 exited: see $DIR/$1.log; its last lines:"
  tail -n 5 "$DIR/$1.log" | cut -c1-400 >&2
  exit 1
}

wait_listening() {
  local i
  for i in $(seq 1 240); do
    port_free "$2" || return 0
    if gone "$1"; then exited "$1"; fi
    sleep 0.5
  done
  die "$1 did not listen on port $2 in 120 s: see $DIR/$1.log"
}

wait_frontend() {
  local i
  for i in $(seq 1 240); do
    "$TEMPORAL_CLI" operator cluster health --address "$FRONTEND" >/dev/null 2>&1 && return 0
    for s in "${SERVICES[@]}"; do
      if gone "$s"; then exited "$s"; fi
    done
    sleep 0.5
  done
  die "the frontend on $FRONTEND did not become healthy in 120 s"
}

setup_namespace() {
  local t=("$TEMPORAL_CLI" operator --address "$FRONTEND")
  if ! "${t[@]}" namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
    "${t[@]}" namespace create --namespace "$NAMESPACE" --retention 720h >/dev/null 2>&1 ||
      "${t[@]}" namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1 ||
      die "could not create namespace $NAMESPACE"
    say "namespace $NAMESPACE created"
  fi
  # hiresync's own registration of its search attributes; a new namespace
  # takes a few seconds to reach every frontend's cache.
  local i
  for i in $(seq 1 60); do
    if TEMPORAL_ADDRESS=$FRONTEND TEMPORAL_NAMESPACE=$NAMESPACE HIRESYNC_LOG_LEVEL=warn \
      "$HIRESYNC_BIN" setup >>"$DIR/setup.log" 2>&1; then
      say "search attributes registered in $NAMESPACE"
      return 0
    fi
    sleep 1
  done
  die "hiresync setup failed: see $DIR/setup.log"
}

# The script's start ends when signal-with-starts carrying hiresync's search
# attributes are taken. Every service reads them from its namespace cache,
# refreshed every few seconds: until then the frontend refuses them ("no
# mapping defined for search attribute"), which the ingress would answer 503.
# The probe workflow is terminated at once; nothing polls its task queue.
wait_search_attributes() {
  local t=("$TEMPORAL_CLI" --address "$FRONTEND" --namespace "$NAMESPACE") i
  for i in $(seq 1 120); do
    if "${t[0]}" workflow start "${t[@]:1}" --type ClusterReady --task-queue hiresync-cluster-ready \
      --workflow-id hiresync-cluster-ready --id-conflict-policy TerminateExisting --execution-timeout 1m \
      --search-attribute 'CandidateId="ready"' --search-attribute 'JobIds=["ready"]' \
      --search-attribute 'HiringStage="ready"' --search-attribute 'StalledSince="2026-01-01T00:00:00Z"' >/dev/null 2>&1; then
      "${t[0]}" workflow terminate "${t[@]:1}" --workflow-id hiresync-cluster-ready \
        --reason "cluster.sh: the namespace takes hiresync's search attributes" >/dev/null 2>&1 || true
      return 0
    fi
    sleep 0.5
  done
  die "the frontend did not take hiresync's search attributes within 60 s"
}

start() {
  for b in "$TEMPORAL_SERVER" "$TEMPORAL_SQL_TOOL" "$TEMPORAL_CLI" "$HIRESYNC_BIN"; do
    [ -x "$b" ] || die "$b is missing: run make cluster"
  done
  start_postgresql
  setup_schema
  local running=0
  for s in "${SERVICES[@]}"; do
    pid_of "$s" >/dev/null && running=$((running + 1))
  done
  if [ "$running" -eq 0 ]; then
    local p
    for p in $((7233 + OFFSET)) $((7234 + OFFSET)) $((7235 + OFFSET)) $((7239 + OFFSET)); do
      port_free "$p" || die "port $p is taken: set CLUSTER_PORT_OFFSET"
    done
  fi
  # On a new database every service writes the cluster's metadata record at
  # start, and all but one of them lose that race and exit ("duplicate key
  # value violates unique constraint cluster_metadata_info_pkey"). History
  # goes first, alone; the others start once it listens, the record written.
  service_start history
  wait_listening history $((7234 + OFFSET))
  for s in matching frontend worker; do service_start "$s"; done
  wait_frontend
  setup_namespace
  wait_search_attributes
  start_ui
  echo "$FRONTEND" >"$DIR/address"
  say "Temporal on $FRONTEND (namespace $NAMESPACE); logs and data in $DIR"
}

stop() {
  local s
  for s in ui worker frontend matching history; do service_signal "$s" TERM; done
  local bin
  if bin=$(pg_bin) && [ -s "$DIR/postgresql/data/PG_VERSION" ]; then
    as_pg "$bin/pg_ctl" -D "$(readlink -f "$DIR/postgresql")/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -f "$DIR/address"
  say "stopped"
}

# destroy stops the cluster and removes its folder, PostgreSQL's included.
destroy() {
  stop
  if [ -L "$DIR/postgresql" ]; then rm -rf "$(readlink -f "$DIR/postgresql")"; fi
  rm -rf "$DIR"
}

valid_service() {
  case " ${SERVICES[*]} " in *" $1 "*) ;; *) die "no service $1: one of ${SERVICES[*]}";; esac
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  destroy) destroy ;;
  address) echo "$FRONTEND" ;;
  server-env) printf '%s\n' "${SERVER_ENV[@]}" ;;
  server-args) valid_service "${2:-}"; server_args "$2" ;;
  service-stop) valid_service "${2:-}"; service_signal "$2" TERM ;;
  service-kill) valid_service "${2:-}"; service_signal "$2" KILL ;;
  service-start) valid_service "${2:-}"; service_start "$2" ;;
  *) die "usage: $0 start|stop|destroy|address|service-stop|service-kill|service-start NAME" ;;
esac
