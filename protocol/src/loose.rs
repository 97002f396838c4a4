//! A request field that may arrive with the wrong JSON type.
//!
//! Clients of the reference API send hand-written JSON; a `"ttl_hours": "24"` must get the
//! field's own error ("ttl_hours must be an integer from 1 to 72"), not a generic parse
//! error. [`Loose`] records "present but of another type" instead of failing the whole body,
//! without buffering the value (a ciphertext can be megabytes).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A field's value, or the fact that it had another type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loose<T> {
    /// The value, of the expected type.
    Valid(T),
    /// Present, but of another JSON type (or, for integers, negative or fractional).
    Invalid,
}

impl<T> Loose<T> {
    /// The value, or `Err(())` when it had another type.
    #[allow(clippy::result_unit_err)] // the caller names the field's own error
    pub fn valid(self) -> Result<T, ()> {
        match self {
            Loose::Valid(v) => Ok(v),
            Loose::Invalid => Err(()),
        }
    }
}

impl<T> From<T> for Loose<T> {
    fn from(value: T) -> Self {
        Loose::Valid(value)
    }
}

impl<T: Serialize> Serialize for Loose<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Loose::Valid(v) => v.serialize(serializer),
            // Only a decoded request can be invalid; sending one is a client bug.
            Loose::Invalid => serializer.serialize_unit(),
        }
    }
}

/// Types a [`Loose`] field can hold: what each JSON type becomes.
pub trait LooseValue: Sized {
    /// From a JSON non-negative integer.
    fn from_u64(_: u64) -> Option<Self> {
        None
    }
    /// From a JSON string.
    fn from_string(_: String) -> Option<Self> {
        None
    }
}

impl LooseValue for u64 {
    fn from_u64(v: u64) -> Option<Self> {
        Some(v)
    }
}

impl LooseValue for String {
    fn from_string(v: String) -> Option<Self> {
        Some(v)
    }
}

struct LooseVisitor<T>(PhantomData<T>);

fn loose<T>(value: Option<T>) -> Loose<T> {
    value.map_or(Loose::Invalid, Loose::Valid)
}

impl<'de, T: LooseValue> Visitor<'de> for LooseVisitor<T> {
    type Value = Loose<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Loose::Invalid)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(loose(T::from_u64(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(loose(u64::try_from(v).ok().and_then(T::from_u64)))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Loose::Invalid)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(loose(T::from_string(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(loose(T::from_string(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Loose::Invalid)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose::Invalid)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Invalid)
    }
}

impl<'de, T: LooseValue> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor(PhantomData))
    }
}
