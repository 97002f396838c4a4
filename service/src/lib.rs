//! The rules of oncelink, written once: create, info, reveal, status and destroy, with their
//! validation, rate limits, failure accounting and metrics.
//!
//! Every door (the REST API, the web app's server functions) decodes its request, calls one
//! method of [`Service`] with the client's address, and encodes the answer; none of them
//! decides anything. A [`Service`] cannot be built without its store, limits and rate-limit
//! rules, so a door cannot run half-wired:
//!
//! ```
//! # use std::time::Duration;
//! let store = store::Store::Embedded(store::EmbeddedStore::new(Default::default()));
//! let rule = service::Rule { max: 60, window: Duration::from_secs(60) };
//! let rules = service::Rules {
//!     create: rule,
//!     reveal: rule,
//!     failed: rule,
//!     quota: service::Quota::DEFAULT,
//!     ipv6_prefix: 64,
//! };
//! let service = service::Service::new(store, service::Limits::default(), rules);
//! ```
//!
//! ```compile_fail
//! // The same without limits and rate-limit rules does not compile.
//! let store = store::Store::Embedded(store::EmbeddedStore::new(Default::default()));
//! let service = service::Service::new(store);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod counts;
mod error;
pub mod files;
pub mod limits;
pub mod metrics;
mod requests;
mod types;
pub mod validate;

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use protocol::Loose;
use protocol::rest::{SecretState, StatusResponse};
use store::{Access, Alias, Claim, Managed, Presented, Reveal, SecretRef, Store, Usage};

pub use error::{BodyError, ServiceError};
pub use files::{Download, DownloadProofs, FileLimits, Files, Swept, Wanted};
pub use limits::{Class, Quota, Rule, Rules};
pub use metrics::{Metrics, Rejected, Snapshot};
pub use store::{Info, State, Status};
pub use types::{Admission, ClientIp, CreateInput, Created, Payload, Proofs, Revealed};
pub use validate::{InputError, Limits};

use limits::Limiter;

/// The service: cheap to clone, shared by every door.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    limits: Limits,
    limiter: Limiter,
    metrics: Metrics,
    /// The store's usage as last read, and when (read at most once a second).
    usage: Mutex<Option<(Instant, Option<Usage>)>>,
    /// Where file data goes, when this server takes files.
    files: Option<Files>,
    /// Bytes of file data and uploads, as the last sweep counted them plus the begins since.
    files_used: std::sync::atomic::AtomicU64,
}

/// How long a reading of the store's usage is reused.
const USAGE_TTL: Duration = Duration::from_secs(1);

impl Service {
    /// The service over `store`, with its input `limits` and rate-limit `rules` (counted in
    /// the same store). Every part is required.
    pub fn new(store: Store, limits: Limits, rules: Rules) -> Self {
        Self::with_files(store, limits, rules, None)
    }

