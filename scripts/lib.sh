# Shared by serve.sh and test.sh (sourced, after setup.sh).

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# RUSTFLAGS of every wasm32 build (app and harness alike, so they share artifacts).
WASM_RUSTFLAGS="--cfg erase_components -C link-args=--emit-relocs"

# The release build: what `cargo leptos build --release --split` did, without compiling
# cargo-leptos (twenty minutes on two cores). Views are type-erased on both sides
# (`--cfg erase_components`; server and WASM must agree or hydration fails); the WASM keeps
# its relocations so that `bundle` can split it at every `#[lazy]` function.
build_release() {
  server_env
  RUSTFLAGS="--cfg erase_components" cargo build -p server --release
  RUSTFLAGS="$WASM_RUSTFLAGS" cargo build -p frontend --lib --target wasm32-unknown-unknown \
    --profile wasm-release
  # Same flags as the server: the release builds share their dependencies' artifacts.
  RUSTFLAGS="--cfg erase_components" cargo run -q -p bundle --release -- \
    --wasm "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm" \
    --site "$ROOT/target/site" --style "$ROOT/style/main.css" --assets "$ROOT/public" \
    --hash-file "$TARGET_DIR/release/hash.txt" --work-dir "$TARGET_DIR/bundle"
  # Brotli and gzip copies of the bundle, served as they are (see server::router).
  node "$ROOT/scripts/precompress.mjs" "$ROOT/target/site/pkg"
}

# crypto-core alone in WASM, for the browser test and benchmark of its WebCrypto path
# (end2end/harness.ts). Same profile as the app's bundle.
build_harness() {
  RUSTFLAGS="$WASM_RUSTFLAGS" cargo build -p crypto-harness --lib --target wasm32-unknown-unknown \
    --profile wasm-release
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
