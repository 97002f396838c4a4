//! Requests in the embedded store: one map entry per request, every step under the lock.

use std::time::Duration;

use subtle::ConstantTimeEq as _;
use tokio::time::Instant;

use super::{EmbeddedStore, Inner};
use crate::requests::{AnswerAt, Answered, Cancelled, NewRequest, RequestProof, RequestRecord};
use crate::{ALIAS_ATTEMPTS, Alias, Created, Managed, Stage, StoreError, Verifier, now_unix};

/// What a request's record costs beside its note and key box.
const REQUEST_OVERHEAD: usize = std::mem::size_of::<Request>() + 2 * 64;

pub(super) struct Request {
    record: RequestRecord,
    answer_verifier: Verifier,
    expires_at: Instant,
}

impl Request {
    pub(super) fn cost(&self) -> usize {
        REQUEST_OVERHEAD
            + self.record.note.len()
            + self.record.answer.as_ref().map_or(0, |a| a.key_box.len())
    }

    pub(super) fn expired(&self, now: Instant) -> bool {
        self.expires_at <= now
    }

    /// Whether `proof` is this request's.
    fn proven(&self, proof: RequestProof) -> bool {
        let (stored, presented) = match proof {
            RequestProof::Answer(p) => (&self.answer_verifier, p),
            RequestProof::Inbox(p) => (&self.record.inbox_verifier, p),
        };
        stored.ct_eq(&presented).into()
    }
}

impl Inner {
    /// The live request of `alias`, if `proof` is its; otherwise the refusal.
    fn proven_request<T>(
        &mut self,
        alias: &Alias,
        proof: RequestProof,
    ) -> Result<&mut Request, Managed<T>> {
        let request = self
            .requests
            .get_mut(alias)
            .filter(|r| !r.expired(Instant::now()))
            .ok_or(Managed::NotFound)?;
        if request.proven(proof) {
            Ok(request)
        } else {
            Err(Managed::WrongToken)
        }
    }
}

impl EmbeddedStore {
    pub(crate) fn create_request(
        &self,
        request: NewRequest,
        aliases: &mut (dyn FnMut() -> Result<Alias, StoreError> + Send),
    ) -> Result<Created, StoreError> {
        let now = Instant::now();
        let mut inner = self.lock();
        let entry = Request {
            expires_at: now + request.ttl,
            answer_verifier: request.answer_verifier,
            record: RequestRecord {
                id: request.id.clone(),
                note: request.note,
                stage: Stage::Open,
                expires_at: now_unix() + request.ttl.as_secs(),
                answer_ttl: request.answer_ttl,
                inbox_verifier: request.inbox_verifier,
                answer: None,
            },
        };
        if inner.bytes + entry.cost() > self.max_bytes {
            inner.sweep(now);
            if inner.bytes + entry.cost() > self.max_bytes {
                return Err(StoreError::Full);
            }
        }
        for _ in 0..ALIAS_ATTEMPTS {
            let alias = aliases()?;
            if inner.requests.get(&alias).is_some_and(|r| !r.expired(now)) {
                continue;
            }
            if let Some(old) = inner.requests.remove(&alias) {
                inner.bytes -= old.cost();
            }
            inner.bytes += entry.cost();
            inner.requests.insert(alias.clone(), entry);
            return Ok(Created {
                id: request.id,
                alias,
            });
        }
        Err(StoreError::AliasesExhausted)
    }

    pub(crate) fn request(&self, alias: &Alias, proof: RequestProof) -> Managed<RequestRecord> {
        match self.lock().proven_request(alias, proof) {
            Ok(request) => Managed::Ok(request.record.clone()),
            Err(refused) => refused,
        }
    }

    pub(crate) fn answer_request(
        &self,
        alias: &Alias,
        proof: &Verifier,
        answer: &AnswerAt,
        answer_ttl: Duration,
    ) -> Managed<Answered> {
        let mut inner = self.lock();
        let request = match inner.proven_request(alias, RequestProof::Answer(*proof)) {
            Ok(request) => request,
            Err(refused) => return refused,
        };
        match request.record.stage {
            Stage::Answered => return Managed::Ok(Answered::Already),
            Stage::Cancelled => return Managed::Ok(Answered::Cancelled),
            Stage::Open => {}
        }
        let before = request.cost();
        request.record.stage = Stage::Answered;
        request.record.answer = Some(answer.clone());
        request.expires_at = Instant::now() + answer_ttl;
        request.record.expires_at = now_unix() + answer_ttl.as_secs();
        let expires_at = request.record.expires_at;
        let after = request.cost();
        inner.bytes = inner.bytes - before + after;
        Managed::Ok(Answered::Now { expires_at })
    }

    pub(crate) fn cancel_request(&self, alias: &Alias, proof: &Verifier) -> Managed<Cancelled> {
        let mut inner = self.lock();
        let request = match inner.proven_request(alias, RequestProof::Inbox(*proof)) {
            Ok(request) => request,
            Err(refused) => return refused,
        };
        let answer = request.record.answer.as_ref().map(|a| a.alias.clone());
        if request.record.stage == Stage::Cancelled {
            return Managed::Ok(Cancelled::Already(answer));
        }
        request.record.stage = Stage::Cancelled;
        Managed::Ok(Cancelled::Now(answer))
    }
}
