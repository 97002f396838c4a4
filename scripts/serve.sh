#!/usr/bin/env bash
# Builds oncelink (release) and serves it. Embedded store unless REDIS_URL is set;
# listens on LEPTOS_SITE_ADDR (default 127.0.0.1:3000).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
source scripts/lib.sh

build_release
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
exec_server
