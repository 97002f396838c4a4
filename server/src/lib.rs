//! The oncelink server: the REST API, the server-rendered pages and their static files,
//! over a Redis or embedded store.
//!
//! [`router`] builds the whole app for tests (`oneshot` or a real socket via [`serve`]);
//! [`run`] is the binary's entry point.
#![forbid(unsafe_code)]

pub mod api;
pub mod config;
pub mod error;
pub mod language;
pub mod metrics;
pub mod security;

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::request::Parts;
use leptos::config::LeptosOptions;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use store::validate::Limits;
use store::{EmbeddedConfig, EmbeddedStore, RedisConfig, RedisStore, Store};
use tower_http::trace::TraceLayer;

pub use config::{Config, LogFormat};

/// What every handler and server function shares.
#[derive(Clone)]
pub struct AppState {
    /// Where secrets are kept.
    pub store: Store,
    /// Input limits.
    pub limits: Limits,
    /// Largest request body accepted by the create endpoint.
    pub body_limit: usize,
    /// Rate limits per client address (shared through Redis when it is the store).
    pub limiter: store::limits::Limiter,
    /// The header naming the client's address, if behind a proxy (`--client-ip-header`).
    pub client_ip_header: Option<axum::http::HeaderName>,
    /// Longest pause between two pieces of a request body.
    pub body_timeout: Duration,
    /// Turns for large uploads, and how long one may wait for a turn.
    pub uploads: UploadGate,
    /// Leptos settings (site root, output name).
    pub leptos_options: LeptosOptions,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// Opens the store the configuration names: Redis when `REDIS_URL` is set, else embedded.
pub async fn open_store(config: &Config) -> Result<Store, store::StoreError> {
    match config.redis_url() {
        Some(url) => {
            let mut redis = RedisConfig::new(url);
            redis.prefix = config.redis_prefix.clone();
            redis.pool_size = config.redis_pool_size;
            redis.command_timeout = config.store_timeout();
            Ok(Store::Redis(RedisStore::connect(&redis).await?))
        }
        None => Ok(Store::Embedded(EmbeddedStore::new(EmbeddedConfig {
            max_bytes: config.embedded_max_bytes,
            ..EmbeddedConfig::default()
        }))),
    }
}

/// The whole application: API, pages, server functions, static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let context_state = state.clone();
    let provide = move || {
        provide_context(context_state.store.clone());
        provide_context(context_state.limits.clone());
        provide_context(context_state.limiter.clone());
        // Use the nonce the security middleware put in the CSP header.
        if let Some(nonce) = use_context::<Parts>()
            .and_then(|parts| parts.extensions.get::<security::CspNonce>().cloned())
        {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0));
        }
    };
    let options = state.leptos_options.clone();
    let pages = Router::new()
        .leptos_routes_with_context(&state, routes, provide, {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        // Server functions read their bodies through axum's limited body, whose default
        // (2 MB) is too small for an image; raise it to the configured limit. (The API has
        // its own limit, answered in its JSON error format.)
        .layer(axum::extract::DefaultBodyLimit::max(state.body_limit));
    let pkg = tower_http::services::ServeDir::new(
        std::path::Path::new(state.leptos_options.site_root.as_ref())
            .join(state.leptos_options.site_pkg_dir.as_ref()),
    )
    .precompressed_br()
    .precompressed_gzip();
    let header = state.client_ip_header.clone();
    let body_timeout = state.body_timeout;
    let uploads = state.uploads.clone();
    Router::new()
        .nest("/api", api::router(state.body_limit))
        .route("/metrics", axum::routing::get(metrics::render))
        // The bundle, with the brotli or gzip copy the build made when the browser takes it.
        .nest_service("/pkg", pkg)
        .merge(pages)
        .with_state(state)
        // A body that pauses longer than this is cut off (slow uploads that keep sending are fine).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            body_timeout,
        ))
        .layer(axum::middleware::from_fn(move |request, next| {
            uploads.clone().admit(request, next)
        }))
        .route_layer(axum::middleware::from_fn(metrics::record))
        .layer(axum::middleware::from_fn(language::from_query))
        .layer(axum::middleware::from_fn(move |request, next| {
            client_ip(header.clone(), request, next)
        }))
        .layer(axum::middleware::from_fn(log_internal_errors))
        .layer(
            // Spans name the route template, never the raw path: ids and aliases stay out of logs.
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", MatchedPath::as_str);
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %request.method(), route, request_id)
                })
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                ),
        )
        // Outside the trace layer, so every span has the id; echoed in the response for
        // support requests ("which request failed?").
        .layer(tower_http::request_id::PropagateRequestIdLayer::new(
            REQUEST_ID,
        ))
        .layer(tower_http::request_id::SetRequestIdLayer::new(
            REQUEST_ID,
            RandomRequestId,
        ))
        .layer(axum::middleware::from_fn(security::headers))
}

/// The request id header (kept from a proxy if it set one, otherwise made here).
const REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

/// Random 64-bit request ids, in hex.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl tower_http::request_id::MakeRequestId for RandomRequestId {
    fn make_request_id<B>(
        &mut self,
        _: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).ok()?;
        let id = bytes.iter().fold(String::with_capacity(16), |mut s, b| {
            let _ = std::fmt::Write::write_fmt(&mut s, format_args!("{b:02x}"));
            s
        });
        axum::http::HeaderValue::from_str(&id)
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
}

