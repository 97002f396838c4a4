//! The Redis backend, through `fred`.
//!
//! Key layout (every atomic operation touches one key, so it holds on a cluster too):
//! * `{prefix}s:{<alias>}` — the record, a hash with the TTL: `id`, payload size `sz`, views
//!   allowed `vm` and used `vu`, verifiers `av` (access), `pv` (passphrase), `mv` (manage),
//!   passphrase tries left `pt`, state `st`, expiry `ex`, view times `op`, its own claim
//!   window `cw` (ms, when it has file data), and one field `c:<claim verifier>` per
//!   claimed view (its window's end, unix ms; 0 once confirmed).
//!   Without a manage verifier the record goes with the last view's window.
//! * `{prefix}p:{<alias>}` — the payload, with the same TTL until the last view shortens it to
//!   the claim's window. The same hash tag as the record, so scripts that touch both hold on
//!   a cluster. (Records written by earlier versions kept it in field `p`; the scripts move
//!   it on first use.)
//! * `{prefix}q:{<alias>}` — a request (its own alias space; fields in `requests.rs`).
//! * `{prefix}i:<id>` — the alias of an id, with the same TTL. A secondary index for
//!   look-ups by id and for refusing duplicate ids (`SET NX`).

mod requests;

use std::time::Duration;

use bytes::Bytes;
use fred::prelude::*;
use fred::types::scripts::Script;
use subtle::ConstantTimeEq as _;

use crate::{
    ALIAS_ATTEMPTS, Alias, Claim, Created, Destroyed, Info, Managed, NewSecret, Presented, Reveal,
    SERVER_CLAIM_WINDOW, SecretId, SecretRef, State, Status, StoreError, Usage, Verifier, now_unix,
};

// The Lua scripts, one per atomic operation; each file's header gives its KEYS and ARGV.
// Helpers (`eq.lua`, constant-time comparison; `payload.lua`) are prepended where needed.
// Every script except create may write while Redis is at `maxmemory` (`allow-oom`): they free
// memory or count a view, so a full store still serves and deletes what it holds.
const CREATE_LUA: &str = include_str!("../lua/create.lua");
const REVEAL_LUA: &str = concat!(
    "#!lua flags=allow-oom\n",
    include_str!("../lua/eq.lua"),
    include_str!("../lua/payload.lua"),
    include_str!("../lua/reveal.lua")
);
const CONFIRM_LUA: &str = concat!(
    "#!lua flags=allow-oom\n",
    include_str!("../lua/payload.lua"),
    include_str!("../lua/confirm.lua")
);
const RELEASE_LUA: &str = concat!(
    "#!lua flags=allow-oom\n",
    include_str!("../lua/payload.lua"),
    include_str!("../lua/release.lua")
);
const DESTROY_LUA: &str = concat!(
    "#!lua flags=allow-oom\n",
    include_str!("../lua/eq.lua"),
    include_str!("../lua/payload.lua"),
    include_str!("../lua/destroy.lua")
);
const HELD_LUA: &str = concat!(
    "#!lua flags=no-writes\n",
    include_str!("../lua/eq.lua"),
    include_str!("../lua/held.lua")
);
const INFO_LUA: &str = concat!("#!lua flags=no-writes\n", include_str!("../lua/info.lua"));
const COUNT_LUA: &str = concat!("#!lua flags=allow-oom\n", include_str!("../lua/count.lua"));

/// Payloads up to this size come back in the reveal script's own reply (one round trip).
const INLINE_PAYLOAD: i64 = 64 * 1024;

/// Payloads over this size are read behind the large-read gate.
const LARGE_READ: u64 = 1024 * 1024;

/// The slowest a payload read may go before it times out, in bytes per second (on top of the
/// command timeout): a 10 MiB payload gets the command timeout plus 2.5 s.
const MIN_READ_RATE: u64 = 4 * 1024 * 1024;

