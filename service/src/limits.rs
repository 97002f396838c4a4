//! Rate limits and byte quotas per client: fixed windows counted by [`Counts`] — on the
//! embedded store in process, on Redis in process and shared between instances every 50 ms,
//! so a request is decided without a round trip. A client is its address, IPv6 addresses grouped by a prefix
//! ([`Rules::ipv6_prefix`]). See `docs/api.md` for the defaults.

use std::net::IpAddr;
use std::time::Duration;

use store::Store;

use crate::counts::Counts;

/// What a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Creating secrets.
    Create,
    /// Reading: info, reveal, status, destroy.
    Reveal,
    /// Failures: wrong proofs or tokens, unknown or invalid ids. Once over, reads are refused
    /// too, so guessing is slow.
    Failed,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Create => "create",
            Class::Reveal => "reveal",
            Class::Failed => "failed",
        }
    }
}

/// At most `max` in each `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Requests allowed per window.
    pub max: u32,
    /// Window length.
    pub window: Duration,
}

/// How many payload bytes a client may store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Bytes per window, per client.
    pub bytes: u64,
    /// Window length.
    pub window: Duration,
    /// Bytes the whole store may hold; `None`: 90 % of what the backend holds (Redis's
    /// `maxmemory`, the embedded store's cap), so reveals keep room to run.
    pub global_bytes: Option<u64>,
}

impl Quota {
    /// 128 MiB a day per client: a week's worth (the longest default lifetime) from one client
    /// stays under 1 GB.
    pub const DEFAULT: Quota = Quota {
        bytes: 128 * 1024 * 1024,
        window: Duration::from_secs(24 * 3600),
        global_bytes: None,
    };
}

/// The rule of each class, the byte quota, and how clients are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Creating.
    pub create: Rule,
    /// Reading.
    pub reveal: Rule,
    /// Failing.
    pub failed: Rule,
    /// Bytes stored.
    pub quota: Quota,
    /// IPv6 clients are counted by this prefix length (64: one customer's network).
    pub ipv6_prefix: u8,
}

impl Rules {
    fn of(&self, class: Class) -> Rule {
        match class {
            Class::Create => self.create,
            Class::Reveal => self.reveal,
            Class::Failed => self.failed,
        }
    }
}

/// Counts requests per client and class ([`Counts`]: in process, shared through Redis).
#[derive(Clone)]
pub(crate) struct Limiter {
    rules: Rules,
    counts: Counts,
}

impl Limiter {
    /// Limits counted where `store` keeps secrets.
    pub(crate) fn new(store: Store, rules: Rules) -> Self {
        Self {
            rules,
            counts: Counts::new(store),
        }
    }

    /// The grouping key of a client (its address, or its IPv6 prefix).
    pub(crate) fn bucket(&self, client: IpAddr) -> String {
        bucket(client, self.rules.ipv6_prefix)
    }

    /// The quota's settings.
    pub(crate) fn quota(&self) -> Quota {
        self.rules.quota
    }

