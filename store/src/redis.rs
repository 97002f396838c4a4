//! The Redis backend, through `fred`.
//!
//! Key layout (every atomic operation touches one key, so it holds on a cluster too):
//! * `{prefix}s:{<alias>}` — a hash with the secret's `id` and payload `p`, with the TTL.
//!   The secret and its alias are one key: one never exists without the other.
//! * `{prefix}i:<id>` — the alias of an id, with the same TTL. A secondary index for
//!   look-ups by id and for refusing duplicate ids (`SET NX`).

use std::time::Duration;

use bytes::Bytes;
use fred::prelude::*;
use fred::types::scripts::Script;

use crate::{ALIAS_ATTEMPTS, Alias, Consumed, Created, NewSecret, SecretId, SecretRef, StoreError};

/// Writes the secret hash unless the alias is taken. Returns 1 on success, 0 if taken.
const CREATE_LUA: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'p', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
";

/// Reads and deletes the secret hash in one step. With ARGV[1] non-empty, only when the
/// stored id equals it (a stale id index must never return another secret).
const CONSUME_LUA: &str = r"
local v = redis.call('HMGET', KEYS[1], 'id', 'p')
if not v[1] then return false end
if ARGV[1] ~= '' and v[1] ~= ARGV[1] then return false end
redis.call('UNLINK', KEYS[1])
return v
";

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
    consume: Script,
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
                consume: Script::from_lua(CONSUME_LUA),
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
            let written: i64 = self
                .run(
                    &self.inner.create,
                    self.secret_key(alias),
                    vec![
                        Value::from(secret.id.as_str()),
                        Value::Bytes(secret.payload.clone()),
                        Value::from(ttl_ms),
                    ],
                )
                .await?;
            if written == 1 {
                return Ok(());
            }
        }
        Err(StoreError::AliasesExhausted)
    }

    pub(crate) async fn consume(&self, key: &SecretRef) -> Result<Option<Consumed>, StoreError> {
        let (alias, expected_id) = match key {
            SecretRef::Alias(alias) => (alias.clone(), None),
            SecretRef::Id(id) => {
                let alias: Option<String> = self
                    .client()
                    .get(self.index_key(id))
                    .await
                    .map_err(unavailable)?;
                match alias.as_deref().map(Alias::parse) {
                    Some(Ok(alias)) => (alias, Some(id)),
                    _ => return Ok(None),
                }
            }
        };
        let expected = expected_id.map(|id| id.as_str()).unwrap_or_default();
        let value: Value = self
            .run(
                &self.inner.consume,
                self.secret_key(&alias),
                vec![Value::from(expected)],
            )
            .await?;
        let Some((id, payload)) = parse_consumed(value) else {
            return Ok(None);
        };
        // The index only serves look-ups; if this fails it expires with the TTL.
        let _: Result<i64, _> = self.client().unlink(self.index_key(&id)).await;
        Ok(Some(Consumed { id, payload }))
    }

    pub(crate) async fn exists(&self, key: &SecretRef) -> Result<bool, StoreError> {
        let (alias, id) = match key {
            SecretRef::Alias(alias) => (alias.clone(), None),
            SecretRef::Id(id) => {
                let alias: Option<String> = self
                    .client()
                    .get(self.index_key(id))
                    .await
                    .map_err(unavailable)?;
                match alias.as_deref().map(Alias::parse) {
                    Some(Ok(alias)) => (alias, Some(id)),
                    _ => return Ok(false),
                }
            }
        };
        let stored_id: Option<String> = self
            .client()
            .hget(self.secret_key(&alias), "id")
            .await
            .map_err(unavailable)?;
        Ok(match (stored_id, id) {
            (Some(stored), Some(id)) => stored == id.as_str(),
            (Some(_), None) => true,
            (None, _) => false,
        })
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

fn parse_consumed(value: Value) -> Option<(SecretId, Bytes)> {
    let Value::Array(mut parts) = value else {
        return None;
    };
    if parts.len() != 2 {
        return None;
    }
    let payload = parts.pop()?.into_bytes()?;
    let id = parts.pop()?.into_string()?;
    Some((SecretId::parse(&id).ok()?, payload))
}

fn unavailable(e: Error) -> StoreError {
    StoreError::Unavailable(format!("{:?}: {}", e.kind(), e.details()))
}