/// Settings of the Redis backend.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://`, `redis-cluster://` or `redis-sentinel://` URL (see fred's `Config::from_url`).
    pub url: String,
    /// Prefix of every key, so several deployments or tests can share one Redis.
    pub prefix: String,
    /// Number of connections.
    pub pool_size: usize,
    /// How long one command may take before it fails (requests then answer 503).
    pub command_timeout: Duration,
    /// Replicas that must acknowledge a create, reveal or destroy (`WAIT`) before it counts
    /// as done; 0 (the default) answers without waiting. With Sentinel, 1 keeps a failover
    /// right after a reveal from bringing the consumed view back.
    pub wait_replicas: u32,
}

impl RedisConfig {
    /// Defaults for a URL: prefix `oncelink:`, 4 connections, 2 s command timeout.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: "oncelink:".into(),
            pool_size: 2,
            command_timeout: Duration::from_secs(2),
            wait_replicas: 0,
        }
    }
}

/// The Redis store. Cloning shares the connection pool.
#[derive(Clone)]
pub struct RedisStore {
    inner: std::sync::Arc<Inner>,
}

struct Inner {
    pool: Pool,
    options: Options,
    prefix: String,
    create: Script,
    reveal: Script,
    confirm: Script,
    release: Script,
    destroy: Script,
    info: Script,
    held: Script,
    count: Script,
    /// Turns for reading large payloads, so many 10 MiB replies at once queue here instead of
    /// timing out behind each other on the pool's connections.
    large_reads: std::sync::Arc<tokio::sync::Semaphore>,
    command_timeout: Duration,
    wait_replicas: u32,
    /// Redis Cluster: a create's id index and its secret live on different nodes, so they are
    /// written one after the other instead of in one pipeline.
    clustered: bool,
}

impl RedisStore {
    /// Builds the pool and starts connecting in the background.
    ///
    /// Only a malformed configuration is an error: an unreachable Redis is reported by
    /// [`RedisStore::health`] and by each command until it comes back, without a restart.
    pub async fn connect(config: &RedisConfig) -> Result<Self, StoreError> {
        let mut redis_config = Config::from_url(&config.url)
            .map_err(|e| StoreError::Unavailable(format!("invalid REDIS_URL: {}", e.details())))?;
        if config.wait_replicas > 0 && redis_config.server.is_clustered() {
            // WAIT is per connection and node: on a cluster it could reach another shard.
            return Err(StoreError::Unavailable(
                "waiting for replicas is not supported with Redis Cluster".into(),
            ));
        }
        let clustered = redis_config.server.is_clustered();
        // Keep retrying the first connection instead of failing start-up.
        redis_config.fail_fast = false;
        let pool = Builder::from_config(redis_config)
            .with_connection_config(|c| {
                c.connection_timeout = config.command_timeout;
                c.internal_command_timeout = config.command_timeout;
                // A command is sent once: a retry after a lost reply could consume twice
                // from the client's point of view (the first reply lost, the second empty).
                c.max_command_attempts = 1;
            })
            .with_performance_config(|p| p.default_command_timeout = config.command_timeout)
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .build_pool(config.pool_size.max(1))
            .map_err(|e| StoreError::Unavailable(e.details().to_owned()))?;
        pool.connect();
        if tokio::time::timeout(config.command_timeout, pool.wait_for_connect())
            .await
            .is_err()
        {
            tracing::warn!(target: "store", "Redis is not reachable yet; retrying in the background");
        }
        Ok(Self {
            inner: std::sync::Arc::new(Inner {
                pool,
                options: Options {
                    // Fail at once while disconnected instead of queueing until reconnection.
                    fail_fast: true,
                    timeout: Some(config.command_timeout),
                    max_attempts: Some(1),
                    ..Options::default()
                },
                prefix: config.prefix.clone(),
                create: Script::from_lua(CREATE_LUA),
                reveal: Script::from_lua(REVEAL_LUA),
                confirm: Script::from_lua(CONFIRM_LUA),
                release: Script::from_lua(RELEASE_LUA),
                destroy: Script::from_lua(DESTROY_LUA),
                info: Script::from_lua(INFO_LUA),
                held: Script::from_lua(HELD_LUA),
                count: Script::from_lua(COUNT_LUA),
                large_reads: std::sync::Arc::new(tokio::sync::Semaphore::new(
                    config.pool_size.max(1),
                )),
                command_timeout: config.command_timeout,
                wait_replicas: config.wait_replicas,
                clustered,
            }),
        })
    }

