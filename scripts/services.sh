#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on their standard local ports, and NATS with JetStream
# (the event stream's tests) when it is installed here. Starts them when they are installed here
# but down; otherwise says how to get them.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}

pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }
redis_up() {
  if command -v redis-cli >/dev/null; then redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG;
  else (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT") 2>/dev/null; fi
}
wait_for() { for _ in $(seq 1 30); do "$1" && return 0; sleep 1; done; return 1; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is down: starting it"
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for pg_up || { echo "PostgreSQL did not start; see /var/log/postgresql/" >&2; exit 1; }
  else
    echo "PostgreSQL is not reachable on $PGHOST:$PGPORT: install PostgreSQL 15 and start it, or run 'docker compose up -d postgres redis'." >&2
    exit 1
  fi
fi

if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "Redis is down: starting it"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir "${TMPDIR:-/tmp}" --logfile "${TMPDIR:-/tmp}/billing-redis.log"
    wait_for redis_up || { echo "Redis did not start" >&2; exit 1; }
  else
    echo "Redis is not reachable on $REDIS_HOST:$REDIS_PORT: install Redis 7 and start it, or run 'docker compose up -d postgres redis'." >&2
    exit 1
  fi
fi
NATS_PORT=${NATS_PORT:-4222}
nats_up() { (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null; }
if ! nats_up && command -v nats-server >/dev/null; then
  echo "NATS is down: starting it with JetStream"
  nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "${TMPDIR:-/tmp}/billing-nats" \
    -l "${TMPDIR:-/tmp}/billing-nats.log" >/dev/null 2>&1 &
  wait_for nats_up || { echo "NATS did not start; see ${TMPDIR:-/tmp}/billing-nats.log" >&2; exit 1; }
fi
nats_up || echo "NATS is not reachable on 127.0.0.1:$NATS_PORT: the event stream's tests will fail (install nats-server, or 'docker run -p 4222:4222 nats -js')." >&2
echo "PostgreSQL and Redis are up"
