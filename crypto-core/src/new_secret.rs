//! Making a new secret: every random value, proof and padding decision in one place, for
//! the web app and the CLI alike.
//!
//! Two steps, so that the browser can hand the AES-GCM step to WebCrypto while the CLI
//! stays synchronous: [`prepare_secret`] draws the key, id and manage token, stretches the
//! passphrase and packs the envelope ([`prepare_guarded`] leaves the stretch to the caller); [`PreparedSecret::seal`] (pure Rust) or
//! [`PreparedSecret::seal_bulk`] (`bulk`, WebCrypto where the page has it) encrypts. Both
//! produce the same format, so the server cannot tell who made a secret.

use zeroize::Zeroizing;

use crate::{
    Alias, Envelope, Error, Link, ManageLink, ManageToken, MasterKey, PassphraseSalt, SecretId,
    SecretRef, StretchedPassphrase, Verifier,
};

/// How a new secret is protected; it depends on the server that will store it. Its `Debug`
/// never shows the passphrase.
#[derive(Clone, Copy)]
pub enum Protection<'a> {
    /// An oncelink server: a padded envelope, an access verifier (reveals must prove the
    /// key), a manage token for the sender, and optionally a passphrase.
    Guarded {
        /// The passphrase the recipient must also know, if any.
        passphrase: Option<&'a str>,
    },
    /// An Only Once Share (reference) server: its format exactly. No padding (a reference
    /// client would show it as text), no verifiers (it would ignore them), no manage link.
    Reference,
}

impl std::fmt::Debug for Protection<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Protection::Guarded { passphrase } => f
                .debug_struct("Guarded")
                .field("passphrase", &passphrase.map(|_| "***"))
                .finish(),
            Protection::Reference => f.write_str("Reference"),
        }
    }
}

/// A new secret before encryption: its keys, and the packed plaintext.
pub struct PreparedSecret {
    key: MasterKey,
    id: SecretId,
    stretched: Option<StretchedPassphrase>,
    manage: Option<ManageToken>,
    plaintext: Zeroizing<Vec<u8>>,
}

/// Draws a fresh master key, id and (for [`Protection::Guarded`]) manage token, stretches
/// the passphrase (Argon2id: slow on purpose) and packs `envelope`, padded for an oncelink
/// server. The envelope is consumed so that no unpadded copy outlives this call.
pub fn prepare_secret(
    envelope: Envelope,
    protection: Protection<'_>,
) -> Result<PreparedSecret, Error> {
    match protection {
        Protection::Guarded { passphrase: None } => prepare_guarded(envelope),
        Protection::Guarded {
            passphrase: Some(passphrase),
        } => {
            let prepared = prepare_guarded(envelope)?;
            let stretched = prepared.passphrase_salt().stretch(passphrase)?;
            Ok(prepared.with_passphrase(stretched))
        }
        Protection::Reference => PreparedSecret::fresh(envelope.pack()?, None),
    }
}

/// [`prepare_secret`] for an oncelink server, with the passphrase left to the caller: stretch
/// it under [`PreparedSecret::passphrase_salt`] (wherever that runs) and add it with
/// [`PreparedSecret::with_passphrase`].
pub fn prepare_guarded(envelope: Envelope) -> Result<PreparedSecret, Error> {
    PreparedSecret::fresh(envelope.pack_padded()?, Some(ManageToken::generate()?))
}

impl PreparedSecret {
    /// A fresh master key and id around a packed plaintext (both `prepare_*` make them here).
    fn fresh(plaintext: Zeroizing<Vec<u8>>, manage: Option<ManageToken>) -> Result<Self, Error> {
        Ok(PreparedSecret {
            key: MasterKey::generate()?,
            id: SecretId::generate()?,
            stretched: None,
            manage,
            plaintext,
        })
    }

    /// The salt a passphrase for this secret is stretched under.
    pub fn passphrase_salt(&self) -> PassphraseSalt {
        self.key.passphrase_salt()
    }

    /// Protects the secret with a passphrase stretched under [`PreparedSecret::passphrase_salt`]
    /// (one stretched under another salt would make the secret unopenable).
    pub fn with_passphrase(mut self, stretched: StretchedPassphrase) -> Self {
        self.stretched = Some(stretched);
        self
    }

    /// The bytes that will be encrypted (the packed, possibly padded envelope).
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    /// Encrypts with the pure-Rust cipher.
    pub fn seal(self) -> Result<SealedSecret, Error> {
        let payload = crate::seal_with(
            &self.key,
            self.stretched.as_ref(),
            &self.id,
            &self.plaintext,
        )?;
        Ok(self.finish(payload))
    }