    fn client(&self) -> fred::clients::WithOptions<Client> {
        self.inner.pool.next().with_options(&self.inner.options)
    }

    fn secret_key(&self, alias: &Alias) -> String {
        format!("{}s:{{{}}}", self.inner.prefix, alias.as_str())
    }

    /// The payload's own key, on the record's cluster slot (the same hash tag).
    fn payload_key(&self, alias: &Alias) -> String {
        format!("{}p:{{{}}}", self.inner.prefix, alias.as_str())
    }

    /// The record and payload keys of a secret, for its scripts.
    fn keys(&self, alias: &Alias) -> Vec<String> {
        vec![self.secret_key(alias), self.payload_key(alias)]
    }

    fn index_key(&self, id: &SecretId) -> String {
        format!("{}i:{}", self.inner.prefix, id.as_str())
    }

    /// Runs a cached script, loading it on first use (`NOSCRIPT`).
    async fn run<R: FromValue>(
        &self,
        script: &Script,
        keys: Vec<String>,
        args: Vec<Value>,
    ) -> Result<R, StoreError> {
        self.run_on(&self.client(), script, keys, args).await
    }

    /// Runs a script whose writes must reach the replicas (`wait_replicas`) before it counts:
    /// `WAIT` on the same connection, so it covers exactly this script's writes.
    async fn run_durable<R: FromValue>(
        &self,
        script: &Script,
        keys: Vec<String>,
        args: Vec<Value>,
    ) -> Result<R, StoreError> {
        let client = self.client();
        let result = self.run_on(&client, script, keys, args).await?;
        let wanted = self.inner.wait_replicas;
        if wanted > 0 {
            let timeout = millis(self.inner.command_timeout);
            let acked: i64 = client
                .wait(i64::from(wanted), timeout)
                .await
                .map_err(unavailable)?;
            if acked < i64::from(wanted) {
                return Err(StoreError::Unavailable(format!(
                    "{acked} of {wanted} replicas acknowledged in time"
                )));
            }
        }
        Ok(result)
    }

    async fn run_on<R: FromValue>(
        &self,
        client: &fred::clients::WithOptions<Client>,
        script: &Script,
        keys: Vec<String>,
        args: Vec<Value>,
    ) -> Result<R, StoreError> {
        match client
            .evalsha(script.sha1().clone(), keys.clone(), args.clone())
            .await
        {
            Err(e) if e.details().starts_with("NOSCRIPT") => {
                let lua = script.lua().cloned().unwrap_or_default();
                client.eval(lua, keys, args).await.map_err(unavailable)
            }
            other => other.map_err(unavailable),
        }
    }

    pub(crate) async fn create(
        &self,
        secret: NewSecret,
        aliases: &mut (dyn FnMut() -> Result<Alias, StoreError> + Send),
    ) -> Result<Created, StoreError> {
        let ttl_ms = millis(secret.ttl);
        let index = self.index_key(&secret.id);
        let args = create_args(&secret, ttl_ms);
        let mut alias = aliases()?;
        let first_attempt = if self.inner.wait_replicas > 0 || self.inner.clustered {
            // Claim the id first, then write (each acknowledged by the replicas when asked;
            // on a cluster the two live on different nodes).
            let claimed: Option<String> =
                set_index(&self.client(), &index, &alias, ttl_ms, SetOptions::NX).await?;
            if claimed.is_none() {
                return Err(StoreError::Conflict);
            }
            0
        } else {
            match self.claim_and_write(&index, &alias, ttl_ms, &args).await? {
                Written::Done => {
                    return Ok(Created {
                        id: secret.id,
                        alias,
                    });
                }
                // The alias was taken: the next attempt takes another.
                Written::AliasTaken => 1,
                // The script was not loaded (a restarted Redis): the same alias, by `EVAL`.
                Written::NotRun => 0,
            }
        };
        let result = self
            .write_secret(&args, ttl_ms, &index, &mut alias, aliases, first_attempt)
            .await;
        if result.is_err() {
            // Best effort: the claim also expires with the TTL.
            let _: Result<i64, _> = self.client().del(&index).await;
        }
        result.map(|()| Created {
            id: secret.id,
            alias,
        })
    }

