//! The limiter's counters, decided without a round trip to the store.
//!
//! On the embedded store the counters are the store's own: in process, exact. On Redis each
//! instance counts in process, exactly, and every [`SYNC_EVERY`] sends what it counted (one
//! `count` per counter, all at once) and learns the shared total and window. A request is
//! decided at once on what this instance knows.
//!
//! What that costs in precision: an instance decides on other instances' counts as they were
//! at its last sync, so across `N` instances a client can get at most what `N − 1` instances
//! admit to it in one sync interval more than the limit, per window. One instance alone is
//! exact. If Redis cannot be reached, each instance keeps counting on its own (the limits hold
//! per instance instead of failing open) and sends the counts when it comes back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use store::{Store, StoreError};
use tokio::time::Instant;

/// How often counts are shared through Redis.
pub(crate) const SYNC_EVERY: Duration = Duration::from_millis(50);

/// A counter as this instance knows it.
struct Local {
    /// The shared total at the last sync (every instance's counts sent until then).
    known: u64,
    /// Sent, the answer not back yet.
    in_flight: i64,
    /// Counted here since the last send.
    pending: i64,
    window: Duration,
    window_end: Instant,
    /// Read or counted since the last sync: the next sync refreshes it.
    wanted: bool,
}

impl Local {
    fn count(&self) -> u64 {
        u64::try_from((self.known as i64).saturating_add(self.in_flight + self.pending))
            .unwrap_or(0)
    }
}

type Table = Arc<Mutex<HashMap<String, Local>>>;

/// Counters by name, each in a fixed window.
#[derive(Clone)]
pub(crate) struct Counts {
    store: Store,
    /// `Some` on Redis (counted here, shared in batches); `None`: the store counts, exactly.
    local: Option<Table>,
}

impl Counts {
    /// Counters kept where `store` keeps secrets. On Redis, inside a Tokio runtime, a task
    /// shares them every [`SYNC_EVERY`] until the last clone is dropped.
    pub(crate) fn new(store: Store) -> Self {
        let batched =
            matches!(store, Store::Redis(_)) && tokio::runtime::Handle::try_current().is_ok();
        let local = batched.then(Table::default);
        if let Some(table) = &local {
            tokio::spawn(share(store.clone(), Arc::downgrade(table)));
        }
        Self { store, local }
    }

    /// Adds `by` (negative: takes back) to `name` in its window: (count, time left in the
    /// window), as this instance knows them now.
    pub(crate) async fn add(
        &self,
        name: String,
        by: i64,
        window: Duration,
    ) -> Result<(u64, Duration), StoreError> {
        let Some(table) = &self.local else {
            return self.store.count(&name, by, window).await;
        };
        let now = Instant::now();
        let mut table = table.lock().unwrap_or_else(|p| p.into_inner());
        let local = table.entry(name).or_insert_with(|| Local {
            known: 0,
            in_flight: 0,
            pending: 0,
            window,
            window_end: now + window,
            wanted: true,
        });
        if now >= local.window_end {
            // A new window: what was counted in the last one no longer counts.
            local.known = 0;
            local.pending = 0;
            local.window_end = now + window;
        }
        local.pending += by;
        local.wanted = true;
        Ok((local.count(), local.window_end - now))
    }
}

/// Every [`SYNC_EVERY`]: sends the counters with news (or read since the last sync) and takes
/// the shared totals back. Ends when the table is dropped.
async fn share(store: Store, table: Weak<Mutex<HashMap<String, Local>>>) {
    let mut ticks = tokio::time::interval(SYNC_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(table) = table.upgrade() else { return };
        let now = Instant::now();
        let batch: Vec<(String, i64, Duration)> = {
            let mut t = table.lock().unwrap_or_else(|p| p.into_inner());
            // Forget counters whose window ended with nothing left to send.
            t.retain(|_, l| now < l.window_end || l.pending != 0 || l.in_flight != 0);
            t.iter_mut()
                .filter(|(_, l)| l.wanted || l.pending != 0)
                .map(|(name, l)| {
                    let sent = std::mem::take(&mut l.pending);
                    l.in_flight += sent;
                    l.wanted = false;
                    (name.clone(), sent, l.window)
                })
                .collect()
        };
        let mut replies = tokio::task::JoinSet::new();
        for (name, sent, window) in batch {
            let store = store.clone();
            replies.spawn(async move {
                let reply = store.count(&name, sent, window).await;
                (name, sent, reply)
            });
        }
        while let Some(Ok((name, sent, reply))) = replies.join_next().await {
            let mut t = table.lock().unwrap_or_else(|p| p.into_inner());
            let Some(local) = t.get_mut(&name) else {
                continue;
            };
            local.in_flight -= sent;
            match reply {
                Ok((total, left)) => {
                    local.known = total;
                    local.window_end = Instant::now() + left;
                }
                Err(e) => {
                    // Sent again next time; meanwhile this instance's own counts decide.
                    local.pending += sent;
                    tracing::warn!(target: "store", error = %e, "rate limits not shared");
                }
            }
        }
    }
}
