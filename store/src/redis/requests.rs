//! Requests on Redis: one hash per request, `{prefix}q:{<alias>}`, with the TTL: `id`, the
//! sealed note `n`, verifiers `bv` (answer) and `iv` (inbox), the answer's lifetime `at` (s),
//! expiry `ex`, stage `st` (`o` open, `a` answered, `c` cancelled) and, once answered, the
//! answer secret's alias `aa` and id `ai`, its key box `kb` and the time `ta`. One key per
//! operation, so every step holds on a cluster.

use std::sync::LazyLock;
use std::time::Duration;

use bytes::Bytes;
use fred::prelude::*;
use fred::types::scripts::Script;
use subtle::ConstantTimeEq as _;

use super::{RedisStore, millis, raw, unavailable};
use crate::requests::{AnswerAt, Answered, Cancelled, NewRequest, RequestProof, RequestRecord};
use crate::{
    ALIAS_ATTEMPTS, Alias, Created, Managed, SecretId, Stage, StoreError, Verifier, now_unix,
};

static CREATE: LazyLock<Script> =
    LazyLock::new(|| Script::from_lua(include_str!("../lua/request_create.lua")));
static ANSWER: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(concat!(
        "#!lua flags=allow-oom\n",
        include_str!("../lua/eq.lua"),
        include_str!("../lua/request_answer.lua")
    ))
});
static CANCEL: LazyLock<Script> = LazyLock::new(|| {
    Script::from_lua(concat!(
        "#!lua flags=allow-oom\n",
        include_str!("../lua/eq.lua"),
        include_str!("../lua/request_cancel.lua")
    ))
});

/// The fields a read returns, in order.
const FIELDS: [&str; 11] = [
    "id", "n", "bv", "iv", "st", "ex", "at", "aa", "ai", "kb", "ta",
];

impl RedisStore {
    fn request_key(&self, alias: &Alias) -> String {
        format!("{}q:{{{}}}", self.inner.prefix, alias.as_str())
    }

    pub(crate) async fn create_request(
        &self,
        request: NewRequest,
        aliases: &mut (dyn FnMut() -> Result<Alias, StoreError> + Send),
    ) -> Result<Created, StoreError> {
        let ttl_ms = millis(request.ttl);
        let expires = now_unix() + request.ttl.as_secs();
        let args = vec![
            Value::from(request.id.as_str()),
            Value::Bytes(request.note.clone()),
            raw(&request.answer_verifier),
            raw(&request.inbox_verifier),
            Value::from(ttl_ms),
            Value::from(i64::try_from(request.answer_ttl.as_secs()).unwrap_or(i64::MAX)),
            Value::from(i64::try_from(expires).unwrap_or(i64::MAX)),
        ];
        for _ in 0..ALIAS_ATTEMPTS {
            let alias = aliases()?;
            let key = self.request_key(&alias);
            let written: i64 = self.run_durable(&CREATE, vec![key], args.clone()).await?;
            if written == 1 {
                return Ok(Created {
                    id: request.id,
                    alias,
                });
            }
        }
        Err(StoreError::AliasesExhausted)
    }

    pub(crate) async fn request(
        &self,
        alias: &Alias,
        proof: RequestProof,
    ) -> Result<Managed<RequestRecord>, StoreError> {
        let f: Vec<Value> = self
            .client()
            .hmget(self.request_key(alias), FIELDS.to_vec())
            .await
            .map_err(unavailable)?;
        let bytes = |i: usize| {
            f.get(i)
                .and_then(Value::as_bytes)
                .map(Bytes::copy_from_slice)
        };
        let text = |i: usize| f.get(i).cloned().and_then(Value::into_string);
        let number = |i: usize| f.get(i).and_then(Value::as_u64).unwrap_or(0);
        let verifier = |i: usize| {
            bytes(i)
                .and_then(|b| <[u8; 32]>::try_from(b.as_ref()).ok())
                .map(Verifier::from_bytes)
        };
        let (Some(id), Some(answer_verifier), Some(inbox_verifier)) =
            (text(0), verifier(2), verifier(3))
        else {
            return Ok(Managed::NotFound);
        };
        let (stored, presented) = match proof {
            RequestProof::Answer(p) => (answer_verifier, p),
            RequestProof::Inbox(p) => (inbox_verifier, p),
        };
        if !bool::from(stored.ct_eq(&presented)) {
            return Ok(Managed::WrongToken);
        }
        let corrupt = || StoreError::Unavailable("a request record is malformed".into());
        let stage = match text(4).as_deref() {
            Some("a") => Stage::Answered,
            Some("c") => Stage::Cancelled,
            _ => Stage::Open,
        };
        let answer = match (text(7), text(8), bytes(9)) {
            (Some(alias), Some(id), Some(key_box)) => Some(AnswerAt {
                alias: Alias::parse(&alias).map_err(|_| corrupt())?,
                id: SecretId::parse(&id).map_err(|_| corrupt())?,
                key_box,
                answered_at: number(10),
            }),
            _ => None,
        };
        Ok(Managed::Ok(RequestRecord {
            id: SecretId::parse(&id).map_err(|_| corrupt())?,
            note: bytes(1).unwrap_or_default(),
            stage,
            expires_at: number(5),
            answer_ttl: Duration::from_secs(number(6)),
            inbox_verifier,
            answer,
        }))
    }

    pub(crate) async fn answer_request(
        &self,
        alias: &Alias,
        proof: &Verifier,
        answer: &AnswerAt,
        answer_ttl: Duration,
    ) -> Result<Managed<Answered>, StoreError> {
        let expires_at = now_unix() + answer_ttl.as_secs();
        let args = vec![
            raw(proof),
            Value::from(answer.alias.as_str()),
            Value::from(answer.id.as_str()),
            Value::Bytes(answer.key_box.clone()),
            Value::from(i64::try_from(answer.answered_at).unwrap_or(i64::MAX)),
            Value::from(millis(answer_ttl)),
            Value::from(i64::try_from(expires_at).unwrap_or(i64::MAX)),
        ];
        let outcome: i64 = self
            .run_durable(&ANSWER, vec![self.request_key(alias)], args)
            .await?;
        Ok(match outcome {
            0 => Managed::NotFound,
            1 => Managed::WrongToken,
            2 => Managed::Ok(Answered::Now { expires_at }),
            3 => Managed::Ok(Answered::Already),
            _ => Managed::Ok(Answered::Cancelled),
        })
    }

    pub(crate) async fn cancel_request(
        &self,
        alias: &Alias,
        proof: &Verifier,
    ) -> Result<Managed<Cancelled>, StoreError> {
        let reply: Vec<Value> = self
            .run_durable(&CANCEL, vec![self.request_key(alias)], vec![raw(proof)])
            .await?;
        let code = reply.first().and_then(Value::as_i64).unwrap_or(0);
        let answer = reply
            .get(1)
            .cloned()
            .and_then(Value::into_string)
            .and_then(|a| Alias::parse(&a).ok());
        Ok(match code {
            0 => Managed::NotFound,
            1 => Managed::WrongToken,
            3 => Managed::Ok(Cancelled::Already(answer)),
            _ => Managed::Ok(Cancelled::Now(answer)),
        })
    }
}
