#!/usr/bin/env bash
# Starts web (gunicorn), a Celery worker and Celery beat together; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
WEB_WORKERS=${WEB_WORKERS:-3}
mkdir -p var/run
$VENV/bin/python manage.py collectstatic --no-input -v 0

pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT

$VENV/bin/gunicorn config.wsgi:application --bind "$HOST:$PORT" --workers "$WEB_WORKERS" \
  --access-logfile - --log-level warning &
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
