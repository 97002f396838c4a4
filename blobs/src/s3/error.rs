//! object_store's errors as the blob store's, with every id taken out of the detail: an
//! error's text names the object's key, and request errors name its URL.

use crate::BlobError;

/// NotFound and the refusals of a conditional write keep their meaning; anything else is the
/// store being unavailable, with a detail for the logs.
pub(super) fn blob_error(e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. } => {
            BlobError::Exists
        }
        other => unavailable(&other),
    }
}

/// The store failed: its detail, without ids.
pub(super) fn unavailable(e: &dyn std::fmt::Display) -> BlobError {
    BlobError::Unavailable(redact(&format!("object storage: {e}")))
}

/// A read that fails midway, as the stream of a download reports it.
pub(super) fn io_error(e: object_store::Error) -> std::io::Error {
    let kind = match e {
        object_store::Error::NotFound { .. } => std::io::ErrorKind::NotFound,
        _ => std::io::ErrorKind::Other,
    };
    std::io::Error::new(kind, redact(&format!("object storage: {e}")))
}

/// `text` with every UUID (8-4-4-4-12 hex digits, either case) replaced by `<id>`.
pub(super) fn redact(text: &str) -> String {
    const SHAPE: &[u8] = b"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    let bytes = text.as_bytes();
    let is_uuid = |at: usize| {
        bytes.get(at..at + SHAPE.len()).is_some_and(|window| {
            window.iter().zip(SHAPE).all(|(&b, &s)| {
                if s == b'-' {
                    b == b'-'
                } else {
                    b.is_ascii_hexdigit()
                }
            })
        })
    };
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        if is_uuid(at) {
            out.push_str(&text[start..at]);
            out.push_str("<id>");
            at += SHAPE.len();
            start = at;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_taken_out_of_details() {
        let text = "GET http://s3/b/p/uploads/0F8E2A3C-1b2c-4d5e-8f90-a1b2c3d4e5f6/upload.json: \
                    é 500 (0f8e2a3c-1b2c-4d5e-8f90-a1b2c3d4e5f6)";
        assert_eq!(
            redact(text),
            "GET http://s3/b/p/uploads/<id>/upload.json: é 500 (<id>)"
        );
        assert_eq!(redact("no ids, 1234-5678"), "no ids, 1234-5678");
    }
}
