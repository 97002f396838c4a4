//! The only place the UI touches `crypto-core`: sealing a new secret, deriving the proofs
//! a reveal needs, and opening a secret.

use crypto_core::{
    Alias, Envelope, Image, ManageToken, MasterKey, PassphraseSalt, SealedSecret, SecretId,
    SenderKeys, StretchedPassphrase,
};
use image_privacy::{ImageError, ImageType};
use leptos::prelude::{lazy, lazy_preload};
use zeroize::Zeroizing;

pub mod files;
pub mod requests;

/// A secret encrypted in the browser, ready to upload. The key and manage token leave this
/// struct only inside the links.
pub struct Sealed {
    /// The secret id (also the AES-GCM associated data).
    pub id: SecretId,
    /// The encrypted, padded payload.
    pub payload: Vec<u8>,
    /// SHA-256 of the access proof (base64url), for the server.
    pub access_verifier: String,
    /// SHA-256 of the passphrase proof, when there is a passphrase.
    pub passphrase_verifier: Option<String>,
    /// SHA-256 of the manage token, for the server.
    pub manage_verifier: String,
    keys: SenderKeys,
}

/// The two links of a created secret.
pub struct Links {
    /// For the recipient: `{origin}/s/{alias}?lng={lang}#{key}`.
    pub share: String,
    /// For the sender only: `{origin}/m/{alias}?lng={lang}#{manage token}`.
    pub manage: String,
}

impl Sealed {
    /// The links for the alias the server gave (both built by `crypto-core`, like the CLI's).
    pub fn links(self, origin: &str, alias: &str, lang: &str) -> Option<Links> {
        let alias = Alias::parse(alias).ok()?;
        let links = self.keys.into_links(origin, alias, Some(lang));
        Some(Links {
            share: links.share.to_url().to_string(),
            manage: links.manage?.to_url().to_string(),
        })
    }
}

/// What a new secret holds besides its text.
pub enum Attached<'a> {
    /// Nothing.
    Nothing,
    /// One image, inside the payload.
    Image(ImageType, &'a [u8]),
    /// Files, whose data is uploaded apart ([`files::SealedData`]); their entries go into
    /// the sealed manifest.
    Files(Vec<files::FileEntry>),
}

/// Packs text and what is attached into a padded envelope and encrypts it under a fresh
/// key and id (and the passphrase, if given), with `crypto_core::prepare_secret` exactly as
/// the CLI does. The AES-GCM step runs in WebCrypto where the page has it
/// (`crypto_core::bulk`).
pub async fn seal_new(
    text: &str,
    attached: Attached<'_>,
    passphrase: Option<&str>,
) -> Result<Sealed, crypto_core::Error> {
    let envelope = match attached {
        Attached::Image(kind, bytes) => {
            Envelope::with_image(text, Image::new(kind.mime(), bytes.to_vec())?)
        }
        Attached::Files(files) => Envelope::with_files(text, files),
        Attached::Nothing => Envelope::text_only(text),
    };
    let mut prepared = crypto_core::prepare_guarded(envelope)?;
    if let Some(passphrase) = passphrase {
        let stretched = stretch(
            prepared.passphrase_salt(),
            Zeroizing::new(passphrase.to_owned()),
        )
        .await?;
        prepared = prepared.with_passphrase(stretched);
    }
    let SealedSecret { upload, keys } = prepared.seal_bulk().await?;
    let guard = upload
        .guard
        .expect("Protection::Guarded always yields a guard (crypto-core invariant)");
    Ok(Sealed {
        id: upload.id,
        payload: upload.payload,
        access_verifier: guard.access_verifier.to_base64url(),
        passphrase_verifier: guard.passphrase_verifier.map(|v| v.to_base64url()),
        manage_verifier: guard.manage_verifier.to_base64url(),
        keys,
    })
}

/// Parses the key in a link's fragment.
pub fn parse_key(fragment: &str) -> Result<MasterKey, crypto_core::Error> {
    MasterKey::from_base64url(fragment)
}

