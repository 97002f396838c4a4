//! Counts failed attempts (wrong key, wrong passphrase, wrong manage token) per client, so
//! guessing is slow. In-process; see `docs/protocol.md`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Failed attempts allowed per client in a window, then refusals until the window ends.
#[derive(Clone)]
pub struct Attempts {
    inner: Arc<Mutex<HashMap<IpAddr, (Instant, u32)>>>,
    max: u32,
    window: Duration,
}

impl Attempts {
    /// `max` failures per `window`.
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            inner: Arc::default(),
            max,
            window,
        }
    }

    /// `Err(wait)` while `client` is over its limit.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&client) {
            Some(&(start, count)) if count >= self.max && now < start + self.window => {
                Err(start + self.window - now)
            }
            _ => Ok(()),
        }
    }

    /// Counts one failure.
    pub fn failed(&self, client: IpAddr) {
        let now = Instant::now();
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (start, _)| now < *start + window);
        }
        let entry = map.entry(client).or_insert((now, 0));
        if now >= entry.0 + self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn limits_then_forgets() {
        let attempts = Attempts::new(3, Duration::from_secs(60));
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert!(attempts.check(a).is_ok());
            attempts.failed(a);
        }
        assert!(attempts.check(a).is_err());
        assert!(attempts.check(b).is_ok());
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(attempts.check(a).is_ok());
    }
}
