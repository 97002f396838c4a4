//! The rules of requests: open one, let the responder see it and answer it once, let the
//! requester watch it, read the answer (an ordinary secret, revealed as any other) and cancel.
//!
//! The answer is a guarded secret like any other, stored by the same path as a create, with
//! the request's answer lifetime, one view, and the inbox proof's verifier as its manage
//! verifier (so the requester, and only they, can see and destroy it). The store records it
//! on the request in one atomic step; the loser of a race has its secret destroyed again.

use std::net::IpAddr;

use protocol::Loose;
use protocol::requests::{
    AnswerRef, AnswerRequest, AnswerResponse, CancelResponse, InboxResponse, OpenRequest,
    OpenedRequest, RequestState, RequestView,
};
use store::{
    Alias, AnswerAt, Answered, Cancelled, Managed, NewRequest, RequestProof, RequestRecord, Stage,
    Verifier,
};

use crate::validate::{self, InputError, Limits};
use crate::{Admission, BodyError, Class, CreateInput, Service, ServiceError, loose, unix_now};

/// How long a request stays open when the client does not say.
const DEFAULT_REQUEST_TTL: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

impl Service {
    /// Opens a request: counted as a create, its note against the client's quota.
    pub async fn open_request(
        &self,
        client: IpAddr,
        input: Result<OpenRequest, BodyError>,
    ) -> Result<OpenedRequest, ServiceError> {
        self.limit(Class::Create, client).await?;
        let input = self.body(input)?;
        let request = self.counted(self.new_request(input))?;
        let bytes = request.note.len() as u64;
        self.room(bytes).await?;
        let charged = self.inner.limiter.charge(client, bytes).await;
        charged.map_err(|wait| self.over_quota(wait))?;
        let ttl = request.ttl;
        let created = self.inner.store.create_request(request).await;
        if created.is_err() {
            self.inner.limiter.refund(client, bytes).await;
        }
        let created = self.stored(created)?;
        self.inner.metrics.request_opened();
        Ok(OpenedRequest {
            alias: created.alias.as_str().to_owned(),
            expires_at: unix_now() + ttl.as_secs(),
            id: created.id.as_str().to_owned(),
        })
    }

    /// What the responder sees: the sealed note, the state, how long the answer will wait.
    pub async fn view_request(
        &self,
        client: IpAddr,
        alias: &str,
        proof: Result<Option<Loose<String>>, BodyError>,
    ) -> Result<RequestView, ServiceError> {
        let (alias, proof) = self
            .request_proof(client, alias, proof, "answer_proof")
            .await?;
        let record = self
            .request_by(client, &alias, RequestProof::Answer(proof))
            .await?;
        Ok(RequestView {
            answer_ttl_seconds: record.answer_ttl.as_secs(),
            expires_at: record.expires_at,
            id: record.id.as_str().to_owned(),
            note: crypto_core::base64::encode(&record.note),
            state: match record.stage {
                Stage::Open => RequestState::Waiting,
                Stage::Answered => RequestState::Answered,
                Stage::Cancelled => RequestState::Cancelled,
            },
        })
    }

