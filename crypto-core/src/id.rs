//! Secret ids (UUIDs, the cryptographic binding) and aliases (short link names).

use crate::{Error, rng};

/// A secret's id: a UUID in its 36-character hyphenated text form.
///
/// The text is kept exactly as given, because its UTF-8 bytes are the HKDF info and the
/// AES-GCM associated data: re-casing it would change the key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SecretId(String);

impl SecretId {
    /// A fresh random (version 4) id from the OS or browser CSPRNG.
    pub fn generate() -> Result<Self, Error> {
        let mut bytes = [0u8; 16];
        rng::fill(&mut bytes)?;
        let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
        Ok(Self(uuid.hyphenated().to_string()))
    }

    /// Accepts a UUID in the hyphenated `8-4-4-4-12` form, in either case.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let hyphens_at = [8, 13, 18, 23];
        let well_formed = text.len() == 36
            && text.bytes().enumerate().all(|(i, b)| {
                if hyphens_at.contains(&i) {
                    b == b'-'
                } else {
                    b.is_ascii_hexdigit()
                }
            });
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(Error::Id)
        }
    }

    /// The id's text, as used for key derivation, associated data and the API.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SecretId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for SecretId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretId({})", self.0)
    }
}

/// An 8-character base62 alias, the short name of a secret in links.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Alias(String);

impl Alias {
    /// Length of every alias.
    pub const LEN: usize = 8;
    const ALPHABET: &'static [u8; 62] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// A fresh alias from the CSPRNG, uniformly distributed over 62^8 values.
    pub fn generate() -> Result<Self, Error> {
        let mut out = String::with_capacity(Self::LEN);
        let mut pool = [0u8; 32];
        while out.len() < Self::LEN {
            rng::fill(&mut pool)?;
            // Rejection sampling: 248 = 4 × 62, so bytes below it map uniformly.
            for &b in pool.iter().filter(|&&b| b < 248) {
                if out.len() == Self::LEN {
                    break;
                }
                out.push(char::from(Self::ALPHABET[usize::from(b % 62)]));
            }
        }
        Ok(Self(out))
    }

    /// Accepts exactly 8 ASCII letters or digits.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.len() == Self::LEN && text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(Error::Id)
        }
    }

    /// The alias text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Alias {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for Alias {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Alias({})", self.0)
    }
}

/// How a request names a secret: by its id or by its alias.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretRef {
    /// By UUID.
    Id(SecretId),
    /// By 8-character alias.
    Alias(Alias),
}

impl SecretRef {
    /// Parses either form; anything else is [`Error::Id`].
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.len() == Alias::LEN {
            Alias::parse(text).map(SecretRef::Alias)
        } else {
            SecretId::parse(text).map(SecretRef::Id)
        }
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        match self {
            SecretRef::Id(id) => id.as_str(),
            SecretRef::Alias(alias) => alias.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_v4_and_parse() {
        let id = SecretId::generate().unwrap();
        let parsed = uuid::Uuid::try_parse(id.as_str()).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(SecretId::parse(id.as_str()).unwrap(), id);
        assert_ne!(SecretId::generate().unwrap(), id);
    }

    #[test]
    fn id_parse_keeps_case_and_rejects_other_forms() {
        let upper = "A1B2C3D4-0000-4000-8000-000000000001";
        assert_eq!(SecretId::parse(upper).unwrap().as_str(), upper);
        for bad in [
            "",
            "a1b2c3d4000040008000000000000001",
            "{a1b2c3d4-0000-4000-8000-000000000001}",
            "a1b2c3d4-0000-4000-8000-00000000000g",
            "a1b2c3d4-0000-4000-8000-0000000000011",
            "a1b2c3d40-000-4000-8000-000000000001",
            "urn:uuid:a1b2c3d4-0000-4000-8000-0000",
        ] {
            assert_eq!(SecretId::parse(bad), Err(Error::Id), "{bad}");
        }
    }

    #[test]
    fn aliases_are_base62_and_vary() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let alias = Alias::generate().unwrap();
            assert_eq!(alias.as_str().len(), 8);
            assert!(alias.as_str().bytes().all(|b| b.is_ascii_alphanumeric()));
            seen.insert(alias);
        }
        assert_eq!(seen.len(), 1000);
    }

    #[test]
    fn refs_parse() {
        assert!(matches!(
            SecretRef::parse("Kx7mP2nQ"),
            Ok(SecretRef::Alias(_))
        ));
        assert!(matches!(
            SecretRef::parse("a1b2c3d4-0000-4000-8000-000000000001"),
            Ok(SecretRef::Id(_))
        ));
        for bad in ["Kx7mP2n", "Kx7mP2n!", "Kx7mP2nQQ", "", "../../etc"] {
            assert_eq!(SecretRef::parse(bad), Err(Error::Id), "{bad}");
        }
    }
}
