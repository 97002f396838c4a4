//! One lock per secret id, inside this process: begin, finish and abort of one upload take
//! turns. Object storage without conditional writes has no atomic step to decide who takes
//! an upload; within one server this lock is that step (across servers, see `s3`'s doc).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::OwnedMutexGuard;

/// The locks of the ids in use right now (an id's entry goes when nobody holds or waits for it).
#[derive(Default, Debug)]
pub(super) struct Locks {
    held: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// The lock of one id, held until dropped.
pub(super) struct Held<'a> {
    locks: &'a Locks,
    key: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Locks {
    /// Waits for `key`'s turn.
    pub(super) async fn lock(&self, key: &str) -> Held<'_> {
        let mutex = self.map().entry(key.to_owned()).or_default().clone();
        let guard = mutex.lock_owned().await;
        Held {
            locks: self,
            key: key.to_owned(),
            guard: Some(guard),
        }
    }

    // A panic elsewhere while the map was locked leaves it consistent (each step is one
    // insert or remove), so a poisoned map is used as it is.
    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut map = self.locks.map();
        drop(self.guard.take());
        // Only the map's own handle is left: nobody holds or waits for this id.
        if map
            .get(&self.key)
            .is_some_and(|m| Arc::strong_count(m) == 1)
        {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_id_takes_turns_and_is_forgotten_when_free() {
        let locks = Arc::new(Locks::default());
        let first = locks.lock("a").await;
        let waiting = {
            let locks = locks.clone();
            tokio::spawn(async move {
                let _second = locks.lock("a").await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        let _other = locks.lock("b").await;
        drop(first);
        waiting.await.unwrap();
        assert_eq!(locks.map().len(), 1);
    }
}