    /// Encrypts through [`crate::bulk`]: WebCrypto's AES-GCM where the page has it, the
    /// pure-Rust cipher elsewhere. Same bytes format as [`PreparedSecret::seal`].
    pub async fn seal_bulk(self) -> Result<SealedSecret, Error> {
        let payload = crate::bulk::seal_with(
            &self.key,
            self.stretched.as_ref(),
            &self.id,
            &self.plaintext,
        )
        .await?;
        Ok(self.finish(payload))
    }

    fn finish(self, payload: Vec<u8>) -> SealedSecret {
        SealedSecret {
            upload: Upload {
                id: self.id,
                payload,
                guard: self.manage.as_ref().map(|manage| Guard {
                    access_verifier: self.key.access_proof().verifier(),
                    passphrase_verifier: self.stretched.as_ref().map(|s| s.proof().verifier()),
                    manage_verifier: manage.proof().verifier(),
                }),
            },
            keys: SenderKeys {
                key: self.key,
                manage: self.manage,
            },
        }
        // `plaintext` is dropped (and zeroized) here.
    }
}

/// A sealed secret: what goes to the server, and what the sender keeps for the links.
pub struct SealedSecret {
    /// Everything the create request carries.
    pub upload: Upload,
    /// The master key and manage token, kept until the server has named the secret.
    pub keys: SenderKeys,
}

/// The parts of a new secret the server receives: nothing here decrypts or proves anything.
pub struct Upload {
    /// The secret id (the AES-GCM associated data).
    pub id: SecretId,
    /// The encrypted payload.
    pub payload: Vec<u8>,
    /// The verifiers of a [`Protection::Guarded`] secret; `None` for a reference server.
    pub guard: Option<Guard>,
}

/// What an oncelink server stores to check proofs: hashes of proofs, useless to present.
pub struct Guard {
    /// SHA-256 of the access proof: reveals must prove they hold the link's key.
    pub access_verifier: Verifier,
    /// SHA-256 of the passphrase proof, when there is a passphrase.
    pub passphrase_verifier: Option<Verifier>,
    /// SHA-256 of the manage proof: enables status and destroy.
    pub manage_verifier: Verifier,
}

/// The sender's secrets for one new secret. Neither `Clone` nor printable: they leave only
/// inside the links.
pub struct SenderKeys {
    pub(crate) key: MasterKey,
    manage: Option<ManageToken>,
}

impl SenderKeys {
    /// The share link and (for a guarded secret) the manage link, once the server has given
    /// the secret its `alias`.
    pub fn into_links(self, base: &str, alias: Alias, lang: Option<&str>) -> Links {
        let manage = self
            .manage
            .map(|token| ManageLink::new(base, alias.clone(), lang, token));
        Links {
            share: Link::new(base, SecretRef::Alias(alias), lang, self.key),
            manage,
        }
    }
}

impl std::fmt::Debug for SenderKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SenderKeys(***)")
    }
}

/// The links of a new secret.
#[derive(Debug)]
pub struct Links {
    /// For the recipient: `{origin}/s/{alias}?lng={lang}#{key}`.
    pub share: Link,
    /// For the sender only: `{origin}/m/{alias}?lng={lang}#{token}`; `None` for a reference
    /// server, which has no manage endpoints.
    pub manage: Option<ManageLink>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Proof;

    fn alias() -> Alias {
        Alias::parse("Kx7mP2nQ").unwrap()
    }