    /// Stores the one answer of an open request, admitted by [`Service::admit_create`].
    pub async fn answer_request(
        &self,
        admission: Admission,
        alias: &str,
        input: Result<AnswerRequest, BodyError>,
    ) -> Result<AnswerResponse, ServiceError> {
        let client = admission.client;
        // A client over its failures (guessing proofs) is refused before anything else, as a
        // confirm is.
        let failures = self.inner.limiter.check(Class::Failed, client).await;
        failures.map_err(|wait| self.rate_limited(wait))?;
        let alias = self.alias(client, alias).await?;
        let input = self.body(input)?;
        let proof = self.counted(required(input.answer_proof, "answer_proof"))?;
        let key_box = self.counted(loose(input.key_box, || InputError::BadKeyBox))?;
        let key_box = self.counted(validate::key_box(key_box.as_deref()))?;
        let mut secret: CreateInput = self
            .counted(input.secret.ok_or(InputError::BadAnswer))?
            .into();
        if secret.access_verifier.is_none()
            || secret.id.is_none()
            || secret.passphrase_verifier.is_some()
        {
            return self.counted(Err(InputError::BadAnswer));
        }
        let record = self
            .request_by(client, &alias, RequestProof::Answer(proof))
            .await?;
        self.still_open(record.stage)?;
        // The answer lives, and is viewed, as the request says (within today's limits: the
        // operator may have lowered them since it was opened); only the inbox manages it.
        let limits = &self.inner.limits;
        let answer_ttl = record.answer_ttl.clamp(limits.min_ttl, limits.max_ttl);
        secret.ttl_hours = None;
        secret.ttl_seconds = Some(Loose::Valid(answer_ttl.as_secs()));
        secret.max_views = None;
        secret.manage_verifier = None;
        let upload_token = secret.upload_token.take();
        let mut new = self.counted(self.new_secret(secret))?;
        new.access.manage_verifier = Some(record.inbox_verifier);
        let bytes = new.payload.len() as u64;
        let created = self.keep(client, new, upload_token).await?;
        let at = AnswerAt {
            alias: created.alias.clone(),
            id: created.id.clone(),
            key_box,
            answered_at: unix_now(),
        };
        let outcome = self
            .inner
            .store
            .answer_request(&alias, &proof, &at, answer_ttl)
            .await;
        let refused = match self.stored(outcome) {
            Ok(Managed::Ok(Answered::Now { expires_at })) => {
                self.inner.metrics.request_answered();
                return Ok(AnswerResponse { expires_at });
            }
            Ok(Managed::Ok(Answered::Already)) => ServiceError::AlreadyAnswered,
            Ok(Managed::Ok(Answered::Cancelled)) => ServiceError::RequestClosed,
            Ok(Managed::NotFound) => ServiceError::NotFound,
            Ok(Managed::WrongToken) => ServiceError::WrongAccessProof,
            Err(e) => {
                // The step may have been done even so (a reply lost, replicas late): if the
                // request names this answer, it is recorded, and must stay.
                let again = self
                    .inner
                    .store
                    .request(&alias, RequestProof::Answer(proof));
                if let Ok(Managed::Ok(now)) = again.await
                    && now
                        .answer
                        .as_ref()
                        .is_some_and(|a| a.alias == created.alias)
                {
                    self.inner.metrics.request_answered();
                    return Ok(AnswerResponse {
                        expires_at: now.expires_at,
                    });
                }
                e
            }
        };
        // Another answer came first (or the request went): this one must not linger, nor
        // count against the client's quota.
        self.drop_answer(&created.alias, &record.inbox_verifier)
            .await;
        self.inner.limiter.refund(client, bytes).await;
        Err(refused)
    }

    /// What the requester sees: the state, the sealed note, and the answer's place and key box.
    pub async fn inbox(
        &self,
        client: IpAddr,
        alias: &str,
        proof: Result<Option<Loose<String>>, BodyError>,
    ) -> Result<InboxResponse, ServiceError> {
        let (alias, proof) = self
            .request_proof(client, alias, proof, "inbox_proof")
            .await?;
        let record = self
            .request_by(client, &alias, RequestProof::Inbox(proof))
            .await?;
        let (state, read_at) = match (&record.stage, &record.answer) {
            (Stage::Cancelled, _) => (RequestState::Cancelled, None),
            (_, None) => (RequestState::Waiting, None),
            (_, Some(answer)) => {
                self.answer_state(&answer.alias, &record.inbox_verifier)
                    .await?
            }
        };
        Ok(InboxResponse {
            answer: record.answer.map(|a| AnswerRef {
                alias: a.alias.as_str().to_owned(),
                answered_at: a.answered_at,
                id: a.id.as_str().to_owned(),
                key_box: crypto_core::base64::encode_url(&a.key_box),
            }),
            expires_at: record.expires_at,
            id: record.id.as_str().to_owned(),
            note: crypto_core::base64::encode(&record.note),
            read_at,
            state,
        })
    }

    /// Cancels a request (and destroys its answer, if it has one unread). Cancelling twice is
    /// not an error.
    pub async fn cancel_request(
        &self,
        client: IpAddr,
        alias: &str,
        proof: Result<Option<Loose<String>>, BodyError>,
    ) -> Result<CancelResponse, ServiceError> {
        let (alias, proof) = self
            .request_proof(client, alias, proof, "inbox_proof")
            .await?;
        let managed = self.stored(self.inner.store.cancel_request(&alias, &proof).await)?;
        // Destroying is idempotent: a second cancel finishes what a failed first one began.
        if let Cancelled::Now(Some(answer)) | Cancelled::Already(Some(answer)) =
            self.managed(client, managed).await?
        {
            self.drop_answer(&answer, &proof).await;
        }
        Ok(CancelResponse {
            state: RequestState::Cancelled,
        })
    }

    /// Checks an open request's fields.
    fn new_request(&self, input: OpenRequest) -> Result<NewRequest, InputError> {
        let limits = &self.inner.limits;
        let id = loose(input.id, || InputError::BadId)?.ok_or(InputError::BadId)?;
        let ttl = loose(input.ttl_seconds, || ttl_error("ttl_seconds", limits))?;
        let answer_ttl = loose(input.answer_ttl_seconds, || answer_ttl_error(limits))?;
        let note = loose(input.note, || InputError::BadNote(Limits::MAX_NOTE_BYTES))?;
        Ok(NewRequest {
            id: validate::id(Some(&id))?,
            note: validate::note(note.as_deref())?,
            answer_verifier: required_verifier(input.answer_verifier, "answer_verifier")?,
            inbox_verifier: required_verifier(input.inbox_verifier, "inbox_verifier")?,
            ttl: validate::request_ttl(
                Some(ttl.unwrap_or(DEFAULT_REQUEST_TTL.min(limits.max_request_ttl).as_secs())),
                "ttl_seconds",
                Limits::MIN_REQUEST_TTL,
                limits.max_request_ttl,
            )?,
            answer_ttl: validate::request_ttl(
                Some(answer_ttl.unwrap_or(limits.max_ttl.as_secs())),
                "answer_ttl_seconds",
                limits.min_ttl,
                limits.max_ttl,
            )?,
        })
    }

