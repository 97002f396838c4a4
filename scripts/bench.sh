#!/usr/bin/env bash
# Benchmarks (not tests). Prints figures for BENCHMARKS.md.
#
#   scripts/bench.sh            # everything
#   scripts/bench.sh image      # only some: crypto, image, passphrase, first-load, api
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh --test
source scripts/lib.sh
stages="${*:-crypto image passphrase first-load api}"
want() { [[ " $stages " == *" $1 "* ]]; }
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

mkdir -p "$TARGET_DIR/bench"
export ONCELINK_BENCH_JPEG="$TARGET_DIR/bench/big24.jpg"
if [ ! -f "$ONCELINK_BENCH_JPEG" ]; then
  python3 -c 'import PIL' 2>/dev/null || pip install --quiet pillow
  python3 bench/make-big-jpeg.py "$ONCELINK_BENCH_JPEG"
fi

start_server() {
  build_release
  local port
  port="$(free_port)"
  server_env
  ONCELINK_RATE_CREATE=1000000000 ONCELINK_RATE_REVEAL=1000000000 ONCELINK_FAILED_ATTEMPTS=1000000000 \
    LEPTOS_SITE_ADDR="127.0.0.1:$port" "$TARGET_DIR/release/server" > "$TARGET_DIR/bench/server.log" 2>&1 &
  pids+=($!)
  wait_for_url "http://127.0.0.1:$port/api/health" 30
  export ONCELINK_BASE_URL="http://127.0.0.1:$port"
}

if want crypto; then
  echo "== crypto-core natively (criterion)"
  cargo bench -p crypto-core --bench seal 2>&1 | grep -E "^crypto-core|time:|thrpt:"
fi

if want image; then
  echo "== image cleaning, native (criterion)"
  cargo bench -p image-privacy --bench clean 2>&1 | grep -E "^image-privacy|time:"
  echo "== image cleaning, Chromium"
  start_server
  (cd end2end && npx playwright test -c playwright.bench.config.ts clean.bench.ts --reporter=line) | grep '"bench"'
fi

if want passphrase; then
  echo "== passphrase stretching (Argon2id), Chromium"
  [ -n "${ONCELINK_BASE_URL:-}" ] || start_server
  (cd end2end && npx playwright test -c playwright.bench.config.ts argon2.bench.ts --reporter=line) | grep '"bench"'
fi

if want first-load; then
  echo "== first-load transfer per page (raw, gzip -9, brotli 11)"
  [ -n "${ONCELINK_BASE_URL:-}" ] || start_server
  (cd end2end && npx playwright test -c playwright.bench.config.ts first-load.bench.ts --reporter=line) | grep '"bench"'
fi

if want api; then
  command -v wrk >/dev/null || apt_install wrk
  build_release
  server_env
  for backend in embedded redis; do
    port="$(free_port)"
    redis_args=()
    redis_port=""
    if [ "$backend" = redis ]; then
      redis_port="$(free_port)"
      redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning >/dev/null &
      pids+=($!)
      sleep 0.5
      redis_args=("REDIS_URL=redis://127.0.0.1:$redis_port")
    fi
    env ${redis_args[@]+"${redis_args[@]}"} ONCELINK_RATE_CREATE=1000000000 ONCELINK_RATE_REVEAL=1000000000 \
      ONCELINK_FAILED_ATTEMPTS=1000000000 ONCELINK_MAX_CONCURRENT_UPLOADS=64 ONCELINK_EMBEDDED_MAX_BYTES=12000000000 \
      LEPTOS_SITE_ADDR="127.0.0.1:$port" "$TARGET_DIR/release/server" > "$TARGET_DIR/bench/server-$backend.log" 2>&1 &
    server_pid=$!
    pids+=($server_pid)
    wait_for_url "http://127.0.0.1:$port/api/health" 30
    echo "== API on the $backend store (wrk, 64 connections)"
    python3 bench/api.py "http://127.0.0.1:$port" "$server_pid" $redis_port
    kill "$server_pid"
  done
fi