    /// Claims the id and writes the secret under `alias` in one round trip (a pipeline: the
    /// id's index and the secret live on different cluster slots). An id that was taken undoes
    /// the write: an existing id is never overwritten.
    async fn claim_and_write(
        &self,
        index: &str,
        alias: &Alias,
        ttl_ms: i64,
        args: &[Value],
    ) -> Result<Written, StoreError> {
        let pipeline = self.inner.pool.next().pipeline();
        let _: () = set_index(&pipeline, index, alias, ttl_ms, SetOptions::NX).await?;
        // Lua has no pipeline method in fred: `EVALSHA` by hand, routed by its first key.
        let mut call: Vec<Value> = vec![self.inner.create.sha1().clone().into(), 2i64.into()];
        call.extend(self.keys(alias).into_iter().map(Value::from));
        call.extend_from_slice(args);
        let evalsha =
            fred::types::CustomCommand::new("EVALSHA", fred::types::ClusterHash::Offset(2), false);
        let _: () = pipeline.custom(evalsha, call).await.map_err(unavailable)?;
        let mut replies = pipeline.try_all::<Value>().await.into_iter();
        let claimed = replies
            .next()
            .unwrap_or_else(|| Err(Error::new(ErrorKind::Unknown, "no reply")));
        let written = replies
            .next()
            .unwrap_or_else(|| Err(Error::new(ErrorKind::Unknown, "no reply")));
        let wrote = matches!(&written, Ok(v) if v.as_i64() == Some(1));
        match claimed {
            Ok(v) if !v.is_null() => {}
            other => {
                if wrote {
                    let _: Result<i64, _> = self.client().unlink(self.keys(alias)).await;
                }
                return match other {
                    Err(e) => Err(unavailable(e)),
                    Ok(_) => Err(StoreError::Conflict),
                };
            }
        }
        match written {
            _ if wrote => Ok(Written::Done),
            Ok(_) => Ok(Written::AliasTaken),
            Err(e) if e.details().starts_with("NOSCRIPT") => Ok(Written::NotRun),
            Err(e) => {
                let _: Result<i64, _> = self.client().del(index).await;
                Err(unavailable(e))
            }
        }
    }

    async fn write_secret(
        &self,
        args: &[Value],
        ttl_ms: i64,
        index: &str,
        alias: &mut Alias,
        aliases: &mut (dyn FnMut() -> Result<Alias, StoreError> + Send),
        first_attempt: usize,
    ) -> Result<(), StoreError> {
        for attempt in first_attempt..ALIAS_ATTEMPTS {
            if attempt > 0 {
                *alias = aliases()?;
                let _: Option<String> =
                    set_index(&self.client(), index, alias, ttl_ms, SetOptions::XX).await?;
            }
            let written: i64 = self
                .run_durable(&self.inner.create, self.keys(alias), args.to_vec())
                .await?;
            if written == 1 {
                return Ok(());
            }
        }
        Err(StoreError::AliasesExhausted)
    }

