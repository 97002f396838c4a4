//! The only place the UI touches `crypto-core`: sealing a new secret and opening one.

use crypto_core::{Alias, Envelope, Image, Link, MasterKey, SecretId, SecretRef};
use image_privacy::ImageType;

/// A secret encrypted in the browser, ready to upload. The key never leaves this struct
/// except inside the link.
pub struct Sealed {
    /// The secret id (also the AES-GCM associated data).
    pub id: SecretId,
    /// The encrypted payload.
    pub payload: Vec<u8>,
    key: MasterKey,
}

impl Sealed {
    /// The share link for the alias the server gave: `{origin}/s/{alias}?lng={lang}#{key}`.
    pub fn link(self, origin: &str, alias: &str, lang: &str) -> Option<String> {
        let alias = Alias::parse(alias).ok()?;
        let link = Link::new(origin, SecretRef::Alias(alias), Some(lang), self.key);
        Some(link.to_url().to_string())
    }
}

/// Packs text and an optional image into an envelope and encrypts it under a fresh key
/// and id.
pub fn seal_new(
    text: &str,
    image: Option<(ImageType, &[u8])>,
) -> Result<Sealed, crypto_core::Error> {
    let envelope = match image {
        Some((kind, bytes)) => Envelope::with_image(text, Image::new(kind.mime(), bytes.to_vec())?),
        None => Envelope::text_only(text),
    };
    let key = MasterKey::generate()?;
    let id = SecretId::generate()?;
    let payload = crypto_core::seal(&key, &id, &envelope.pack()?)?;
    Ok(Sealed { id, payload, key })
}

/// Parses the key in a link's fragment.
pub fn parse_key(fragment: &str) -> Result<MasterKey, crypto_core::Error> {
    MasterKey::from_base64url(fragment)
}

/// What a recipient sees.
pub struct Opened {
    /// The text (possibly empty).
    pub text: String,
    /// The image, when there is one in a displayable format (checked by content).
    pub image: Option<(ImageType, Vec<u8>)>,
}

/// Decrypts and unpacks a payload.
pub fn open(key: &MasterKey, id: &str, payload: &[u8]) -> Result<Opened, crypto_core::Error> {
    let id = SecretId::parse(id)?;
    let envelope = Envelope::unpack(&crypto_core::open(key, &id, payload)?)?;
    let (text, image) = envelope.into_parts();
    // Show only JPEG, PNG, GIF and WebP, whatever type the sender declared.
    let image = image.and_then(|image| {
        let (_, bytes) = image.into_parts();
        image_privacy::sniff(&bytes).ok().map(|kind| (kind, bytes))
    });
    Ok(Opened { text, image })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_through_their_link() {
        let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
        let sealed = seal_new("hi", Some((ImageType::Png, &png))).unwrap();
        let (id, payload) = (sealed.id.clone(), sealed.payload.clone());
        let link = sealed
            .link("https://example.com", "Kx7mP2nQ", "ar")
            .unwrap();
        assert!(link.starts_with("https://example.com/s/Kx7mP2nQ?lng=ar#"));
        let key = parse_key(link.split('#').nth(1).unwrap()).unwrap();
        let opened = open(&key, id.as_str(), &payload).unwrap();
        assert_eq!(opened.text, "hi");
        assert_eq!(opened.image, Some((ImageType::Png, png)));
    }

    #[test]
    fn undisplayable_images_are_dropped() {
        let key = MasterKey::generate().unwrap();
        let id = SecretId::generate().unwrap();
        let svg = Envelope::with_image(
            "t",
            Image::new("image/svg+xml", b"<svg/>".to_vec()).unwrap(),
        );
        let payload = crypto_core::seal(&key, &id, &svg.pack().unwrap()).unwrap();
        let opened = open(&key, id.as_str(), &payload).unwrap();
        assert_eq!(opened.text, "t");
        assert!(opened.image.is_none());
    }

    #[test]
    fn wrong_key_is_an_authentication_error() {
        let sealed = seal_new("x", None).unwrap();
        let other = MasterKey::generate().unwrap();
        assert!(matches!(
            open(&other, sealed.id.as_str(), &sealed.payload),
            Err(crypto_core::Error::Authentication)
        ));
    }
}
