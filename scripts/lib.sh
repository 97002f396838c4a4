# Shared by serve.sh and test.sh (sourced, after setup.sh).

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

build_release() {
  cargo leptos build --release
  # Brotli and gzip copies of the bundle, served as they are (see server::router).
  node "$ROOT/scripts/precompress.mjs" "$ROOT/target/site/pkg"
}

# Environment for running the built server binary directly.
server_env() {
  export LEPTOS_OUTPUT_NAME=oncelink
  export LEPTOS_SITE_ROOT="$ROOT/target/site"
  export LEPTOS_SITE_PKG_DIR=pkg
  export LEPTOS_ENV=PROD
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