    /// The alias a reference names, and the id to insist on when it was named by id.
    async fn resolve<'a>(
        &self,
        key: &'a SecretRef,
    ) -> Result<Option<(Alias, Option<&'a SecretId>)>, StoreError> {
        Ok(match key {
            SecretRef::Alias(alias) => Some((alias.clone(), None)),
            SecretRef::Id(id) => {
                let alias: Option<String> = self
                    .client()
                    .get(self.index_key(id))
                    .await
                    .map_err(unavailable)?;
                alias
                    .as_deref()
                    .and_then(|a| Alias::parse(a).ok())
                    .map(|a| (a, Some(id)))
            }
        })
    }

    pub(crate) async fn reveal(
        &self,
        key: &SecretRef,
        presented: &Presented,
    ) -> Result<Reveal, StoreError> {
        let Some((alias, expected_id)) = self.resolve(key).await? else {
            return Ok(Reveal::NotFound);
        };
        // A client that names no claim cannot fetch again: the store claims for it, and gives
        // the view back if the payload cannot be read.
        let (claim, ours) = match presented.claim {
            Some(claim) => (claim, false),
            None => (server_claim()?, true),
        };
        let verifier = |v: Option<Verifier>| v.as_ref().map_or(Value::from(""), raw);
        let window_ms = millis(claim.window);
        let args = vec![
            Value::from(expected_id.map(SecretId::as_str).unwrap_or_default()),
            verifier(presented.access),
            verifier(presented.passphrase),
            Value::from(now_ms()),
            verifier(Some(claim.verifier)),
            Value::from(window_ms),
            Value::from(INLINE_PAYLOAD),
            // The store's own claim answered inline needs no window to fetch again: only long
            // enough for a failed reply to give the view back.
            if ours {
                Value::from(millis(self.inner.command_timeout * 2))
            } else {
                Value::from("")
            },
        ];
        let value: Value = match self
            .run_durable(&self.inner.reveal, self.keys(&alias), args)
            .await
        {
            Ok(value) => value,
            Err(e) => {
                // The step may have run (a lost reply, replicas too slow): give the view back.
                if ours {
                    self.release(&alias, &claim.verifier).await;
                }
                return Err(e);
            }
        };
        let Value::Array(parts) = value else {
            return Err(StoreError::Unavailable("unexpected reply to reveal".into()));
        };
        let mut parts = parts.into_iter();
        let tag = parts
            .next()
            .and_then(Value::into_string)
            .unwrap_or_default();
        let number = |v: Option<Value>| {
            v.and_then(|v| v.as_u64())
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0)
        };
        Ok(match tag.as_str() {
            "ok" => {
                let id = parts
                    .next()
                    .and_then(Value::into_string)
                    .and_then(|s| SecretId::parse(&s).ok())
                    .ok_or_else(|| StoreError::Unavailable("malformed secret record".into()))?;
                let views_left = number(parts.next());
                let size = parts.next().and_then(|v| v.as_u64()).unwrap_or(0);
                let redelivered =
                    parts.next().and_then(Value::into_string).as_deref() == Some("again");
                let window_ms = parts
                    .next()
                    .and_then(|v| v.as_i64())
                    .unwrap_or(window_ms)
                    .max(1);
                let inline = parts.next().and_then(Value::into_bytes);
                let answered_inline = inline.is_some();
                let read = match inline {
                    Some(inline) => Ok(Some(inline)),
                    None => self.read_payload(&alias, size, claim.window / 3).await,
                };
                let payload = match read {
                    Ok(Some(payload)) => payload,
                    // Expired or deleted between the claim and the read.
                    Ok(None) => return Ok(Reveal::NotFound),
                    Err(e) => {
                        if ours {
                            self.release(&alias, &claim.verifier).await;
                        }
                        return Err(e);
                    }
                };
                // Read separately, the store's own claim holds the payload for the full window:
                // confirm it now. (Answered inline, it expires within seconds by itself.)
                if ours && views_left == 0 && !answered_inline {
                    // Delivered as far as the store can tell: do not hold it for a window.
                    let store = self.clone();
                    let alias = alias.clone();
                    tokio::spawn(async move {
                        let _ = store.confirm_alias(&alias, &claim.verifier).await;
                    });
                }
                if views_left == 0 {
                    // The index serves look-ups by id, redeliveries included; then it goes.
                    let _: Result<bool, _> = self
                        .client()
                        .pexpire(self.index_key(&id), window_ms, None)
                        .await;
                }
                Reveal::Revealed {
                    id,
                    payload,
                    views_left,
                    redelivered,
                }
            }
            "key" => Reveal::WrongKey,
            "pass" => Reveal::PassphraseRequired {
                tries_left: number(parts.next()),
            },
            "wrongpass" => Reveal::WrongPassphrase {
                tries_left: number(parts.next()),
            },
            "burned" => Reveal::Burned,
            _ => Reveal::NotFound,
        })
    }

    /// Reads a claimed payload, outside the atomic step: large ones take a turn at the gate
    /// and get a timeout that grows with their size.
    async fn read_payload(
        &self,
        alias: &Alias,
        size: u64,
        longest_wait: Duration,
    ) -> Result<Option<Bytes>, StoreError> {
        let timeout = self.inner.command_timeout
            + Duration::from_millis(size.saturating_mul(1000) / MIN_READ_RATE);
        let _turn = if size > LARGE_READ {
            // Well inside the claim's window, so a retry still finds the payload.
            let turn =
                tokio::time::timeout(longest_wait, self.inner.large_reads.clone().acquire_owned())
                    .await;
            match turn {
                Ok(Ok(turn)) => Some(turn),
                _ => {
                    return Err(StoreError::Unavailable(
                        "no turn to read a large payload".into(),
                    ));
                }
            }
        } else {
            None
        };
        let options = Options {
            timeout: Some(timeout),
            ..self.inner.options.clone()
        };
        self.inner
            .pool
            .next()
            .with_options(&options)
            .get(self.payload_key(alias))
            .await
            .map_err(unavailable)
    }

    /// Gives back a view the store claimed itself (best effort: if Redis is gone too, the
    /// payload expires with the claim's window).
    async fn release(&self, alias: &Alias, claim: &Verifier) {
        if let Err(e) = self
            .run::<i64>(&self.inner.release, self.keys(alias), claim_args(claim))
            .await
        {
            tracing::warn!(target: "store", error = %e, "a view could not be given back");
        }
    }

    pub(crate) async fn confirm(
        &self,
        key: &SecretRef,
        claim: &Verifier,
    ) -> Result<bool, StoreError> {
        match self.resolve(key).await? {
            Some((alias, _)) => self.confirm_alias(&alias, claim).await,
            None => Ok(false),
        }
    }

    async fn confirm_alias(&self, alias: &Alias, claim: &Verifier) -> Result<bool, StoreError> {
        let live: i64 = self
            .run(&self.inner.confirm, self.keys(alias), claim_args(claim))
            .await?;
        Ok(live == 1)
    }

    /// `used_memory` and `maxmemory` from `INFO memory`; `None` without a `maxmemory`.
    pub(crate) async fn usage(&self) -> Result<Option<Usage>, StoreError> {
        let info: String = self
            .client()
            .info(Some(fred::types::InfoKind::Memory))
            .await
            .map_err(unavailable)?;
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Ok(match (field("used_memory"), field("maxmemory")) {
            (Some(used), Some(max)) if max > 0 => Some(Usage { used, max }),
            _ => None,
        })
    }

    async fn fields(&self, alias: &Alias, names: &[&str]) -> Result<Vec<Value>, StoreError> {
        let values: Vec<Value> = self
            .client()
            .hmget(self.secret_key(alias), names.to_vec())
            .await
            .map_err(unavailable)?;
        Ok(values)
    }

    pub(crate) async fn held(
        &self,
        alias: &Alias,
        access: Option<Verifier>,
        claim: &Verifier,
    ) -> Result<Option<SecretId>, StoreError> {
        let args = vec![
            access.as_ref().map_or(Value::from(""), raw),
            raw(claim),
            Value::from(now_ms()),
        ];
        let id: Option<String> = self.run(&self.inner.held, self.keys(alias), args).await?;
        Ok(id.and_then(|s| SecretId::parse(&s).ok()))
    }

    pub(crate) async fn id_of(&self, alias: &Alias) -> Result<Option<SecretId>, StoreError> {
        let id: Option<String> = self
            .client()
            .hget(self.secret_key(alias), "id")
            .await
            .map_err(unavailable)?;
        Ok(id.and_then(|s| SecretId::parse(&s).ok()))
    }

    pub(crate) async fn has_payload(&self, id: &SecretId) -> Result<bool, StoreError> {
        let Some((alias, _)) = self.resolve(&SecretRef::Id(id.clone())).await? else {
            return Ok(false);
        };
        let found: i64 = self
            .client()
            .exists(self.payload_key(&alias))
            .await
            .map_err(unavailable)?;
        Ok(found == 1)
    }

    pub(crate) async fn info(&self, key: &SecretRef) -> Result<Option<Info>, StoreError> {
        let Some((alias, expected_id)) = self.resolve(key).await? else {
            return Ok(None);
        };
        let f: Vec<Value> = self
            .run(&self.inner.info, self.keys(&alias), Vec::new())
            .await?;
        let number = |i: usize| {
            f.get(i)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0)
        };
        let Some(id) = f.first().cloned().and_then(Value::into_string) else {
            return Ok(None);
        };
        if expected_id.is_some_and(|expected| expected.as_str() != id) {
            return Ok(None);
        }
        Ok(Some(Info {
            needs_proof: number(3) == 1,
            needs_passphrase: number(4) == 1,
            tries_left: number(5),
            views_left: number(1).saturating_sub(number(2)),
        }))
    }

    pub(crate) async fn status(
        &self,
        alias: &Alias,
        token: &Verifier,
    ) -> Result<Managed<Status>, StoreError> {
        let f = self
            .fields(
                alias,
                &["id", "mv", "st", "vm", "vu", "op", "ex", "pv", "pt"],
            )
            .await?;
        let number = |i: usize| f.get(i).and_then(Value::as_u64).unwrap_or(0);
        let unmanaged = f.get(1).is_none_or(Value::is_null);
        // A record without a manage verifier outlives its last view only for the claim's
        // window: for the sender it is gone, as it was before claims.
        if f.first().is_none_or(Value::is_null) || (unmanaged && number(4) >= number(3)) {
            return Ok(Managed::NotFound);
        }
        let stored = f
            .get(1)
            .and_then(Value::as_bytes)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Verifier::from_bytes);
        if !stored.is_some_and(|s| s.ct_eq(token).into()) {
            return Ok(Managed::WrongToken);
        }
        let text = |i: usize| {
            f.get(i)
                .cloned()
                .and_then(Value::into_string)
                .unwrap_or_default()
        };
        let state = match text(2).as_str() {
            "o" => State::Opened,
            "d" => State::Destroyed,
            "b" => State::Burned,
            _ => State::Waiting,
        };
        let views_used = u32::try_from(number(4)).unwrap_or(u32::MAX);
        Ok(Managed::Ok(Status {
            state: crate::seen(state, views_used),
            views_used,
            max_views: u32::try_from(number(3)).unwrap_or(u32::MAX),
            opened_at: text(5).split(',').filter_map(|t| t.parse().ok()).collect(),
            expires_at: number(6),
            tries_left: f
                .get(7)
                .filter(|v| !v.is_null())
                .map(|_| u32::try_from(number(8)).unwrap_or(0)),
        }))
    }

    pub(crate) async fn destroy(
        &self,
        alias: &Alias,
        token: &Verifier,
    ) -> Result<Managed<Destroyed>, StoreError> {
        let args = vec![raw(token)];
        let outcome: String = self
            .run_durable(&self.inner.destroy, self.keys(alias), args)
            .await?;
        Ok(match outcome.as_str() {
            "ok" => Managed::Ok(Destroyed::Now),
            "already" => Managed::Ok(Destroyed::Already),
            "token" => Managed::WrongToken,
            _ => Managed::NotFound,
        })
    }

    /// Adds `by` to the fixed-window counter `name` (under the prefix): (count, time left).
    pub(crate) async fn count(
        &self,
        name: &str,
        by: i64,
        window: Duration,
    ) -> Result<(u64, Duration), StoreError> {
        let key = format!("{}{name}", self.inner.prefix);
        let reply: Vec<i64> = self
            .run(
                &self.inner.count,
                vec![key],
                vec![Value::from(by), Value::from(millis(window))],
            )
            .await?;
        let count = reply.first().copied().unwrap_or(0).max(0);
        let left = reply.get(1).copied().unwrap_or(0).max(0);
        Ok((count as u64, Duration::from_millis(left as u64)))
    }

    /// Pings every connection of the pool: healthy means all of them work.
    pub(crate) async fn health(&self) -> Result<(), StoreError> {
        for client in self.inner.pool.clients() {
            let _: String = client
                .with_options(&self.inner.options)
                .ping(None)
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }
}

