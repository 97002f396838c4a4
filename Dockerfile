# syntax=docker/dockerfile:1
# oncelink: multi-stage build. The build stage needs only the package registries
# (crates.io, npm, Debian); the runtime image holds the server binary and the site.
#
#   docker build -t oncelink .
#   docker run -p 3000:3000 -e REDIS_URL=redis://redis:6379 oncelink

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
# Tool versions as in scripts/setup.sh (see ../shared/TOOLCHAIN.md for why these). The
# bundle is made by the workspace's own `bundle` crate (scripts/lib.sh), not cargo-leptos.
RUN CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version 0.2.130

WORKDIR /src
# npm packages first (binaryen's wasm-opt, esbuild), for layer caching.
COPY end2end/package.json end2end/package-lock.json end2end/
RUN cd end2end && npm ci --no-audit --no-fund --loglevel=error
ENV PATH=/src/end2end/node_modules/.bin:$PATH
COPY . .
# build_release: the server, the WASM, then the split, hashed, precompressed bundle.
RUN bash -c 'ROOT=/src; source scripts/lib.sh; build_release' \
 && mkdir /out && cp target/release/server target/release/hash.txt /out/ \
 && cp -r target/site /site

FROM debian:bookworm-slim AS runtime
# CA certificates: the S3 client (--s3-bucket) checks its HTTPS endpoint against them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin oncelink
# hash.txt beside the binary names the content-hashed bundle files (hash-files).
COPY --from=build /out/server /app/oncelink-server
COPY --from=build /out/hash.txt /app/hash.txt
COPY --from=build /site /app/site
ENV LEPTOS_OUTPUT_NAME=oncelink \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_ENV=PROD \
    LEPTOS_HASH_FILES=true \
    LEPTOS_SITE_ADDR=0.0.0.0:3000
USER 10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/app/oncelink-server", "--healthcheck"]
ENTRYPOINT ["/app/oncelink-server"]
