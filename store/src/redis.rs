//! The Redis backend, through `fred`.
//!
//! Key layout (every atomic operation touches one key, so it holds on a cluster too):
//! * `{prefix}s:{<alias>}` — a hash with the TTL: `id`, payload `p` (removed once viewed,
//!   destroyed or burned), views allowed `vm` and used `vu`, verifiers `av` (access), `pv`
//!   (passphrase), `mv` (manage), passphrase tries left `pt`, state `st`, expiry `ex`,
//!   view times `op`. The secret and its alias are one key: one never exists without the
//!   other. Without a manage verifier the whole key goes with the last view.
//! * `{prefix}i:<id>` — the alias of an id, with the same TTL. A secondary index for
//!   look-ups by id and for refusing duplicate ids (`SET NX`).

use std::time::Duration;

use bytes::Bytes;
use fred::prelude::*;
use fred::types::scripts::Script;
use subtle::ConstantTimeEq as _;

use crate::{
    ALIAS_ATTEMPTS, Alias, Created, Destroyed, Info, Managed, NewSecret, Presented, Reveal,
    SecretId, SecretRef, State, Status, StoreError, Verifier, now_unix,
};

// The Lua scripts, one per atomic operation; each file's header gives its KEYS and ARGV.
// The ones that compare verifiers start with `eq.lua`, Lua's constant-time comparison.
const CREATE_LUA: &str = include_str!("lua/create.lua");
const REVEAL_LUA: &str = concat!(include_str!("lua/eq.lua"), include_str!("lua/reveal.lua"));
const DESTROY_LUA: &str = concat!(include_str!("lua/eq.lua"), include_str!("lua/destroy.lua"));
const COUNT_LUA: &str = include_str!("lua/count.lua");

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
}

impl RedisConfig {
    /// Defaults for a URL: prefix `oncelink:`, 4 connections, 2 s command timeout.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: "oncelink:".into(),
            pool_size: 4,
            command_timeout: Duration::from_secs(2),
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
    destroy: Script,
    count: Script,
}