/// A Redis error as a store error: `maxmemory` reached is [`StoreError::Full`].
fn unavailable(e: Error) -> StoreError {
    if e.details().starts_with("OOM") {
        return StoreError::Full;
    }
    StoreError::Unavailable(format!("{:?}: {}", e.kind(), e.details()))
}

/// Points the id's index at `alias` (`SET … PX ttl NX|XX`), on a connection or in a pipeline.
async fn set_index<C: KeysInterface + Sync, R: FromValue>(
    client: &C,
    index: &str,
    alias: &Alias,
    ttl_ms: i64,
    only: SetOptions,
) -> Result<R, StoreError> {
    client
        .set(
            index,
            alias.as_str(),
            Some(Expiration::PX(ttl_ms)),
            Some(only),
            false,
        )
        .await
        .map_err(unavailable)
}

/// A verifier as a script argument: its raw bytes.
fn raw(verifier: &Verifier) -> Value {
    Value::Bytes(Bytes::copy_from_slice(verifier.as_bytes()))
}

/// A duration in whole milliseconds, as Redis takes them.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The arguments of the scripts that act on one claim (confirm, release): its verifier, now.
fn claim_args(claim: &Verifier) -> Vec<Value> {
    vec![raw(claim), Value::from(now_ms())]
}

/// How the first, pipelined write of a create went.
enum Written {
    Done,
    AliasTaken,
    /// The script cache was empty (`NOSCRIPT`): nothing was written.
    NotRun,
}

