#!/usr/bin/env bash
# Start (or stop) local PostgreSQL, Redis and Apache Kafka for development and tests; idempotent.
# Usage: scripts/services.sh start|stop|status
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${DELOTON_SERVICES_DIR:-$HOME/.cache/deloton/services}
KAFKA_LIBS=${KAFKA_LIBS:-$HOME/.cache/deloton/kafka/libs}
KAFKA_HEAP=${KAFKA_HEAP:-512m}
mkdir -p "$STATE"

log() { printf '[services] %s\n' "$*"; }

wait_for() {  # wait_for NAME SECONDS COMMAND...
  local name=$1 seconds=$2; shift 2
  for _ in $(seq 1 $((seconds * 4))); do
    if "$@" >/dev/null 2>&1; then log "$name is up"; return 0; fi
    sleep 0.25
  done
  log "$name did not answer within ${seconds}s"; return 1
}

pg_version() { ls /usr/lib/postgresql | sort -V | tail -n 1; }

start_postgres() {
  local ver; ver=$(pg_version)
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$ver main"; then
    pg_createcluster "$ver" main --port 5432 >/dev/null
  fi
  if ! pg_lsclusters -h | grep -q "^$ver *main .* online"; then
    pg_ctlcluster "$ver" main start
  fi
  wait_for PostgreSQL 30 pg_isready -h localhost -p 5432
  # Role and database deloton/deloton; the role may create databases (test databases).
  su postgres -c "psql -v ON_ERROR_STOP=1 -qAt" <<'SQL'
SELECT 'CREATE ROLE deloton LOGIN CREATEDB CREATEROLE PASSWORD ''deloton'''
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'deloton')\gexec
SELECT 'CREATE DATABASE deloton OWNER deloton'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'deloton')\gexec
SQL
}

stop_postgres() {
  local ver; ver=$(pg_version)
  pg_ctlcluster "$ver" main stop 2>/dev/null || true
}

start_redis() {
  if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
    redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --dir "$STATE" \
      --save "" --appendonly no --logfile "$STATE/redis.log" --pidfile "$STATE/redis.pid"
  fi
  wait_for Redis 15 redis-cli -p 6379 ping
}

stop_redis() { redis-cli -p 6379 shutdown nosave >/dev/null 2>&1 || true; }

kafka_java() { java -Xms128m -Xmx"$KAFKA_HEAP" -Dlog4j.configuration="file:$HERE/kafka/log4j.properties" -cp "$KAFKA_LIBS/*" "$@"; }

kafka_answers() {
  "$HERE/../.venv/bin/python" - <<'PY'
from kafka import KafkaAdminClient
KafkaAdminClient(bootstrap_servers="localhost:9092", request_timeout_ms=2000).list_topics()
PY
}

start_kafka() {
  local conf="$STATE/kafka-server.properties" data="$STATE/kafka-data"
  sed "s#^log.dirs=.*##" "$HERE/kafka/server.properties" > "$conf"
  echo "log.dirs=$data" >> "$conf"
  if [ ! -f "$data/meta.properties" ]; then   # format the KRaft storage once
    kafka_java kafka.tools.StorageTool format -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
      -c "$conf" >/dev/null
  fi
  if ! kafka_answers >/dev/null 2>&1; then
    if [ -f "$STATE/kafka.pid" ] && kill -0 "$(cat "$STATE/kafka.pid")" 2>/dev/null; then
      log "Kafka is starting (pid $(cat "$STATE/kafka.pid"))"
    else
      nohup bash -c "$(declare -f kafka_java); HERE='$HERE' KAFKA_LIBS='$KAFKA_LIBS' KAFKA_HEAP='$KAFKA_HEAP' \
        kafka_java kafka.Kafka '$conf'" > "$STATE/kafka.log" 2>&1 &
      echo $! > "$STATE/kafka.pid"
    fi
  fi
  wait_for Kafka 90 kafka_answers || { tail -n 30 "$STATE/kafka.log"; return 1; }
}

stop_kafka() {
  if [ -f "$STATE/kafka.pid" ]; then
    local pid; pid=$(cat "$STATE/kafka.pid")
    pkill -TERM -f "kafka.Kafka $STATE/kafka-server.properties" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do pgrep -f "kafka.Kafka $STATE" >/dev/null || break; sleep 0.5; done
    rm -f "$STATE/kafka.pid"
  fi
}

case "${1:-start}" in
  start) start_postgres; start_redis; start_kafka ;;
  stop) stop_kafka; stop_redis; stop_postgres ;;
  status) pg_isready -h localhost -p 5432; redis-cli -p 6379 ping; kafka_answers && echo "kafka ok" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
