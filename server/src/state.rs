//! What every handler and server function shares, built from the configuration in one place
//! (the binary, every test and the CLI's test harness use [`AppState::from_config`]).

use std::time::Duration;

use axum::http::HeaderName;
use leptos::config::LeptosOptions;
use service::Service;
use store::{EmbeddedConfig, EmbeddedStore, RedisConfig, RedisStore, Store};

use crate::Config;
use crate::upload::UploadGate;

/// What every handler and server function shares. Built only by [`AppState::from_config`]
/// or [`AppState::new`], so no part can be left out:
///
/// ```compile_fail
/// // The parts are private: no state without its service, limits and rules.
/// let state = server::AppState(std::sync::Arc::new(todo!()));
/// ```
///
/// Axum clones the state for every extractor and middleware of every request: one `Arc`,
/// so that is one atomic increment, not a copy of every part (the profile showed the copy).
#[derive(Clone)]
pub struct AppState(std::sync::Arc<Parts>);

/// The parts of [`AppState`].
pub struct Parts {
    pub(crate) service: Service,
    pub(crate) body_limit: usize,
    pub(crate) client_ip_header: Option<HeaderName>,
    pub(crate) body_timeout: Duration,
    pub(crate) uploads: UploadGate,
    pub(crate) leptos_options: LeptosOptions,
    pub(crate) latency: std::sync::Arc<crate::metrics::Latency>,
    pub(crate) hsts: bool,
}

/// Why the server could not be put together.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not be opened.
    #[error("cannot open the store: {0}")]
    Store(#[from] store::StoreError),
    /// A setting is invalid.
    #[error("{0}")]
    Config(String),
    /// The file storage (the S3 bucket) cannot be used.
    #[error("cannot use the file storage: {0}")]
    Files(#[from] blobs::BlobError),
}

impl AppState {
    /// Opens the store the configuration names (Redis when `REDIS_URL` is set, else
    /// embedded) and wires the service, limits and HTTP settings.
    pub async fn from_config(
        config: &Config,
        leptos_options: LeptosOptions,
    ) -> Result<Self, StartError> {
        let store = open_store(config).await?;
        let files = config.files().map_err(StartError::Config)?;
        // Object storage is asked once now, so a wrong bucket, endpoint or key stops the
        // start instead of the first upload; the answer says how uploads are decided.
        if let blobs::Blobs::S3(s3) = &files.blobs {
            let conditional = s3.conditional_writes().await?;
            tracing::info!(
                conditional_writes = conditional,
                "file data in object storage"
            );
        }
        Self::assemble(store, config, files, leptos_options)
    }

    /// Like [`AppState::from_config`], over a store the caller opened (tests that look into
    /// the store, or force its failures).
    pub fn new(
        store: Store,
        config: &Config,
        leptos_options: LeptosOptions,
    ) -> Result<Self, StartError> {
        let files = config.files().map_err(StartError::Config)?;
        Self::assemble(store, config, files, leptos_options)
    }

    fn assemble(
        store: Store,
        config: &Config,
        files: service::Files,
        leptos_options: LeptosOptions,
    ) -> Result<Self, StartError> {
        Ok(Self(std::sync::Arc::new(Parts {
            service: Service::with_files(store, config.limits(), config.rules(), Some(files)),
            body_limit: config.body_limit(),
            client_ip_header: config.client_ip_header().map_err(StartError::Config)?,
            body_timeout: config.body_timeout(),
            uploads: config.upload_gate(),
            leptos_options,
            latency: std::sync::Arc::default(),
            hsts: config.hsts,
        })))
    }

    /// The service behind every door.
    pub fn service(&self) -> &Service {
        &self.service
    }
}

impl std::ops::Deref for AppState {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
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
            redis.wait_replicas = config.redis_wait_replicas;
            Ok(Store::Redis(RedisStore::connect(&redis).await?))
        }
        None => Ok(Store::Embedded(EmbeddedStore::new(EmbeddedConfig {
            max_bytes: config.embedded_max_bytes,
            ..EmbeddedConfig::default()
        }))),
    }
}