    #[test]
    fn protection_never_prints_the_passphrase() {
        let debug = format!(
            "{:?}",
            Protection::Guarded {
                passphrase: Some("hunter2")
            }
        );
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn guarded_secrets_open_through_their_links() {
        let prepared = prepare_secret(
            Envelope::text_only("hi"),
            Protection::Guarded { passphrase: None },
        )
        .unwrap();
        assert_eq!(prepared.plaintext().len(), 1024 - 64, "padded");
        let SealedSecret { upload, keys } = prepared.seal().unwrap();
        assert_eq!(upload.payload[0], 0x01);
        let guard = upload.guard.as_ref().unwrap();
        assert!(guard.passphrase_verifier.is_none());
        let links = keys.into_links("https://e.com", alias(), Some("es"));
        let share = Link::parse(&links.share.to_url()).unwrap();
        let manage = ManageLink::parse(&links.manage.unwrap().to_url()).unwrap();
        assert_eq!(manage.alias(), &alias());
        assert_eq!(manage.lang(), Some("es"));
        let proof = Proof::from_base64url(&share.key().access_proof().to_base64url()).unwrap();
        assert_eq!(guard.access_verifier, proof.verifier());
        assert_eq!(guard.manage_verifier, manage.token().proof().verifier());
        let opened = crate::open(share.key(), &upload.id, &upload.payload).unwrap();
        assert_eq!(Envelope::unpack(&opened).unwrap().text(), "hi");
    }

    #[test]
    fn passphrases_change_the_version_and_add_a_verifier() {
        let SealedSecret { upload, keys } = prepare_secret(
            Envelope::text_only("secret"),
            Protection::Guarded {
                passphrase: Some("tell by phone"),
            },
        )
        .unwrap()
        .seal()
        .unwrap();
        assert_eq!(upload.payload[0], 0x10);
        let links = keys.into_links("https://e.com", alias(), None);
        let stretched = links
            .share
            .key()
            .stretch_passphrase("tell by phone")
            .unwrap();
        assert_eq!(
            upload.guard.as_ref().unwrap().passphrase_verifier,
            Some(stretched.proof().verifier())
        );
        let opened = crate::open_with(
            links.share.key(),
            Some(&stretched),
            &upload.id,
            &upload.payload,
        )
        .unwrap();
        assert_eq!(Envelope::unpack(&opened).unwrap().text(), "secret");
    }

    /// The two-step path (the web app stretches in a chunk of its own) makes the same kind of
    /// secret as `prepare_secret`: the recipient's key stretches the passphrase to the same
    /// verifier and opens it, and the salt is the key's.
    #[test]
    fn a_passphrase_stretched_apart_protects_the_same_way() {
        let prepared = prepare_guarded(Envelope::text_only("apart")).unwrap();
        let stretched = prepared.passphrase_salt().stretch("tell by phone").unwrap();
        let SealedSecret { upload, keys } = prepared.with_passphrase(stretched).seal().unwrap();
        assert_eq!(upload.payload[0], 0x10);
        let links = keys.into_links("https://e.com", alias(), None);
        let key = links.share.key();
        let by_recipient = key.stretch_passphrase("tell by phone").unwrap();
        let guard = upload.guard.as_ref().unwrap();
        assert_eq!(
            guard.passphrase_verifier,
            Some(by_recipient.proof().verifier())
        );
        assert!(crate::open_with(key, None, &upload.id, &upload.payload).is_err());
        let opened = crate::open_with(key, Some(&by_recipient), &upload.id, &upload.payload);
        assert_eq!(Envelope::unpack(&opened.unwrap()).unwrap().text(), "apart");
        // Without a passphrase it is an ordinary guarded secret.
        let plain = prepare_guarded(Envelope::text_only("x"))
            .unwrap()
            .seal()
            .unwrap();
        assert_eq!(plain.upload.payload[0], 0x01);
        assert!(plain.upload.guard.unwrap().passphrase_verifier.is_none());
        assert_eq!(
            format!("{:?}", key.passphrase_salt()),
            "PassphraseSalt(***)"
        );
    }

    #[test]
    fn reference_secrets_are_the_reference_format() {
        let prepared = prepare_secret(Envelope::text_only("plain"), Protection::Reference).unwrap();
        assert_eq!(prepared.plaintext(), b"\x00plain", "not padded");
        let SealedSecret { upload, keys } = prepared.seal().unwrap();
        assert_eq!(upload.payload[0], 0x01);
        assert!(upload.guard.is_none());
        let links = keys.into_links("https://e.com", alias(), None);
        assert!(links.manage.is_none());
    }

    #[test]
    fn the_bulk_seal_opens_the_same_way() {
        use std::pin::pin;
        use std::task::{Context, Poll, Waker};
        let prepared = prepare_secret(
            Envelope::text_only("bulk"),
            Protection::Guarded { passphrase: None },
        )
        .unwrap();
        // Natively the bulk future is ready at once.
        let Poll::Ready(sealed) =
            pin!(prepared.seal_bulk()).poll(&mut Context::from_waker(Waker::noop()))
        else {
            panic!("a native bulk future was not ready");
        };
        let SealedSecret { upload, keys } = sealed.unwrap();
        let links = keys.into_links("https://e.com", alias(), None);
        let opened = crate::open(links.share.key(), &upload.id, &upload.payload).unwrap();
        assert_eq!(Envelope::unpack(&opened).unwrap().text(), "bulk");
    }
}
