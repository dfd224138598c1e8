#!/usr/bin/env bash
# Starts web (granian), a Celery worker and Celery beat together; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
WEB_WORKERS=${WEB_WORKERS:-3}
WEB_THREADS=${WEB_THREADS:-2}
mkdir -p var/run
$VENV/bin/python manage.py collectstatic --no-input -v 0

pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT

# granian: Rust HTTP (keep-alive) in front of our WSGI app; each worker process runs Django in
# WEB_THREADS threads (docs/architecture.md).
$VENV/bin/granian --interface wsgi --host "$HOST" --port "$PORT" --workers "$WEB_WORKERS" \
  --blocking-threads "$WEB_THREADS" --respawn-failed-workers --access-log --log-level warning \
  config.wsgi:application &
pids+=($!)
$VENV/bin/celery -A config worker --loglevel WARNING --concurrency 2 &
pids+=($!)
$VENV/bin/celery -A config beat --loglevel WARNING &
pids+=($!)

cat <<MSG

  Billing is running at http://$HOST:$PORT/
    console   http://$HOST:$PORT/console/      alice / alice  (owner of Acme Corp)
                                              bob / bob      (owner of Globex Inc)
    admin     http://$HOST:$PORT/admin/        admin / admin  (operator superuser)
                                              finance / finance  (finance staff)
    API docs  http://$HOST:$PORT/api/v1/docs/
  Press Ctrl-C to stop web, worker and beat.

MSG
wait -n "${pids[@]}"
