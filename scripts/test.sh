#!/usr/bin/env bash
# Runs every test: formatting and lints (native and wasm32), the Rust suites (crypto-core
# vectors and properties, store contract on the embedded store and a real redis-server,
# REST API over a real socket), then Playwright against the release build, a real Redis
# and Debian's Chromium.
#
# Redis: REDIS_URL if set; otherwise the tests start their own redis-server on free ports.
# Object storage: ONCELINK_S3_ENDPOINT (with _BUCKET, _REGION, _ACCESS_KEY_ID,
# _SECRET_ACCESS_KEY, _PREFIX) if set; otherwise each S3 test starts its own Garage. Here a
# missing `garage` fails those tests (ONCELINK_REQUIRE_S3=1) instead of skipping them.
#
#   scripts/test.sh              # everything (what CI runs)
#   scripts/test.sh lint rust    # only some stages: lint, rust, e2e
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh --test
source scripts/lib.sh

# The repository's own vectors and image fixtures (fixtures/) always run. The shared ones
# beside the project (../shared, or ONCELINK_SHARED_DIR) run too when they are there;
# ONCELINK_SHARED_DIR=none leaves them out.
if [ -z "${ONCELINK_SHARED_DIR:-}" ] && [ -d "$ROOT/../shared" ]; then
  ONCELINK_SHARED_DIR="$(cd "$ROOT/../shared" && pwd)"
  export ONCELINK_SHARED_DIR
fi
if [ -n "${ONCELINK_SHARED_DIR:-}" ] && [ "$ONCELINK_SHARED_DIR" != none ] && [ -d "$ONCELINK_SHARED_DIR" ]; then
  echo "test.sh: also running the shared vectors and fixtures in $ONCELINK_SHARED_DIR" >&2
else
  echo "test.sh: no shared directory; running the repository's vectors and fixtures only" >&2
fi

# The object-storage tests must run, not skip, wherever this script runs (CI included).
export ONCELINK_REQUIRE_S3="${ONCELINK_REQUIRE_S3:-1}"

# Incremental artifacts only grow in a test run's target dir; they do not pay off here.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n\033[1;32m==> %s\033[0m\n' "$*" >&2; }
stages="${*:-lint rust e2e}"
want() { [[ " $stages " == *" $1 "* ]]; }

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

if want lint; then
  step "format"
  cargo fmt --all -- --check
  step "clippy (native, all targets)"
  cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
  step "clippy (wasm32: crypto-core and its harness, image-privacy, app, frontend)"
  cargo clippy --target wasm32-unknown-unknown -p crypto-core -p crypto-harness -p image-privacy -p frontend -- -D warnings
fi

if want rust; then
  step "Rust tests (crypto-core, store contract, API)"
  cargo test --workspace --exclude frontend
fi

if ! want e2e; then
  exit 0
fi
step "release build (server + WASM), CLI, crypto harness"
build_release
cargo build -p oncelink
build_harness

step "end-to-end (Playwright, Chromium, Redis)"
redis_url="${REDIS_URL:-}"
if [ -z "$redis_url" ]; then
  redis_port="$(free_port)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize no --loglevel warning >/dev/null &
  pids+=($!)
  redis_url="redis://127.0.0.1:$redis_port"
fi
port="$(free_port)"
server_env
# The whole suite comes from one address: lift the per-client limits (tested in the API suite).
export ONCELINK_RATE_CREATE=100000 ONCELINK_RATE_REVEAL=100000 ONCELINK_FAILED_ATTEMPTS=100000
export ONCELINK_QUOTA_BYTES=1000000000000 ONCELINK_MAX_UPLOADS_PER_CLIENT=64 ONCELINK_METRICS_ADDR=off
LEPTOS_SITE_ADDR="127.0.0.1:$port" REDIS_URL="$redis_url" \
  ONCELINK_REDIS_PREFIX="e2e:$$:" "$TARGET_DIR/release/server" > "$TARGET_DIR/e2e-server.log" 2>&1 &
server_pid=$!
pids+=($server_pid)
wait_for_url "http://127.0.0.1:$port/api/health" 30 || { cat "$TARGET_DIR/e2e-server.log"; exit 1; }
# The server's pid lets the file tests read its memory while a large file goes through.
(cd end2end && ONCELINK_BASE_URL="http://127.0.0.1:$port" REDIS_URL="$redis_url" ONCELINK_SERVER_PID="$server_pid" \
  ONCELINK_CLI="$TARGET_DIR/debug/oncelink" npx playwright test)

step "all tests passed"
