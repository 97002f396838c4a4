#!/usr/bin/env bash
# Installs what building, serving and testing oncelink need, skipping whatever is already
# there. Safe to run any number of times. Sourced by scripts/serve.sh and scripts/test.sh.
#
#   scripts/setup.sh            # build tools only (serve)
#   scripts/setup.sh --test     # also Chromium, redis-server, exiftool, Garage (tests)
#
# Nothing is downloaded from outside the package registries: the wasm-bindgen CLI and Garage
# come from crates.io, wasm-opt (binaryen) and esbuild from npm, the rest from Debian. The bundle
# itself is made by the workspace's own `bundle` crate (scripts/lib.sh), not cargo-leptos.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Must equal the `wasm-bindgen` crate version pinned in Cargo.toml.
WASM_BINDGEN_VERSION=0.2.130
# The S3-compatible object store the tests start (blobs and service suites).
GARAGE_VERSION=2.5.0

with_test_tools=0
[ "${1:-}" = "--test" ] && with_test_tools=1

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

export PATH="$HOME/.cargo/bin:$PATH"

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

if ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io"
  # No --locked: one locked dependency of this release is missing from the registry index.
  CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# npm packages: Playwright, esbuild and binaryen's wasm-opt (Debian's binaryen breaks the WASM).
lock="$ROOT/end2end/package-lock.json"
stamp="$ROOT/end2end/node_modules/.installed-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
  log "installing npm packages in end2end/"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$lock" "$stamp"
fi
export PATH="$ROOT/end2end/node_modules/.bin:$PATH"

if [ "$with_test_tools" = 1 ]; then
  # Independent readers for the document-privacy tests: libheif's heif-convert (HEIC),
  # poppler's pdfinfo, pdfdetach and pdftoppm (PDF), Info-ZIP's unzip (Office).
  apt_install chromium redis-server libimage-exiftool-perl curl libheif-examples poppler-utils unzip
  # Garage: a real S3-compatible store for the object-storage tests, built once per machine
  # (about 21 minutes on 2 cores). LMDB only, against Debian's libsodium and zstd (without
  # libzstd-dev, zstd-sys fails to build). Its own throwaway target dir: not the project's.
  if ! garage --version 2>/dev/null | grep -qF "$GARAGE_VERSION"; then
    apt_install libsodium-dev libzstd-dev pkg-config
    log "installing garage $GARAGE_VERSION from crates.io (once per machine)"
    garage_target="$(mktemp -d)"
    cargo install garage --version "$GARAGE_VERSION" --locked --no-default-features \
      --features lmdb,system-libs --target-dir "$garage_target"
    rm -rf "$garage_target"
  fi
fi
