//! Where each thing lives in the bucket, under the configured prefix.
//!
//! ```text
//! {prefix}/uploads/{id}/upload.json           the upload: its `Upload`, the S3 multipart upload's
//!                                             id and this attempt's tag (written by begin)
//! {prefix}/uploads/{id}/{tag}/parts/{n}       the ETag S3 gave part n (written once the part is in)
//! {prefix}/uploads/{id}/{tag}/outcome         `finish` or `abort`: who took the upload
//! {prefix}/blobs/{id}                         the finished blob: the completed multipart upload
//! {prefix}/blobs/{id}.json                    the `Upload` it was made from (for `finished`)
//! {prefix}/probe/{random}                     a moment's object, to learn if the store honours
//!                                             conditional writes
//! ```
//!
//! The tag is random per begin, so whatever an earlier, aborted upload of the same id left
//! behind (a part's ETag written after the abort) is never mistaken for this upload's.

use object_store::path::Path;

use crate::SecretId;

/// The key layout, rooted at the prefix.
#[derive(Clone, Debug)]
pub(super) struct Keys {
    root: Path,
}

impl Keys {
    /// Empty segments are dropped, so `oncelink`, `oncelink/` and `/oncelink/` are one prefix.
    pub(super) fn new(prefix: &str) -> Self {
        Self {
            root: Path::from(prefix),
        }
    }

    // Ids are named in lowercase, so two spellings of one UUID are one key.
    fn name(id: &SecretId) -> String {
        id.as_str().to_ascii_lowercase()
    }

    pub(super) fn uploads(&self) -> Path {
        self.root.clone().join("uploads")
    }

    pub(super) fn upload_dir(&self, id: &SecretId) -> Path {
        self.uploads().join(Self::name(id))
    }

    pub(super) fn upload(&self, id: &SecretId) -> Path {
        self.upload_dir(id).join("upload.json")
    }

    pub(super) fn parts(&self, id: &SecretId, tag: &str) -> Path {
        self.upload_dir(id).join(tag).join("parts")
    }

    pub(super) fn part(&self, id: &SecretId, tag: &str, n: u64) -> Path {
        self.parts(id, tag).join(n.to_string())
    }

    pub(super) fn outcome(&self, id: &SecretId, tag: &str) -> Path {
        self.upload_dir(id).join(tag).join("outcome")
    }

    pub(super) fn blobs(&self) -> Path {
        self.root.clone().join("blobs")
    }

    pub(super) fn blob(&self, id: &SecretId) -> Path {
        self.blobs().join(Self::name(id))
    }

    pub(super) fn blob_meta(&self, id: &SecretId) -> Path {
        self.blobs().join(format!("{}.json", Self::name(id)))
    }

    pub(super) fn probe(&self, tag: &str) -> Path {
        self.root.clone().join("probe").join(tag)
    }
}

/// The secret a listed blob key (`{id}` or `{id}.json`) belongs to, and whether it is the data.
pub(super) fn listed_blob(name: &str) -> Option<(SecretId, bool)> {
    match name.strip_suffix(".json") {
        Some(id) => Some((SecretId::parse(id).ok()?, false)),
        None => Some((SecretId::parse(name).ok()?, true)),
    }
}
