//! The whole public application as one router: API, pages, server functions, static files,
//! and the middleware every request goes through. (`/metrics` has its own listener:
//! [`crate::metrics::router`].)

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::request::Parts;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::trace::TraceLayer;

use crate::middleware::{self, REQUEST_ID, RandomRequestId};
use crate::{AppState, api, client, language, metrics, security};

/// The whole application: API, pages, server functions, static files.
pub fn app(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let service = state.service.clone();
    let provide = move || {
        // The server functions' one dependency: the same service as the REST API.
        provide_context(service.clone());
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
    let gate_service = state.service.clone();
    let hsts = state.hsts;
    Router::new()
        .nest("/api", api::router(state.body_limit))
        // The bundle, with the brotli or gzip copy the build made when the browser takes it.
        .nest_service("/pkg", pkg)
        .merge(pages)
        .with_state(state.clone())
        // A body that pauses longer than this is cut off (and the gate's minimum rate cuts one
        // that keeps trickling).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            body_timeout,
        ))
        .layer(axum::middleware::from_fn(move |request, next| {
            uploads.clone().admit(gate_service.clone(), request, next)
        }))
        .route_layer(axum::middleware::from_fn_with_state(state, metrics::record))
        .layer(axum::middleware::from_fn(language::from_query))
        .layer(axum::middleware::from_fn(move |request, next| {
            client::client_ip(header.clone(), request, next)
        }))
        .layer(axum::middleware::from_fn(middleware::log_internal_errors))
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
        .layer(axum::middleware::from_fn(move |request, next| {
            security::headers(hsts, request, next)
        }))
}
