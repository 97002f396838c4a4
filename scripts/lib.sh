# Shared by serve.sh and test.sh (sourced, after setup.sh).

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

build_release() {
  cargo leptos build --release
  # Brotli and gzip copies of the bundle, served as they are (see server::app).
  node "$ROOT/scripts/precompress.mjs" "$ROOT/target/site/pkg"
}

# crypto-core alone in WASM, for the browser test and benchmark of its WebCrypto path
# (end2end/harness.ts). Same profile as the app's bundle.
build_harness() {
  cargo build -p crypto-harness --lib --target wasm32-unknown-unknown --profile wasm-release
  wasm-bindgen --target web --no-typescript --out-dir "$TARGET_DIR/harness" \
    "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/crypto_harness.wasm"
  export ONCELINK_HARNESS_DIR="$TARGET_DIR/harness"
}

# Environment for running the built server binary directly.
server_env() {
  export LEPTOS_OUTPUT_NAME=oncelink
  export LEPTOS_SITE_ROOT="$ROOT/target/site"
  export LEPTOS_SITE_PKG_DIR=pkg
  export LEPTOS_ENV=PROD
  # The bundle's names carry content hashes, listed in hash.txt beside the server binary.
  export LEPTOS_HASH_FILES=true
}

exec_server() {
  server_env
  exec "$TARGET_DIR/release/server" "$@"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_for_url URL SECONDS
wait_for_url() {
  local url="$1" deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "timed out waiting for $url" >&2
      return 1
    fi
    sleep 0.2
  done
}