    /// Like [`Service::new`], with a place for secrets' file data (`None`: no files).
    pub fn with_files(store: Store, limits: Limits, rules: Rules, files: Option<Files>) -> Self {
        Self {
            inner: Arc::new(Inner {
                limiter: Limiter::new(store.clone(), rules),
                store,
                limits,
                metrics: Metrics::default(),
                usage: Mutex::new(None),
                files,
                files_used: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    /// The input limits (advertised by the health endpoint).
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The store (tests and the health endpoint).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The counters, for rejections that happen before a request reaches the service (body
    /// too large, malformed body, no upload turn).
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Every counter now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            expired_unread: self.inner.store.expired_unread(),
            ..self.inner.metrics.snapshot()
        }
    }

    /// Whether the store answers.
    pub async fn health(&self) -> Result<(), ServiceError> {
        Ok(self.inner.store.health().await?)
    }

    /// The grouping key of a client for every per-client limit (its address, or its IPv6
    /// prefix): doors that keep their own per-client counts (upload slots) use it too.
    pub fn bucket(&self, client: IpAddr) -> String {
        self.inner.limiter.bucket(client)
    }

    /// Lets a create in before its body is read: counts it against the rate limit and, when the
    /// door knows the payload's size from the request's length, checks it against the client's
    /// quota and the store's room. Refusals cost the client no upload.
    pub async fn admit_create(
        &self,
        client: IpAddr,
        declared_payload: Option<u64>,
    ) -> Result<Admission, ServiceError> {
        self.limit(Class::Create, client).await?;
        if let Some(bytes) = declared_payload {
            self.room(bytes).await?;
            let fits = self.inner.limiter.quota_fits(client, bytes).await;
            fits.map_err(|wait| self.over_quota(wait))?;
        }
        Ok(Admission { client })
    }

    /// Stores a new secret, admitted by [`Service::admit_create`].
    pub async fn create(
        &self,
        admission: Admission,
        input: Result<CreateInput, BodyError>,
    ) -> Result<Created, ServiceError> {
        let client = admission.client;
        let mut input = self.body(input)?;
        let upload_token = input.upload_token.take();
        let secret = self.counted(self.new_secret(input))?;
        self.keep(client, secret, upload_token).await
    }

    /// Stores a checked secret (taking its upload's data, if it has some), counting its bytes
    /// against the client's quota and the store's room.
    async fn keep(
        &self,
        client: IpAddr,
        mut secret: store::NewSecret,
        upload_token: Option<Loose<String>>,
    ) -> Result<Created, ServiceError> {
        if let Some(token) = upload_token {
            let window = self.take_upload(client, &secret.id, token).await?;
            secret.access.claim_window = Some(window);
        }
        let ttl = secret.ttl;
        let max_views = secret.access.max_views;
        let bytes = secret.payload.len() as u64;
        self.room(bytes).await?;
        let charged = self.inner.limiter.charge(client, bytes).await;
        charged.map_err(|wait| self.over_quota(wait))?;
        let created = self.inner.store.create(secret).await;
        if created.is_err() {
            self.inner.limiter.refund(client, bytes).await;
        }
        // A failed create keeps the data it took: sent again with the same token, it finds it;
        // never sent again, the sweep deletes it.
        let created = self.stored(created)?;
        self.inner.metrics.created();
        Ok(Created {
            id: created.id,
            alias: created.alias,
            expires_at: unix_now() + ttl.as_secs(),
            max_views,
        })
    }

    /// What a recipient may know before revealing; consumes nothing.
    pub async fn info(&self, client: IpAddr, key: &str) -> Result<Info, ServiceError> {
        self.read(client).await?;
        let key = self.reference(client, key).await?;
        match self.stored(self.inner.store.info(&key).await)? {
            Some(info) => Ok(info),
            None => {
                self.inner.metrics.reject(Rejected::NotFound);
                Err(self.failed(client, ServiceError::NotFound).await)
            }
        }
    }

    /// Reveals with the proofs derived from the link (and passphrase); one view counted.
    /// Wrong or missing proofs consume nothing.
    pub async fn reveal(
        &self,
        client: IpAddr,
        key: &str,
        proofs: Result<Proofs, BodyError>,
    ) -> Result<Revealed, ServiceError> {
        self.read(client).await?;
        let key = self.reference(client, key).await?;
        let proofs = self.body(proofs)?;
        let window = self.inner.limits.claim_window;
        let presented = Presented {
            access: self.counted(presented(proofs.access, "access_proof"))?,
            passphrase: self.counted(presented(proofs.passphrase, "passphrase_proof"))?,
            claim: self
                .counted(presented(proofs.claim, "claim"))?
                .map(|verifier| Claim { verifier, window }),
        };
        self.open(client, &key, &presented, false).await
    }

    /// The client has the view it claimed: the held copy can go now. Not counted as a read
    /// (it follows one), but refused while the client is over its failures. A claim that is
    /// unknown, spent or past its window is [`ServiceError::NotFound`].
    pub async fn confirm(
        &self,
        client: IpAddr,
        key: &str,
        claim: Result<Option<Loose<String>>, BodyError>,
    ) -> Result<(), ServiceError> {
        let failures = self.inner.limiter.check(Class::Failed, client).await;
        failures.map_err(|wait| self.rate_limited(wait))?;
        let key = self.reference(client, key).await?;
        let claim = self.body(claim)?;
        let claim = self.counted(
            presented(claim, "claim").and_then(|c| c.ok_or(InputError::BadProof("claim"))),
        )?;
        let id = self.id_for_data(&key).await;
        if !self.stored(self.inner.store.confirm(&key, &claim).await)? {
            return Err(ServiceError::NotFound);
        }
        if let Some(id) = id {
            self.forget_data(&id).await;
        }
        Ok(())
    }

    /// The reference API's read (no proofs): a secret made with proofs refuses it and waits.
    pub async fn read_reference(
        &self,
        client: IpAddr,
        key: &str,
    ) -> Result<Revealed, ServiceError> {
        self.read(client).await?;
        let key = self.reference(client, key).await?;
        self.open(client, &key, &Presented::default(), true).await
    }

    /// The sender's view of a secret, given the manage proof.
    pub async fn status(
        &self,
        client: IpAddr,
        alias: &str,
        token: Result<Option<Loose<String>>, BodyError>,
    ) -> Result<StatusResponse, ServiceError> {
        let (alias, token) = self.manage_request(client, alias, token).await?;
        let managed = self.stored(self.inner.store.status(&alias, &token).await)?;
        let s = self.managed(client, managed).await?;
        Ok(StatusResponse {
            state: match s.state {
                State::Waiting => SecretState::Waiting,
                State::Opened => SecretState::Opened,
                State::Destroyed => SecretState::Destroyed,
                State::Burned => SecretState::Burned,
            },
            views_used: s.views_used,
            max_views: s.max_views,
            views_left: s.max_views.saturating_sub(s.views_used),
            opened_at: s.opened_at,
            expires_at: s.expires_at,
            tries_left: s.tries_left,
        })
    }

    /// Deletes the ciphertext now, given the manage proof.
    pub async fn destroy(
        &self,
        client: IpAddr,
        alias: &str,
        token: Result<Option<Loose<String>>, BodyError>,
    ) -> Result<(), ServiceError> {
        let (alias, token) = self.manage_request(client, alias, token).await?;
        let id = self.id_for_data(&SecretRef::Alias(alias.clone())).await;
        let managed = self.stored(self.inner.store.destroy(&alias, &token).await)?;
        match self.managed(client, managed).await? {
            store::Destroyed::Now => {
                if let Some(id) = id {
                    self.forget_data(&id).await;
                }
                Ok(())
            }
            store::Destroyed::Already => {
                self.inner.metrics.reject(Rejected::Conflict);
                Err(ServiceError::AlreadyGone)
            }
        }
    }

    /// Checks a create request against the limits.
    fn new_secret(&self, input: CreateInput) -> Result<store::NewSecret, InputError> {
        let limits = &self.inner.limits;
        // The payload's presence and type first, as the reference API answers; its content last.
        let payload = match input.payload {
            None => return Err(InputError::MissingPayload),
            Some(Loose::Invalid) => return Err(InputError::PayloadNotString),
            Some(Loose::Valid(payload)) => payload,
        };
        let hours = loose(input.ttl_hours, validate::ttl_hours_invalid)?;
        let seconds = loose(input.ttl_seconds, || validate::ttl_seconds_invalid(limits))?;
        let ttl = match (hours, seconds) {
            (Some(_), Some(_)) => return Err(InputError::TwoTtls),
            (_, Some(s)) => validate::ttl_seconds(s, limits)?,
            (h, None) => validate::ttl_hours(h, limits)?,
        };
        let views = loose(input.max_views, || InputError::MaxViews(limits.max_views))?;
        let access = Access {
            max_views: validate::max_views(views, limits)?,
            access_verifier: verifier(input.access_verifier, "access_verifier")?,
            passphrase_verifier: verifier(input.passphrase_verifier, "passphrase_verifier")?,
            passphrase_tries: limits.passphrase_tries,
            manage_verifier: verifier(input.manage_verifier, "manage_verifier")?,
            claim_window: None,
        };
        if access.passphrase_verifier.is_some() && access.access_verifier.is_none() {
            return Err(InputError::PassphraseWithoutAccess);
        }
        let id = loose(input.id, || InputError::BadId)?;
        let id = validate::id(id.as_deref())?;
        let payload = match payload {
            Payload::Base64(text) => validate::payload_base64(&text, limits)?,
            Payload::Raw(bytes) => validate::payload(bytes, limits)?,
        };
        Ok(store::NewSecret {
            id,
            payload,
            ttl,
            access,
        })
    }

    /// The store step of a reveal, with its outcome mapped and counted.
    async fn open(
        &self,
        client: IpAddr,
        key: &SecretRef,
        presented: &Presented,
        reference: bool,
    ) -> Result<Revealed, ServiceError> {
        let metrics = &self.inner.metrics;
        let error = match self.stored(self.inner.store.reveal(key, presented).await)? {
            Reveal::Revealed {
                id,
                payload,
                views_left,
                redelivered,
            } => {
                // A redelivery repeats a counted view.
                if !redelivered {
                    metrics.revealed();
                }
                return Ok(Revealed {
                    id,
                    payload,
                    views_left,
                });
            }
            // A reference read of a guarded secret: a missing proof, counted as a failure.
            Reveal::WrongKey | Reveal::PassphraseRequired { .. } if reference => {
                metrics.reject(Rejected::WrongProof);
                ServiceError::ProofRequired
            }
            // Asking for the passphrase is not a failure: nothing was guessed.
            Reveal::PassphraseRequired { tries_left } => {
                return Err(ServiceError::PassphraseRequired { tries_left });
            }
            Reveal::NotFound => {
                metrics.reject(Rejected::NotFound);
                ServiceError::NotFound
            }
            Reveal::WrongKey => {
                metrics.reject(Rejected::WrongProof);
                ServiceError::WrongAccessProof
            }
            Reveal::WrongPassphrase { tries_left } => {
                metrics.reject(Rejected::WrongPassphrase);
                ServiceError::WrongPassphrase { tries_left }
            }
            Reveal::Burned => {
                metrics.reject(Rejected::Burned);
                ServiceError::Burned
            }
        };
        Err(self.failed(client, error).await)
    }

    /// What status and destroy share: the read limit, the alias, the token's verifier.
    async fn manage_request(
        &self,
        client: IpAddr,
        alias: &str,
        token: Result<Option<Loose<String>>, BodyError>,
    ) -> Result<(Alias, store::Verifier), ServiceError> {
        self.read(client).await?;
        let alias = self.alias(client, alias).await?;
        let token = self.body(token)?;
        let token = self.counted(
            presented(token, "manage_token")
                .and_then(|t| t.ok_or(InputError::BadProof("manage_token"))),
        )?;
        Ok((alias, token))
    }

    /// An alias from a URL where only aliases are taken (manage links, downloads); an id
    /// there is as invalid as a malformed alias.
    async fn alias(&self, client: IpAddr, text: &str) -> Result<Alias, ServiceError> {
        match self.reference(client, text).await? {
            SecretRef::Alias(alias) => Ok(alias),
            SecretRef::Id(_) => {
                self.inner.metrics.reject(Rejected::BadInput);
                Err(self.failed(client, InputError::BadRef.into()).await)
            }
        }
    }

    /// The id of a secret whose file data may need deleting after this request (only
    /// looked up when this server keeps file data).
    pub(crate) async fn id_for_data(&self, key: &SecretRef) -> Option<store::SecretId> {
        self.inner.files.as_ref()?;
        match key {
            SecretRef::Id(id) => Some(id.clone()),
            SecretRef::Alias(alias) => self.inner.store.id_of(alias).await.ok().flatten(),
        }
    }

    /// A manage outcome: not found and a wrong token count as failures.
    async fn managed<T>(&self, client: IpAddr, managed: Managed<T>) -> Result<T, ServiceError> {
        match managed {
            Managed::Ok(value) => Ok(value),
            Managed::NotFound => {
                self.inner.metrics.reject(Rejected::NotFound);
                Err(self.failed(client, ServiceError::NotFound).await)
            }
            Managed::WrongToken => {
                self.inner.metrics.reject(Rejected::WrongToken);
                Err(self.failed(client, ServiceError::WrongManageToken).await)
            }
        }
    }

    /// `Err(StoreFull)` when `bytes` more would put the store over its budget. The usage is
    /// read at most once a second; when it cannot be read, the store's own answer decides.
    async fn room(&self, bytes: u64) -> Result<(), ServiceError> {
        let cached = self
            .inner
            .usage
            .lock()
            .ok()
            .and_then(|u| *u)
            .filter(|(at, _)| at.elapsed() < USAGE_TTL);
        let usage = match cached {
            Some((_, usage)) => usage,
            None => {
                let usage = self.inner.store.usage().await.ok().flatten();
                if let Ok(mut slot) = self.inner.usage.lock() {
                    *slot = Some((Instant::now(), usage));
                }
                usage
            }
        };
        let budget = self.inner.limiter.quota().global_bytes;
        let over = match (usage, budget) {
            (Some(u), Some(budget)) => u.used.saturating_add(bytes) > budget,
            (Some(u), None) => u.used.saturating_add(bytes) > u.max / 10 * 9,
            (None, Some(budget)) => bytes > budget,
            (None, None) => false,
        };
        if over {
            self.inner.metrics.reject(Rejected::StoreFull);
            return Err(ServiceError::StoreFull);
        }
        Ok(())
    }

    /// Counts a request of `class`.
    async fn limit(&self, class: Class, client: IpAddr) -> Result<(), ServiceError> {
        let counted = self.inner.limiter.hit(class, client).await;
        counted.map_err(|wait| self.rate_limited(wait))
    }

    /// A read: refused while the client is over its failures, then counted as a read.
    async fn read(&self, client: IpAddr) -> Result<(), ServiceError> {
        let counted = self.inner.limiter.read(client).await;
        counted.map_err(|wait| self.rate_limited(wait))
    }

    /// A rate-limit refusal, counted.
    fn rate_limited(&self, wait: Duration) -> ServiceError {
        self.inner.metrics.reject(Rejected::RateLimited);
        ServiceError::RateLimited(wait)
    }

    /// A quota refusal, counted.
    fn over_quota(&self, wait: Duration) -> ServiceError {
        self.inner.metrics.reject(Rejected::OverQuota);
        ServiceError::QuotaExceeded(wait)
    }

    /// Counts a failure (wrong proof or token, unknown or invalid reference) for `client`
    /// and gives back the error.
    async fn failed(&self, client: IpAddr, error: ServiceError) -> ServiceError {
        // Over the limit already: the next read is refused; this one still gets its answer.
        let _ = self.inner.limiter.hit(Class::Failed, client).await;
        error
    }

    /// Parses a secret reference; an invalid one counts as a failure.
    async fn reference(&self, client: IpAddr, key: &str) -> Result<SecretRef, ServiceError> {
        match validate::secret_ref(key) {
            Ok(key) => Ok(key),
            Err(e) => {
                self.inner.metrics.reject(Rejected::BadInput);
                Err(self.failed(client, e.into()).await)
            }
        }
    }

    /// A body the door could not decode: counted as bad input (or too large) and refused.
    fn body<T>(&self, decoded: Result<T, BodyError>) -> Result<T, ServiceError> {
        decoded.map_err(|e| {
            self.inner.metrics.reject(match e {
                BodyError::TooLarge(_) => Rejected::TooLarge,
                BodyError::Invalid(_) => Rejected::BadInput,
            });
            e.into()
        })
    }

    /// Counts invalid input in the metrics and passes it on.
    fn counted<T>(&self, checked: Result<T, InputError>) -> Result<T, ServiceError> {
        checked.map_err(|e| {
            self.inner.metrics.reject(match e {
                InputError::PayloadTooLarge(_) => Rejected::TooLarge,
                _ => Rejected::BadInput,
            });
            e.into()
        })
    }

    /// Counts store failures and a duplicate id in the metrics and maps the error.
    fn stored<T>(&self, result: Result<T, store::StoreError>) -> Result<T, ServiceError> {
        result.map_err(|e| {
            match e {
                store::StoreError::Conflict => self.inner.metrics.reject(Rejected::Conflict),
                store::StoreError::Full => self.inner.metrics.reject(Rejected::StoreFull),
                _ => self.inner.metrics.store_error(),
            }
            e.into()
        })
    }
}

/// The value of a [`Loose`] field, or `invalid()` when it had another type.
fn loose<T>(
    field: Option<Loose<T>>,
    invalid: impl FnOnce() -> InputError,
) -> Result<Option<T>, InputError> {
    field.map(|f| f.valid().map_err(|()| invalid())).transpose()
}

/// An optional stored verifier (32 bytes, base64url).
fn verifier(
    field: Option<Loose<String>>,
    name: &'static str,
) -> Result<Option<store::Verifier>, InputError> {
    loose(field, || InputError::BadProof(name))?
        .map(|text| validate::proof(&text, name))
        .transpose()
}

/// An optional presented proof (32 bytes, base64url), as its verifier.
fn presented(
    field: Option<Loose<String>>,
    name: &'static str,
) -> Result<Option<store::Verifier>, InputError> {
    loose(field, || InputError::BadProof(name))?
        .map(|text| validate::presented(&text, name))
        .transpose()
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
