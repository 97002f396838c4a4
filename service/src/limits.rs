//! Rate limits per client address: fixed windows counted in the store ([`Store::count`]),
//! so that with Redis every app instance shares them and on the embedded store they are
//! in-process. See `docs/api.md` for the defaults.

use std::net::IpAddr;
use std::time::Duration;

use store::Store;

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

/// The rule of each class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Creating.
    pub create: Rule,
    /// Reading.
    pub reveal: Rule,
    /// Failing.
    pub failed: Rule,
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

/// Counts requests per client and class, in the store.
#[derive(Clone)]
pub(crate) struct Limiter {
    rules: Rules,
    store: Store,
}

impl Limiter {
    /// Limits counted where `store` keeps secrets.
    pub(crate) fn new(store: Store, rules: Rules) -> Self {
        Self { rules, store }
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
    async fn check(&self, class: Class, client: IpAddr) -> Result<(), Duration> {
        let rule = self.rules.of(class);
        let (count, wait) = self.add(class, client, 0, rule.window).await;
        if count >= u64::from(rule.max) {
            Err(wait)
        } else {
            Ok(())
        }
    }

    /// A read (info, reveal, status, destroy): refused while the client is at its failure
    /// limit, and counted against the read limit. Both at once (one round trip to Redis, as
    /// the client pipelines them), so a read refused for failures is counted as a read too.
    pub(crate) async fn read(&self, client: IpAddr) -> Result<(), Duration> {
        let (failures, reads) = tokio::join!(
            self.check(Class::Failed, client),
            self.hit(Class::Reveal, client)
        );
        failures.and(reads)
    }

    /// Adds `by` to the client's count in the current window: (count, time left).
    async fn add(
        &self,
        class: Class,
        client: IpAddr,
        by: u32,
        window: Duration,
    ) -> (u64, Duration) {
        let name = format!("rl:{}:{}", class.name(), bucket(client));
        match self.store.count(&name, by, window).await {
            Ok(counted) => counted,
            Err(e) => {
                // The store's own requests fail with 503 anyway; do not add a second failure
                // mode here.
                tracing::warn!(target: "store", error = %e, "rate limit not counted");
                (0, Duration::ZERO)
            }
        }
    }
}

/// The rate-limit bucket of an address: IPv4 addresses alone, IPv6 addresses by their /64
/// (one customer's network hands out a whole /64; counting each address would let a client
/// rotate through 2^64 fresh budgets).
fn bucket(client: IpAddr) -> String {
    match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
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
        }
    }

    #[test]
    fn ipv6_addresses_share_their_64() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(bucket(ip("2001:db8::1")), bucket(ip("2001:db8::2")));
        assert_eq!(bucket(ip("2001:db8::1")), "2001:db8:0:0::/64");
        assert_ne!(bucket(ip("2001:db8::1")), bucket(ip("2001:db8:0:1::1")));
        assert_eq!(bucket(ip("::ffff:10.0.0.1")), "10.0.0.1");
        assert_ne!(bucket(ip("10.0.0.1")), bucket(ip("10.0.0.2")));
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