/// Parses the manage token in a manage link's fragment; returns it as the proof to send.
pub fn manage_proof(fragment: &str) -> Result<String, crypto_core::Error> {
    ManageToken::from_base64url(fragment).map(|t| t.proof().to_base64url())
}

/// What a reveal sends: the access proof, and for a passphrase the proof and the stretched
/// passphrase kept for decryption.
pub struct RevealProofs {
    /// Access proof (base64url).
    pub access: String,
    /// Passphrase proof (base64url), if a passphrase was given.
    pub passphrase: Option<String>,
    /// The stretched passphrase, for decryption.
    pub stretched: Option<StretchedPassphrase>,
    /// This reveal's claim (random, base64url): sent again on a retry, it gets the same view.
    pub claim: String,
}

/// Derives the proofs for a reveal. With a passphrase this runs Argon2id (slow on purpose).
pub async fn reveal_proofs(
    key: &MasterKey,
    passphrase: Option<&str>,
) -> Result<RevealProofs, crypto_core::Error> {
    let stretched = match passphrase {
        Some(passphrase) => {
            Some(stretch(key.passphrase_salt(), Zeroizing::new(passphrase.to_owned())).await?)
        }
        None => None,
    };
    Ok(RevealProofs {
        access: key.access_proof().to_base64url(),
        passphrase: stretched.as_ref().map(|s| s.proof().to_base64url()),
        stretched,
        claim: crypto_core::Proof::generate()?.to_base64url(),
    })
}

/// Argon2id, in a WASM chunk of its own: only pages that use a passphrase download it.
#[lazy]
fn stretch(
    salt: PassphraseSalt,
    passphrase: Zeroizing<String>,
) -> Result<StretchedPassphrase, crypto_core::Error> {
    salt.stretch(&passphrase)
}

/// Fetches the passphrase code (call when the browser is idle on a page that may need it).
pub fn prefetch_passphrase() {
    let _loaded = lazy_preload!(stretch);
}

/// What a recipient sees.
pub struct Opened {
    /// The text (possibly empty).
    pub text: String,
    /// The image, if the envelope holds one: refused unless it is a JPEG, PNG, GIF or WebP
    /// by content whose headers declare dimensions within the sender's limits
    /// ([`image_privacy::inspect`]), so that no decoder sees anything larger.
    pub image: Option<Result<(ImageType, Vec<u8>), ImageError>>,
    /// The files' manifest (their data is downloaded apart).
    pub files: Vec<files::FileEntry>,
}