    /// `Err(wait)` when `bytes` more would put `client` over its quota; counts nothing.
    pub(crate) async fn quota_fits(&self, client: IpAddr, bytes: u64) -> Result<(), Duration> {
        let quota = self.rules.quota;
        let (used, wait) = self.add_named("quota", client, 0, quota.window).await;
        if used.saturating_add(bytes) > quota.bytes {
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// Charges `bytes` to `client`'s quota; over it, the charge is taken back and `Err(wait)`.
    pub(crate) async fn charge(&self, client: IpAddr, bytes: u64) -> Result<(), Duration> {
        let quota = self.rules.quota;
        self.charge_named("quota", client, bytes, quota.bytes, quota.window)
            .await
    }

    /// Gives back a charge whose secret was not stored.
    pub(crate) async fn refund(&self, client: IpAddr, bytes: u64) {
        self.refund_named("quota", client, bytes, self.rules.quota.window)
            .await;
    }

    /// Charges `bytes` to `client`'s counter `what`, at most `max` per `window`; over it, the
    /// charge is taken back and `Err(wait)`.
    pub(crate) async fn charge_named(
        &self,
        what: &str,
        client: IpAddr,
        bytes: u64,
        max: u64,
        window: Duration,
    ) -> Result<(), Duration> {
        let by = i64::try_from(bytes).unwrap_or(i64::MAX);
        let (used, wait) = self.add_named(what, client, by, window).await;
        if used > max {
            self.refund_named(what, client, bytes, window).await;
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// Takes back a charge of `bytes` to `client`'s counter `what`.
    pub(crate) async fn refund_named(
        &self,
        what: &str,
        client: IpAddr,
        bytes: u64,
        window: Duration,
    ) {
        let by = i64::try_from(bytes).unwrap_or(i64::MAX);
        self.add_named(what, client, -by, window).await;
    }

    /// Counts one request of `class`; `Err(wait)` when this one is over the limit.
    pub(crate) async fn hit(&self, class: Class, client: IpAddr) -> Result<(), Duration> {
        let rule = self.rules.of(class);
        let (count, wait) = self.add(class, client, 1, rule.window).await;
        if count > u64::from(rule.max) {
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// `Err(wait)` while `client` is at the limit of `class`; counts nothing.
    pub(crate) async fn check(&self, class: Class, client: IpAddr) -> Result<(), Duration> {
        let rule = self.rules.of(class);
        let (count, wait) = self.add(class, client, 0, rule.window).await;
        if count >= u64::from(rule.max) {
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// A read (info, reveal, status, destroy): refused while the client is at its failure
    /// limit, and counted against the read limit. Both are looked at together, so a read refused
    /// for failures is counted as a read too.
    pub(crate) async fn read(&self, client: IpAddr) -> Result<(), Duration> {
        let failures = self.check(Class::Failed, client).await;
        let reads = self.hit(Class::Reveal, client).await;
        failures.and(reads)
    }

    /// Adds `by` to the client's count of `class` in the current window: (count, time left).
    async fn add(
        &self,
        class: Class,
        client: IpAddr,
        by: i64,
        window: Duration,
    ) -> (u64, Duration) {
        self.add_named(class.name(), client, by, window).await
    }

    /// Adds `by` to the client's counter `what`: (count, time left).
    async fn add_named(
        &self,
        what: &str,
        client: IpAddr,
        by: i64,
        window: Duration,
    ) -> (u64, Duration) {
        let name = format!("rl:{what}:{}", self.bucket(client));
        match self.counts.add(name, by, window).await {
            Ok(counted) => counted,
            Err(e) => {
                // The embedded store does not fail; Redis counts go through `Counts`' batches.
                tracing::warn!(target: "store", error = %e, "rate limit not counted");
                (0, Duration::ZERO)
            }
        }
    }
}

/// The bucket of an address: IPv4 addresses alone, IPv6 addresses by their first `prefix`
/// bits (one customer's network hands out a whole /64 or more; counting each address would
/// let a client rotate through 2^64 fresh budgets).
pub(crate) fn bucket(client: IpAddr, prefix: u8) -> String {
    match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let prefix = prefix.min(128);
                let mask = u128::MAX.checked_shl(u32::from(128 - prefix)).unwrap_or(0);
                let network = std::net::Ipv6Addr::from(u128::from(v6) & mask);
                format!("{network}/{prefix}")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::{EmbeddedConfig, EmbeddedStore};

    fn rules(max: u32) -> Rules {
        let rule = Rule {
            max,
            window: Duration::from_secs(60),
        };
        Rules {
            create: rule,
            reveal: rule,
            failed: rule,
            quota: Quota::DEFAULT,
            ipv6_prefix: 64,
        }
    }

    #[test]
    fn ipv6_addresses_share_their_prefix() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let b = |s: &str| bucket(ip(s), 64);
        assert_eq!(b("2001:db8::1"), b("2001:db8::2"));
        assert_eq!(b("2001:db8::1"), "2001:db8::/64");
        assert_ne!(b("2001:db8::1"), b("2001:db8:0:1::1"));
        assert_eq!(b("::ffff:10.0.0.1"), "10.0.0.1");
        assert_ne!(b("10.0.0.1"), b("10.0.0.2"));
        // Another prefix length: a /56 holds 256 /64s; /128 is each address alone.
        assert_eq!(
            bucket(ip("2001:db8:0:1::1"), 56),
            bucket(ip("2001:db8:0:ff::1"), 56)
        );
        assert_eq!(bucket(ip("2001:db8:0:1::1"), 56), "2001:db8::/56");
        assert_ne!(
            bucket(ip("2001:db8::1"), 128),
            bucket(ip("2001:db8::2"), 128)
        );
        assert_eq!(bucket(ip("2001:db8::1"), 0), "::/0");
    }

    #[tokio::test(start_paused = true)]
    async fn limits_per_client_and_class_then_forgets() {
        let store = Store::Embedded(EmbeddedStore::new(EmbeddedConfig::default()));
        let limiter = Limiter::new(store, rules(3));
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert!(limiter.check(Class::Failed, a).await.is_ok());
            assert!(limiter.hit(Class::Failed, a).await.is_ok());
        }
        assert!(limiter.check(Class::Failed, a).await.is_err());
        let wait = limiter.hit(Class::Failed, a).await.unwrap_err();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        assert!(limiter.check(Class::Failed, b).await.is_ok());
        assert!(limiter.hit(Class::Create, a).await.is_ok());
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(limiter.check(Class::Failed, a).await.is_ok());
    }
}