impl RedisStore {
    /// Builds the pool and starts connecting in the background.
    ///
    /// Only a malformed configuration is an error: an unreachable Redis is reported by
    /// [`RedisStore::health`] and by each command until it comes back, without a restart.
    pub async fn connect(config: &RedisConfig) -> Result<Self, StoreError> {
        let mut redis_config = Config::from_url(&config.url)
            .map_err(|e| StoreError::Unavailable(format!("invalid REDIS_URL: {}", e.details())))?;
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
                destroy: Script::from_lua(DESTROY_LUA),
                count: Script::from_lua(COUNT_LUA),
            }),
        })
    }

    fn client(&self) -> fred::clients::WithOptions<Client> {
        self.inner.pool.next().with_options(&self.inner.options)
    }

    fn secret_key(&self, alias: &Alias) -> String {
        format!("{}s:{{{}}}", self.inner.prefix, alias.as_str())
    }

    fn index_key(&self, id: &SecretId) -> String {
        format!("{}i:{}", self.inner.prefix, id.as_str())
    }

    /// Runs a cached script, loading it on first use (`NOSCRIPT`).
    async fn run<R: FromValue>(
        &self,
        script: &Script,
        key: String,
        args: Vec<Value>,
    ) -> Result<R, StoreError> {
        let client = self.client();
        match client
            .evalsha(script.sha1().clone(), key.clone(), args.clone())
            .await
        {
            Err(e) if e.details().starts_with("NOSCRIPT") => {
                let lua = script.lua().cloned().unwrap_or_default();
                client.eval(lua, key, args).await.map_err(unavailable)
            }
            other => other.map_err(unavailable),
        }
    }

    pub(crate) async fn create(
        &self,
        secret: NewSecret,
        aliases: &mut (dyn FnMut() -> Result<Alias, StoreError> + Send),
    ) -> Result<Created, StoreError> {
        let ttl_ms = i64::try_from(secret.ttl.as_millis()).unwrap_or(i64::MAX);
        let index = self.index_key(&secret.id);
        let mut alias = aliases()?;
        // Claim the id first: an existing id is never overwritten.
        let claimed: Option<String> = self
            .client()
            .set(
                &index,
                alias.as_str(),
                Some(Expiration::PX(ttl_ms)),
                Some(SetOptions::NX),
                false,
            )
            .await
            .map_err(unavailable)?;
        if claimed.is_none() {
            return Err(StoreError::Conflict);
        }
        let result = self
            .write_secret(&secret, ttl_ms, &index, &mut alias, aliases)
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

    async fn write_secret(
        &self,
        secret: &NewSecret,
        ttl_ms: i64,
        index: &str,
        alias: &mut Alias,
        aliases: &mut (dyn FnMut() -> Result<Alias, StoreError> + Send),
    ) -> Result<(), StoreError> {
        for attempt in 0..ALIAS_ATTEMPTS {
            if attempt > 0 {
                *alias = aliases()?;
                let _: Option<String> = self
                    .client()
                    .set(
                        index,
                        alias.as_str(),
                        Some(Expiration::PX(ttl_ms)),
                        Some(SetOptions::XX),
                        false,
                    )
                    .await
                    .map_err(unavailable)?;
            }
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
                    args.push(Value::Bytes(Bytes::copy_from_slice(v.as_bytes())));
                }
            }
            let written: i64 = self
                .run(&self.inner.create, self.secret_key(alias), args)
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
        let verifier = |v: Option<Verifier>| {
            v.map_or(Value::from(""), |v| {
                Value::Bytes(Bytes::copy_from_slice(v.as_bytes()))
            })
        };
        let args = vec![
            Value::from(expected_id.map(SecretId::as_str).unwrap_or_default()),
            verifier(presented.access),
            verifier(presented.passphrase),
            Value::from(i64::try_from(now_unix()).unwrap_or(i64::MAX)),
        ];
        let value: Value = self
            .run(&self.inner.reveal, self.secret_key(&alias), args)
            .await?;
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
                    .and_then(|s| SecretId::parse(&s).ok());
                let payload = parts.next().and_then(Value::into_bytes);
                let views_left = number(parts.next());
                match (id, payload) {
                    (Some(id), Some(payload)) => {
                        if views_left == 0 {
                            // The index only serves look-ups; if this fails it expires with the TTL.
                            let _: Result<i64, _> = self.client().unlink(self.index_key(&id)).await;
                        }
                        Reveal::Revealed {
                            id,
                            payload,
                            views_left,
                        }
                    }
                    _ => return Err(StoreError::Unavailable("malformed secret record".into())),
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

    async fn fields(&self, alias: &Alias, names: &[&str]) -> Result<Vec<Value>, StoreError> {
        let values: Vec<Value> = self
            .client()
            .hmget(self.secret_key(alias), names.to_vec())
            .await
            .map_err(unavailable)?;
        Ok(values)
    }

    pub(crate) async fn info(&self, key: &SecretRef) -> Result<Option<Info>, StoreError> {
        let Some((alias, expected_id)) = self.resolve(key).await? else {
            return Ok(None);
        };
        // HEXISTS for the payload: it may be 10 MB, and only its presence matters here.
        let has_payload: bool = self
            .client()
            .hexists(self.secret_key(&alias), "p")
            .await
            .map_err(unavailable)?;
        if !has_payload {
            return Ok(None);
        }
        let f = self
            .fields(&alias, &["id", "vm", "vu", "av", "pv", "pt"])
            .await?;
        let text = |i: usize| f.get(i).cloned().and_then(Value::into_string);
        let number = |i: usize| {
            f.get(i)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0)
        };
        if let (Some(expected), Some(id)) = (expected_id, text(0))
            && expected.as_str() != id
        {
            return Ok(None);
        }
        Ok(Some(Info {
            needs_proof: f.get(3).is_some_and(|v| !v.is_null()),
            needs_passphrase: f.get(4).is_some_and(|v| !v.is_null()),
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
        if f.first().is_none_or(Value::is_null) {
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
        let number = |i: usize| f.get(i).and_then(Value::as_u64).unwrap_or(0);
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
        let args = vec![Value::Bytes(Bytes::copy_from_slice(token.as_bytes()))];
        let outcome: String = self
            .run(&self.inner.destroy, self.secret_key(alias), args)
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
        by: u32,
        window: Duration,
    ) -> Result<(u64, Duration), StoreError> {
        let key = format!("{}{name}", self.inner.prefix);
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        let reply: Vec<i64> = self
            .run(
                &self.inner.count,
                key,
                vec![Value::from(i64::from(by)), Value::from(window_ms as i64)],
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

fn unavailable(e: Error) -> StoreError {
    StoreError::Unavailable(format!("{:?}: {}", e.kind(), e.details()))
}