/// Decrypts and unpacks a payload (AES-GCM in WebCrypto where the page has it).
pub async fn open(
    key: &MasterKey,
    passphrase: Option<&StretchedPassphrase>,
    id: &str,
    payload: &[u8],
) -> Result<Opened, crypto_core::Error> {
    let id = SecretId::parse(id)?;
    let plaintext = crypto_core::bulk::open_with(key, passphrase, &id, payload).await?;
    let envelope = Envelope::unpack(&plaintext)?;
    let files = envelope
        .files()
        .iter()
        .map(files::FileEntry::duplicate)
        .collect();
    let (text, image) = envelope.into_parts();
    // Whatever type the sender declared: a hand-made envelope can carry anything.
    let image = image.map(|image| {
        let (_, bytes) = image.into_parts();
        image_privacy::inspect(&bytes).map(|declared| (declared.kind, bytes))
    });
    Ok(Opened { text, image, files })
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// Natively the crypto futures are ready at once: poll one time.
    fn now<F: Future>(future: F) -> F::Output {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("a native crypto future was not ready"),
        }
    }

    /// A PNG signature and IHDR (8-bit RGB) declaring the given size; the checksum is not
    /// read before decoding.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        [
            &b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"[..],
            &width.to_be_bytes(),
            &height.to_be_bytes(),
            &[8, 2, 0, 0, 0, 0, 0, 0, 0],
        ]
        .concat()
    }

    fn open_envelope(envelope: &Envelope) -> Opened {
        let key = MasterKey::generate().unwrap();
        let id = SecretId::generate().unwrap();
        let payload = crypto_core::seal(&key, &id, &envelope.pack().unwrap()).unwrap();
        now(open(&key, None, id.as_str(), &payload)).unwrap()
    }

    #[test]
    fn sealed_secrets_open_through_their_link() {
        let png = png_header(640, 480);
        let sealed = now(seal_new("hi", Attached::Image(ImageType::Png, &png), None)).unwrap();
        let (id, payload) = (sealed.id.clone(), sealed.payload.clone());
        assert_eq!(payload.len(), 1024 - 64 + 29, "padded to the first bucket");
        let access_verifier = sealed.access_verifier.clone();
        let links = sealed
            .links("https://example.com", "Kx7mP2nQ", "ar")
            .unwrap();
        assert!(
            links
                .share
                .starts_with("https://example.com/s/Kx7mP2nQ?lng=ar#")
        );
        assert!(
            links
                .manage
                .starts_with("https://example.com/m/Kx7mP2nQ?lng=ar#")
        );
        let key = parse_key(links.share.split('#').nth(1).unwrap()).unwrap();
        let proofs = now(reveal_proofs(&key, None)).unwrap();
        let presented = crypto_core::Proof::from_base64url(&proofs.access).unwrap();
        assert_eq!(presented.verifier().to_base64url(), access_verifier);
        let opened = now(open(&key, None, id.as_str(), &payload)).unwrap();
        assert_eq!(opened.text, "hi");
        assert_eq!(opened.image, Some(Ok((ImageType::Png, png))));
        // The manage token is not derivable from the share link.
        assert_ne!(
            links.manage.split('#').nth(1),
            links.share.split('#').nth(1)
        );
    }

    #[test]
    fn passphrase_secrets_need_the_passphrase() {
        let sealed = now(seal_new("secret", Attached::Nothing, Some("tell by phone"))).unwrap();
        let verifier = sealed.passphrase_verifier.clone().unwrap();
        let (id, payload) = (sealed.id.clone(), sealed.payload.clone());
        let links = sealed.links("https://e.com", "AbCd1234", "en").unwrap();
        let key = parse_key(links.share.split('#').nth(1).unwrap()).unwrap();
        assert!(matches!(
            now(open(&key, None, id.as_str(), &payload)),
            Err(crypto_core::Error::PassphraseRequired)
        ));
        let wrong = now(reveal_proofs(&key, Some("tell by fax"))).unwrap();
        let wrong_verifier =
            crypto_core::Proof::from_base64url(wrong.passphrase.as_deref().unwrap())
                .unwrap()
                .verifier();
        assert_ne!(wrong_verifier.to_base64url(), verifier);
        let right = now(reveal_proofs(&key, Some("tell by phone"))).unwrap();
        let right_verifier =
            crypto_core::Proof::from_base64url(right.passphrase.as_deref().unwrap())
                .unwrap()
                .verifier();
        assert_eq!(right_verifier.to_base64url(), verifier);
        assert_eq!(
            now(open(&key, right.stretched.as_ref(), id.as_str(), &payload))
                .unwrap()
                .text,
            "secret"
        );
    }

    #[test]
    fn undisplayable_images_are_refused_and_the_text_kept() {
        let svg = Image::new("image/svg+xml", b"<svg/>".to_vec()).unwrap();
        let opened = open_envelope(&Envelope::with_image("t", svg));
        assert_eq!(opened.text, "t");
        assert_eq!(opened.image, Some(Err(ImageError::Svg)));
    }

    #[test]
    fn images_declaring_too_many_pixels_are_refused_before_decoding() {
        // Declared as a PNG, recognised as a PNG by its first bytes: only the header tells.
        let bomb = Image::new("image/png", png_header(65_535, 65_535)).unwrap();
        let opened = open_envelope(&Envelope::with_image("t", bomb));
        assert_eq!(opened.text, "t");
        assert_eq!(opened.image, Some(Err(ImageError::TooManyPixels)));
        assert_eq!(open_envelope(&Envelope::text_only("t")).image, None);
    }
}
