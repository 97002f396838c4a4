use thiserror::Error;

/// Everything that can go wrong while handling the wire format.
///
/// Messages never contain key material or plaintext.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The payload is not `version | IV | ciphertext + tag` (too short, or not base64).
    #[error("the encrypted payload is malformed")]
    Format,
    /// The payload's version byte is not one this build understands.
    #[error("the encrypted payload has an unknown version ({0:#04x})")]
    UnknownVersion(u8),
    /// Decryption failed: wrong key, wrong secret id, or a tampered payload.
    /// Deliberately opaque.
    #[error("the secret could not be decrypted: the link is damaged or the data was altered")]
    Authentication,
    /// The master key is missing, not base64url, or not 256 bits.
    #[error("the key is missing or malformed")]
    Key,
    /// The decrypted envelope is not a valid text or text-and-image envelope.
    #[error("the decrypted content is malformed: {0}")]
    Envelope(&'static str),
    /// The secret id is not a UUID, or the alias is not 8 base62 characters.
    #[error("the secret id or alias is malformed")]
    Id,
    /// The link is not of the form `{origin}/s/{alias}?lng={lang}#{key}`.
    #[error("the link is malformed: {0}")]
    Link(&'static str),
    /// The operating system or browser could not provide random bytes.
    #[error("no secure random numbers are available")]
    Randomness,
    /// The payload is protected by a passphrase and none was given.
    #[error("this secret needs a passphrase")]
    PassphraseRequired,
    /// A file's data stream is cut short, too long, or not laid out as its size says.
    #[error("the file data is malformed: {0}")]
    FileData(&'static str),
}

/// The kind of an [`Error`], without details; useful for mapping to messages and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::Format`].
    Format,
    /// See [`Error::UnknownVersion`].
    Version,
    /// See [`Error::Authentication`].
    Authentication,
    /// See [`Error::Key`].
    Key,
    /// See [`Error::Envelope`].
    Envelope,
    /// See [`Error::Id`].
    Id,
    /// See [`Error::Link`].
    Link,
    /// See [`Error::Randomness`].
    Randomness,
    /// See [`Error::PassphraseRequired`].
    PassphraseRequired,
    /// See [`Error::FileData`].
    FileData,
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Format => ErrorKind::Format,
            Error::UnknownVersion(_) => ErrorKind::Version,
            Error::Authentication => ErrorKind::Authentication,
            Error::Key => ErrorKind::Key,
            Error::Envelope(_) => ErrorKind::Envelope,
            Error::Id => ErrorKind::Id,
            Error::Link(_) => ErrorKind::Link,
            Error::Randomness => ErrorKind::Randomness,
            Error::PassphraseRequired => ErrorKind::PassphraseRequired,
            Error::FileData(_) => ErrorKind::FileData,
        }
    }
}
