#!/usr/bin/env bash
# Benchmarks (not tests): measures, then writes the figures of this one run, with the machine,
# the command and the date, into BENCHMARKS.md (between its results markers; bench/report.py).
#
#   scripts/bench.sh            # everything, and BENCHMARKS.md is rewritten
#   scripts/bench.sh image api  # only some stages (printed, BENCHMARKS.md left alone):
#                               # crypto image passphrase flow first-load api pool uploads
#                               # files; also documents (issue 18's PDF and HEIC: not part of
#                               # "everything" yet, its figures are in BENCHMARKS.md by hand)
#   scripts/bench.sh profile    # perf profile of server and redis-server under the 1 KiB API
#                               # load (not part of "everything": needs perf, and perf slows
#                               # what it watches; the full list plus profile also rewrites
#                               # BENCHMARKS.md, with the profile in it)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh --test
source scripts/lib.sh
all_stages="crypto image passphrase flow first-load api pool uploads files"
stages="${*:-$all_stages}"
want() { [[ " $stages " == *" $1 "* ]]; }
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
step() { printf '\n\033[1;34m== %s\033[0m\n' "$*" >&2; }

# The server's flags for every host build here (criterion too), so that `cargo bench` and
# the release server share their dependencies' artifacts instead of rebuilding them.
export RUSTFLAGS="--cfg erase_components"

mkdir -p "$TARGET_DIR/bench"
results="$TARGET_DIR/bench/results.jsonl"
printf '{"bench": "run", "started": %s, "command": "scripts/bench.sh%s", "stages": "%s"}\n' \
  "$(date +%s)" "${*:+ $*}" "$stages" > "$results"
# Keeps the JSON lines of a stage's output in the results (and shows them).
record() { grep -o '{"bench".*}' | tee -a "$results"; }

export ONCELINK_BENCH_JPEG="$TARGET_DIR/bench/big24.jpg"
if [ ! -f "$ONCELINK_BENCH_JPEG" ]; then
  python3 -c 'import PIL' 2>/dev/null || pip install --quiet pillow
  python3 bench/make-big-jpeg.py "$ONCELINK_BENCH_JPEG"
fi

# A release server on the embedded store with the per-client limits lifted, for the
# browser benchmarks.
start_server() {
  build_release
  local port
  port="$(free_port)"
  server_env
  ONCELINK_RATE_CREATE=1000000000 ONCELINK_RATE_REVEAL=1000000000 ONCELINK_FAILED_ATTEMPTS=1000000000 \
    ONCELINK_QUOTA_BYTES=1000000000000 ONCELINK_MAX_UPLOADS_PER_CLIENT=1024 ONCELINK_METRICS_ADDR=off \
    LEPTOS_SITE_ADDR="127.0.0.1:$port" "$TARGET_DIR/release/server" > "$TARGET_DIR/bench/server.log" 2>&1 &
  pids+=($!)
  wait_for_url "http://127.0.0.1:$port/api/health" 30
  export ONCELINK_BASE_URL="http://127.0.0.1:$port"
}

playwright_bench() {
  (cd end2end && npx playwright test -c playwright.bench.config.ts "$@" --reporter=line) | record
}

if want crypto; then
  step "crypto-core natively (criterion)"
  cargo bench -p crypto-core --bench seal 2>&1 | grep -E "^crypto-core|time:|thrpt:"
  step "AES-GCM in Chromium: WASM, crypto-core bulk (WebCrypto), WebCrypto alone"
  build_harness
  [ -n "${ONCELINK_BASE_URL:-}" ] || start_server
  playwright_bench crypto.bench.ts
fi

if want image; then
  step "image cleaning, native (criterion)"
  cargo bench -p image-privacy --bench clean 2>&1 | grep -E "^image-privacy|time:"
  step "image cleaning, Chromium"
  [ -n "${ONCELINK_BASE_URL:-}" ] || start_server
  playwright_bench clean.bench.ts
fi

if want documents; then
  export ONCELINK_BENCH_DOCUMENTS="$TARGET_DIR/bench/documents"
  if [ ! -f "$ONCELINK_BENCH_DOCUMENTS/photo12mp.heic" ]; then
    python3 -c 'import pillow_heif, pikepdf, reportlab' 2>/dev/null \
      || pip install --quiet pillow pillow-heif pikepdf reportlab
    python3 bench/make-documents.py "$ONCELINK_BENCH_DOCUMENTS"
  fi
  step "document cleaning, native (criterion)"
  cargo bench -p image-privacy --bench documents 2>&1 | grep -E "^image-privacy|time:"
  step "document cleaning, Chromium"
  [ -n "${ONCELINK_BASE_URL:-}" ] || start_server
  playwright_bench documents.bench.ts
fi

if want passphrase; then
  step "passphrase stretching (Argon2id), Chromium"
  [ -n "${ONCELINK_BASE_URL:-}" ] || start_server
  playwright_bench argon2.bench.ts
fi

if want flow; then
  step "10 MB photo: Create to link, Reveal to image, Chromium"
  [ -n "${ONCELINK_BASE_URL:-}" ] || start_server
  playwright_bench image-flow.bench.ts
fi

if want first-load; then
  step "first-load transfer per page (raw, gzip -9, brotli 11)"
  [ -n "${ONCELINK_BASE_URL:-}" ] || start_server
  playwright_bench first-load.bench.ts
