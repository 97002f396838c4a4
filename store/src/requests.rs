//! Requests: a secret asked for, answered once. The store keeps the requester's sealed note,
//! the hashes of the answer and inbox proofs, and, once answered, where the answer is (an
//! ordinary secret) and its key box. One record per request, one atomic step per operation
//! (a Lua script on one key on Redis, the lock embedded).

use std::time::Duration;

use bytes::Bytes;

use crate::{Alias, Created, Managed, SecretId, Store, StoreError, Verifier};

/// A validated request, ready to store.
#[derive(Clone)]
pub struct NewRequest {
    /// The request's id (the note's associated data).
    pub id: SecretId,
    /// The sealed note.
    pub note: Bytes,
    /// SHA-256 of the answer proof.
    pub answer_verifier: Verifier,
    /// SHA-256 of the inbox proof.
    pub inbox_verifier: Verifier,
    /// How long it stays open unanswered.
    pub ttl: Duration,
    /// How long its answer waits unread (the record then lives as long).
    pub answer_ttl: Duration,
}

/// Where a request is in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// No answer yet.
    Open,
    /// Answered.
    Answered,
    /// Cancelled by its requester.
    Cancelled,
}

/// Where a request's answer is: an ordinary secret, and its key sealed to the requester.
#[derive(Clone, PartialEq, Eq)]
pub struct AnswerAt {
    /// The answer secret's alias.
    pub alias: Alias,
    /// The answer secret's id.
    pub id: SecretId,
    /// Its master key sealed to the requester.
    pub key_box: Bytes,
    /// When it was answered (Unix seconds).
    pub answered_at: u64,
}

/// A request as stored.
#[derive(Clone)]
pub struct RequestRecord {
    /// The request's id.
    pub id: SecretId,
    /// The sealed note.
    pub note: Bytes,
    /// Its stage.
    pub stage: Stage,
    /// When the record expires (Unix seconds).
    pub expires_at: u64,
    /// How long an answer waits unread.
    pub answer_ttl: Duration,
    /// SHA-256 of the inbox proof: the answer secret's manage verifier.
    pub inbox_verifier: Verifier,
    /// The answer, once there is one.
    pub answer: Option<AnswerAt>,
}

/// Which proof a read presents: the responder's or the requester's.
#[derive(Debug, Clone, Copy)]
pub enum RequestProof {
    /// SHA-256 of the answer proof (the request link).
    Answer(Verifier),
    /// SHA-256 of the inbox proof (the inbox link).
    Inbox(Verifier),
}

/// The outcome of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// Recorded; the record now expires at this time (Unix seconds).
    Now {
        /// When the record (and the answer) expire.
        expires_at: u64,
    },
    /// Another answer came first.
    Already,
    /// The requester cancelled the request.
    Cancelled,
}

/// The outcome of a cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancelled {
    /// Cancelled now; the answer to delete with it, if there was one.
    Now(Option<Alias>),
    /// It was cancelled before; its answer, if any, to delete again (an earlier attempt may
    /// have failed).
    Already(Option<Alias>),
}

impl std::fmt::Debug for AnswerAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerAt")
            .field("answered_at", &self.answered_at)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Stores a new request under a fresh random alias (its own key space: a request and a
    /// secret may share an alias).
    pub async fn create_request(&self, request: NewRequest) -> Result<Created, StoreError> {
        let mut aliases = || Alias::generate().map_err(|e| StoreError::Unavailable(e.to_string()));
        self.create_request_with_aliases(request, &mut aliases)
            .await
    }

    /// Like [`Store::create_request`], taking aliases from `aliases` (tests force collisions).
    pub async fn create_request_with_aliases(
        &self,
        request: NewRequest,
        aliases: &mut (dyn FnMut() -> Result<Alias, StoreError> + Send),
    ) -> Result<Created, StoreError> {
        match self {
            Store::Embedded(s) => s.create_request(request, aliases),
            Store::Redis(s) => s.create_request(request, aliases).await,
        }
    }

    /// The request behind `alias`, if `proof` is one of its proofs. Changes nothing.
    pub async fn request(
        &self,
        alias: &Alias,
        proof: RequestProof,
    ) -> Result<Managed<RequestRecord>, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.request(alias, proof)),
            Store::Redis(s) => s.request(alias, proof).await,
        }
    }

    /// Records the one answer of an open request, given its answer proof's hash, in one atomic
    /// step: of any number of concurrent answers exactly one gets [`Answered::Now`]. The record
    /// then lives as long as the answer (`answer_ttl` from now).
    pub async fn answer_request(
        &self,
        alias: &Alias,
        proof: &Verifier,
        answer: &AnswerAt,
        answer_ttl: Duration,
    ) -> Result<Managed<Answered>, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.answer_request(alias, proof, answer, answer_ttl)),
            Store::Redis(s) => s.answer_request(alias, proof, answer, answer_ttl).await,
        }
    }

    /// Cancels a request, given its inbox proof's hash: it takes no answer any more. The
    /// record stays until it expires, so both sides can see it was cancelled.
    pub async fn cancel_request(
        &self,
        alias: &Alias,
        proof: &Verifier,
    ) -> Result<Managed<Cancelled>, StoreError> {
        match self {
            Store::Embedded(s) => Ok(s.cancel_request(alias, proof)),
            Store::Redis(s) => s.cancel_request(alias, proof).await,
        }
    }
}