/// The create script's arguments (all but the alias, which is the key).
fn create_args(secret: &NewSecret, ttl_ms: i64) -> Vec<Value> {
    let access = &secret.access;
    let mut args = vec![
        Value::from(secret.id.as_str()),
        Value::Bytes(secret.payload.clone()),
        Value::from(ttl_ms),
        Value::from(i64::from(access.max_views.max(1))),
        Value::from(i64::from(access.passphrase_tries.max(1))),
        Value::from(i64::try_from(now_unix() + secret.ttl.as_secs()).unwrap_or(i64::MAX)),
    ];
    for (field, verifier) in [
        ("av", access.access_verifier),
        ("pv", access.passphrase_verifier),
        ("mv", access.manage_verifier),
    ] {
        if let Some(v) = verifier {
            args.push(Value::from(field));
            args.push(raw(&v));
        }
    }
    if let Some(window) = access.claim_window {
        args.push(Value::from("cw"));
        args.push(Value::from(millis(window)));
    }
    args
}

/// A claim the store makes for a client that made none.
fn server_claim() -> Result<Claim, StoreError> {
    let nonce =
        crypto_core::Proof::generate().map_err(|e| StoreError::Unavailable(e.to_string()))?;
    Ok(Claim {
        verifier: nonce.verifier(),
        window: SERVER_CLAIM_WINDOW,
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, millis)
}
