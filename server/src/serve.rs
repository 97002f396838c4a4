//! The serve loop (header timeout, size limit, graceful drain) and the binary's entry point.

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;

use crate::{AppState, Config, LogFormat};

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
/// are cut off after it; it also bounds how long an idle keep-alive connection stays open).
///
/// hyper directly rather than `axum::serve`, for the header timeout and size limit. HTTP/1.1
/// only: a TLS proxy in front speaks HTTP/2 to browsers and HTTP/1.1 to us, and HTTP/1.1 gives
/// every body a declared length or chunked framing, so none bypasses the upload gate (an h2c
/// body needs neither). An HTTP/2 preface gets no HTTP/2 answer.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    header_timeout: Duration,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEADER_BYTES.max(8192));
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
        let connection = builder.serve_connection(TokioIo::new(stream), service);
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

/// Logs go to stdout through a writer thread: a request only queues its line and never waits
/// for the terminal or the log collector. When the queue is full (128k lines behind) lines are
/// dropped rather than requests slowed. The guard flushes what is queued when dropped (exit).
fn init_tracing(format: LogFormat) -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(std::io::stdout());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    guard
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

/// How often file data is swept.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The binary's entry point: configuration, store, router, listener.
pub async fn run() -> ExitCode {
    let config = Config::parse_from_env_and_args();
    if config.healthcheck {
        return healthcheck(config.addr).await;
    }
    let _logs = init_tracing(config.log_format);
    let mut leptos_options = match leptos::config::get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(e) => {
            tracing::error!("invalid Leptos configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    leptos_options.site_addr = config.addr;
    let state = match AppState::from_config(&config, leptos_options).await {
        Ok(state) => state,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let backend = state.service().store().backend();
    if config.redis_url().is_some() && config.files_dir.is_none() && config.s3_bucket().is_none() {
        tracing::warn!(
            "file data goes to the temporary directory (neither ONCELINK_FILES_DIR nor \
             ONCELINK_S3_BUCKET is set): with Redis, set one to storage that survives a reboot \
             and that every instance shares"
        );
    }
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
    let metrics = match config.metrics_addr() {
        Ok(Some(addr)) => match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => {
                let at = listener.local_addr().map_or(addr, |a| a);
                tracing::info!("metrics at http://{at}/metrics");
                Some(listener)
            }
            // Serving secrets matters more than serving metrics: say so loudly, keep going.
            Err(e) => {
                tracing::error!(
                    "cannot listen for metrics on {addr}: {e}; serving without /metrics"
                );
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(listener) = metrics {
        // Its own loop, ended with the process: scrapes are short and hold nothing.
        let router = crate::metrics::router(state.clone());
        tokio::spawn(async move {
            let _ = serve_with(
                listener,
                router,
                std::future::pending(),
                Duration::from_secs(10),
            )
            .await;
        });
    }
    // File data whose secret is gone, and uploads never finished, are deleted here; ended with
    // the process (a sweep holds nothing that a restart's sweep would not redo).
    let sweeper = state.service().clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            match sweeper.sweep_files().await {
                Ok(swept) if swept != service::Swept::default() => {
                    tracing::info!(
                        blobs = swept.blobs,
                        uploads = swept.uploads,
                        "swept file data"
                    );
                }
                Ok(_) | Err(service::ServiceError::NoFiles) => {}
                Err(e) => {
                    tracing::warn!(error = %e, detail = ?e.internal_detail(), "file sweep failed")
                }
            }
        }
    });
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
        result = serve_with(listener, crate::app(state), signal, config.header_timeout()) => match result {
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