/// Bodies over this size take a turn at the [`UploadGate`].
const LARGE_BODY: u64 = 1024 * 1024;

/// Bounds how many large uploads are read and processed at once: each may hold tens of MB
/// (the base64 body, the decoded payload, the store's copy) until it is stored.
#[derive(Clone)]
pub struct UploadGate {
    turns: std::sync::Arc<tokio::sync::Semaphore>,
    wait: Duration,
}

impl UploadGate {
    /// `concurrent` uploads at once; others wait up to `wait`.
    pub fn new(concurrent: usize, wait: Duration) -> Self {
        Self {
            turns: std::sync::Arc::new(tokio::sync::Semaphore::new(concurrent.max(1))),
            wait,
        }
    }

    async fn admit(
        self,
        request: Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        use axum::response::IntoResponse as _;
        let length = request
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let has_body = request
            .headers()
            .contains_key(axum::http::header::TRANSFER_ENCODING)
            || length.is_some_and(|l| l > LARGE_BODY);
        if !has_body {
            return next.run(request).await;
        }
        match tokio::time::timeout(self.wait, self.turns.clone().acquire_owned()).await {
            Ok(Ok(_turn)) => next.run(request).await,
            _ => {
                store::metrics::COUNTERS.reject(store::metrics::Rejected::Busy);
                let mut response = (
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    axum::Json(serde_json::json!({
                        "error": "the server is busy with other uploads; try again shortly"
                    })),
                )
                    .into_response();
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("5"),
                );
                response
            }
        }
    }
}

/// Decides the client's address once per request (for rate limits): the rightmost address
/// in the configured proxy header, else the socket's peer.
async fn client_ip(
    header: Option<axum::http::HeaderName>,
    mut request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let from_header = header.as_ref().and_then(|name| {
        request
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
            .next_back()
    });
    let ip = from_header.unwrap_or_else(|| {
        request
            .extensions()
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
    });
    request.extensions_mut().insert(store::limits::ClientIp(ip));
    next.run(request).await
}

/// Logs the internal detail attached to an error response (never sent to the client).
async fn log_internal_errors(
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    if let Some(error::InternalError(detail)) = response.extensions().get::<error::InternalError>()
    {
        tracing::error!(
            status = response.status().as_u16(),
            detail,
            "request failed"
        );
    }
    response
}

/// Largest request head (request line and headers); bigger ones are refused (431).
const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Serves `router` on `listener` until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, shutdown, Duration::from_secs(10)).await
}

/// [`serve`] with the longest wait for a request's headers (slow-header clients, slowloris,
/// are cut off after it).
///
/// hyper directly rather than `axum::serve`, for the header timeout and size limit.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    header_timeout: Duration,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use tower::ServiceExt as _;

    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEADER_BYTES.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(MAX_HEADER_BYTES).unwrap_or(u32::MAX));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(addr));
                router.clone().oneshot(request.map(axum::body::Body::new))
            },
        );
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
    // Stop accepting at once; then wait for the connections' requests to finish.
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// The binary's entry point: configuration, store, router, listener.
pub async fn run() -> ExitCode {
    let config = Config::parse_from_env_and_args();
    if config.healthcheck {
        return healthcheck(config.addr).await;
    }
    init_tracing(config.log_format);
    let mut leptos_options = match leptos::config::get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(e) => {
            tracing::error!("invalid Leptos configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    leptos_options.site_addr = config.addr;
    let store = match open_store(&config).await {
        Ok(store) => store,
        Err(e) => {
            tracing::error!("cannot open the store: {e}");
            return ExitCode::FAILURE;
        }
    };
    let client_ip_header = match config.client_ip_header() {
        Ok(header) => header,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let state = AppState {
        limiter: store::limits::Limiter::for_store(&store, config.rules()),
        store,
        limits: config.limits(),
        body_limit: config.body_limit(),
        client_ip_header,
        body_timeout: config.body_timeout(),
        uploads: config.upload_gate(),
        leptos_options,
    };
    let backend = state.store.backend();
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!("cannot listen on {}: {e}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    let url = listener
        .local_addr()
        .map_or_else(|_| config.addr.to_string(), |a| a.to_string());
    tracing::info!(store = backend, "oncelink serving at http://{url}");
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown_signal().await;
        let _ = stopping.send(());
    };
    let grace = Duration::from_secs(config.shutdown_grace_seconds);
    let deadline = async move {
        if stopped.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = serve_with(listener, router(state), signal, config.header_timeout()) => match result {
            Ok(()) => {
                tracing::info!("stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                tracing::error!("server error: {e}");
                ExitCode::FAILURE
            }
        },
        () = deadline => {
            tracing::warn!(
                grace_seconds = grace.as_secs(),
                "grace period over: closing the requests still open"
            );
            ExitCode::SUCCESS
        }
    }
}

/// Asks a running server at `addr` for `/api/health`; success only on `200`.
/// For container health checks, where no HTTP client is installed.
async fn healthcheck(addr: SocketAddr) -> ExitCode {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        Ok::<bool, std::io::Error>(head.ends_with(b" 200"))
    };
    match tokio::time::timeout(std::time::Duration::from_secs(5), probe).await {
        Ok(Ok(true)) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

impl Config {
    /// Parses flags and environment; prints help or a clear error and exits on bad input.
    pub fn parse_from_env_and_args() -> Self {
        <Self as clap::Parser>::parse()
    }
}
