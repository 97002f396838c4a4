use crate::Error;

/// Fills `buf` from the OS (native) or `crypto.getRandomValues` (browser).
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|_| Error::Randomness)
}