fi

# start_backend embedded|redis [VAR=value ...]: a release server (its pid in server_pid, its
# address in base), with its own redis-server for "redis".
start_backend() {
  local backend="$1"
  shift
  local port
  port="$(free_port)"
  metrics_port="$(free_port)"
  redis_port=""
  local redis_env=()
  if [ "$backend" = redis ]; then
    redis_port="$(free_port)"
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning >/dev/null &
    redis_pid=$!
    pids+=($redis_pid)
    sleep 0.5
    redis_env=("REDIS_URL=redis://127.0.0.1:$redis_port")
  fi
  # Everything comes from one address: the per-client quota and upload slots are lifted
  # (they are tested in the API suite); the caller's settings come after and win.
  env ${redis_env[@]+"${redis_env[@]}"} ONCELINK_QUOTA_BYTES=1000000000000 \
    ONCELINK_MAX_UPLOADS_PER_CLIENT=1024 ONCELINK_METRICS_ADDR="127.0.0.1:$metrics_port" "$@" \
    LEPTOS_SITE_ADDR="127.0.0.1:$port" \
    "$TARGET_DIR/release/server" > "$TARGET_DIR/bench/server-$backend.log" 2>&1 &
  server_pid=$!
  pids+=($server_pid)
  base="http://127.0.0.1:$port"
  export ONCELINK_METRICS_URL="http://127.0.0.1:$metrics_port/metrics"
  wait_for_url "$base/api/health" 30
}

# stop_backend: the server start_backend started, and its redis-server, gone before the next
# one (nothing left running on the two cores or holding memory).
stop_backend() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  if [ -n "$redis_port" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
}

# The API throughput runs: every per-client limit lifted, 64 large bodies in flight at once.
api_limits=(ONCELINK_RATE_CREATE=1000000000 ONCELINK_RATE_REVEAL=1000000000
  ONCELINK_FAILED_ATTEMPTS=1000000000 ONCELINK_MAX_CONCURRENT_UPLOADS=64
  ONCELINK_EMBEDDED_MAX_BYTES=12000000000)

if want api; then
  command -v wrk >/dev/null || apt_install wrk
  build_release
  server_env
  for backend in embedded redis; do
    step "API on the $backend store (wrk, 64 connections; 10 MiB on Redis also 8)"
    start_backend "$backend" "${api_limits[@]}"
    python3 bench/api.py "$base" "$server_pid" $redis_port | record
    stop_backend
  done
fi

if want pool; then
  command -v wrk >/dev/null || apt_install wrk
  build_release
  server_env
  for size in 1 2 4 8 16; do
    step "Redis connection pool of $size: 1 KiB create (5 s) and reveal (15,000 secrets)"
    start_backend redis "${api_limits[@]}" ONCELINK_REDIS_POOL_SIZE="$size"
    python3 bench/api.py "$base" "$server_pid" "$redis_port" --only-1kib --pool-size "$size" | record
    stop_backend
  done
fi

if want profile; then
  command -v wrk >/dev/null || apt_install wrk
  command -v perf >/dev/null || apt_install linux-perf
  build_release
  server_env
  step "perf profile of the server and redis-server, 1 KiB create and reveal on Redis"
  start_backend redis "${api_limits[@]}"
  bench/profile.sh "$base" "$server_pid" "$redis_port" "$TARGET_DIR/bench" | record
  stop_backend
  ls "$TARGET_DIR"/bench/profile-*.txt >&2
fi

if want uploads; then
  build_release
  server_env
  step "50 concurrent 10 MiB uploads, default settings, Redis"
  start_backend redis ONCELINK_RATE_CREATE=1000000000
  python3 bench/uploads.py "$base" "$server_pid" 400 | record
  stop_backend
fi

if want files; then
  build_release
  cargo build -q -p oncelink --release
  server_env
  big="$TARGET_DIR/bench/1gib.bin"
  [ -f "$big" ] || head -c 1073741824 /dev/urandom > "$big"
  files_limits=(ONCELINK_RATE_CREATE=1000000000 ONCELINK_RATE_REVEAL=1000000000
    ONCELINK_FILE_QUOTA_BYTES=100000000000 ONCELINK_FILES_DIR="$TARGET_DIR/bench/files")
  step "1 GiB file through Chromium, against the page's bare transfer of the same bytes"
  start_backend embedded "${files_limits[@]}"
  ONCELINK_BASE_URL="$base" ONCELINK_BENCH_FILE="$big" ONCELINK_SERVER_PID="$server_pid" \
    playwright_bench files.bench.ts
  stop_backend
  step "1 GiB file through the CLI, against curl's transfer of the same bytes"
  start_backend embedded "${files_limits[@]}"
  python3 bench/files_cli.py "$base" "$server_pid" "$big" "$TARGET_DIR/release/oncelink" | record
  stop_backend
fi

step "report"
# Every stage of a full run (extra ones such as profile may come too): rewrite the results.
full=1
for stage in $all_stages; do want "$stage" || full=0; done
if [ "$full" = 1 ]; then
  python3 bench/report.py "$results" "$TARGET_DIR/criterion" BENCHMARKS.md
else
  python3 bench/report.py "$results" "$TARGET_DIR/criterion"
fi