    /// What view, inbox and cancel share: the read limit, the alias, the proof's verifier.
    async fn request_proof(
        &self,
        client: IpAddr,
        alias: &str,
        proof: Result<Option<Loose<String>>, BodyError>,
        name: &'static str,
    ) -> Result<(Alias, Verifier), ServiceError> {
        self.read(client).await?;
        let alias = self.alias(client, alias).await?;
        let proof = self.body(proof)?;
        let proof = self.counted(required(proof, name))?;
        Ok((alias, proof))
    }

    /// The request behind `alias` if `proof` is its; not found and a wrong proof count as
    /// failures (a wrong proof answers as a wrong access proof or manage token would).
    async fn request_by(
        &self,
        client: IpAddr,
        alias: &Alias,
        proof: RequestProof,
    ) -> Result<RequestRecord, ServiceError> {
        let managed = self.stored(self.inner.store.request(alias, proof).await)?;
        match (managed, proof) {
            (Managed::WrongToken, RequestProof::Answer(_)) => {
                self.inner.metrics.reject(crate::Rejected::WrongProof);
                Err(self.failed(client, ServiceError::WrongAccessProof).await)
            }
            (managed, _) => self.managed(client, managed).await,
        }
    }

    fn still_open(&self, stage: Stage) -> Result<(), ServiceError> {
        match stage {
            Stage::Open => Ok(()),
            Stage::Answered => {
                self.inner.metrics.reject(crate::Rejected::Conflict);
                Err(ServiceError::AlreadyAnswered)
            }
            Stage::Cancelled => {
                self.inner.metrics.reject(crate::Rejected::Conflict);
                Err(ServiceError::RequestClosed)
            }
        }
    }

    /// Whether an answer was read: its secret's status, seen through the inbox verifier.
    async fn answer_state(
        &self,
        answer: &Alias,
        inbox: &Verifier,
    ) -> Result<(RequestState, Option<u64>), ServiceError> {
        let status = self.stored(self.inner.store.status(answer, inbox).await)?;
        Ok(match status {
            Managed::Ok(s) if s.views_used == 0 && s.state == store::State::Waiting => {
                (RequestState::Answered, None)
            }
            // Destroyed without a cancel of the request: gone unread, never "read".
            Managed::Ok(s) if s.state == store::State::Destroyed => (RequestState::Cancelled, None),
            Managed::Ok(s) => (RequestState::Read, s.opened_at.first().copied()),
            // Its record is gone: read and forgotten, or expired with the request.
            Managed::NotFound | Managed::WrongToken => (RequestState::Read, None),
        })
    }

    /// Destroys an answer secret and its file data (best effort: it expires anyway).
    async fn drop_answer(&self, answer: &Alias, inbox: &Verifier) {
        let id = self
            .id_for_data(&store::SecretRef::Alias(answer.clone()))
            .await;
        match self.inner.store.destroy(answer, inbox).await {
            Ok(Managed::Ok(store::Destroyed::Now)) => {
                if let Some(id) = id {
                    self.forget_data(&id).await;
                }
            }
            Ok(_) => {}
            Err(e) => {
                // Counted and logged (no alias): it expires with the request anyway.
                self.inner.metrics.store_error();
                tracing::warn!(target: "service", error = %e, "an answer could not be destroyed");
            }
        }
    }
}

/// A proof that must be present, as its verifier.
fn required(field: Option<Loose<String>>, name: &'static str) -> Result<Verifier, InputError> {
    crate::presented(field, name)?.ok_or(InputError::BadProof(name))
}

/// A verifier that must be present.
fn required_verifier(
    field: Option<Loose<String>>,
    name: &'static str,
) -> Result<Verifier, InputError> {
    crate::verifier(field, name)?.ok_or(InputError::BadProof(name))
}

fn ttl_error(field: &'static str, limits: &Limits) -> InputError {
    InputError::RequestTtl {
        field,
        min: Limits::MIN_REQUEST_TTL.as_secs(),
        max: limits.max_request_ttl.as_secs(),
    }
}

fn answer_ttl_error(limits: &Limits) -> InputError {
    InputError::RequestTtl {
        field: "answer_ttl_seconds",
        min: limits.min_ttl.as_secs(),
        max: limits.max_ttl.as_secs(),
    }
}
