//! Where the wire-format vectors and image fixtures are.
//!
//! The repository's own set (`fixtures/`, made by `fixtures/generate.py`) is always there
//! and always runs. The shared set beside the project (`../shared`, or the directory named
//! by `ONCELINK_SHARED_DIR`) runs too when it exists; `ONCELINK_SHARED_DIR=none` (or empty)
//! leaves it out. A root that is used must hold its vectors and images: a missing or empty
//! one fails the test instead of letting it pass over zero cases.

use std::path::{Path, PathBuf};

/// Whose vectors and images a root holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `fixtures/` in this repository.
    Repository,
    /// The shared directory beside the project.
    Shared,
}

/// One set of wire-format vectors and image fixtures.
#[derive(Debug, Clone)]
pub struct FixtureRoot {
    origin: Origin,
    vectors: PathBuf,
    images: PathBuf,
}

impl FixtureRoot {
    /// Checks that `vectors` is a non-empty file and `images` a directory with files in it.
    fn checked(origin: Origin, vectors: PathBuf, images: PathBuf) -> Self {
        let root = Self {
            origin,
            vectors,
            images,
        };
        let size = std::fs::metadata(&root.vectors).map(|m| m.len());
        assert!(
            matches!(size, Ok(n) if n > 0),
            "{}: no vectors at {} ({size:?})",
            root.name(),
            root.vectors.display()
        );
        let images = std::fs::read_dir(&root.images).map(|dir| dir.count());
        assert!(
            matches!(images, Ok(n) if n > 0),
            "{}: no images in {} ({images:?})",
            root.name(),
            root.images.display()
        );
        root
    }

    /// Whose fixtures these are.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// "repository" or "shared", for failure messages.
    pub fn name(&self) -> &'static str {
        match self.origin {
            Origin::Repository => "repository",
            Origin::Shared => "shared",
        }
    }

    /// The path of `wire-format.json`.
    pub fn vectors(&self) -> &Path {
        &self.vectors
    }

    /// The text of `wire-format.json`.
    pub fn vectors_json(&self) -> String {
        std::fs::read_to_string(&self.vectors)
            .unwrap_or_else(|e| panic!("{}: {}: {e}", self.name(), self.vectors.display()))
    }

    /// The path of the image fixture `name`.
    pub fn image(&self, name: &str) -> PathBuf {
        self.images.join(name)
    }

    /// The bytes of the image fixture `name`.
    pub fn image_bytes(&self, name: &str) -> Vec<u8> {
        let path = self.image(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {}: {e}", self.name(), path.display()))
    }
}

/// The workspace root (this crate's parent directory).
fn workspace() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The repository's own vectors and images; always present.
pub fn repository_fixtures() -> FixtureRoot {
    let dir = workspace().join("fixtures");
    FixtureRoot::checked(
        Origin::Repository,
        dir.join("vectors/wire-format.json"),
        dir.join("images"),
    )
}

/// The text of the repository's file-data vectors (`fixtures/vectors/file-streams.json`,
/// made by `fixtures/streams.py`; the shared set has none).
pub fn file_stream_vectors_json() -> String {
    let path = workspace().join("fixtures/vectors/file-streams.json");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shared vectors and images, when they are there.
pub fn shared_fixtures() -> Option<FixtureRoot> {
    let setting = std::env::var("ONCELINK_SHARED_DIR").ok();
    shared_from(setting.as_deref(), &workspace().join("../shared"))
}

/// `ONCELINK_SHARED_DIR` if set (`none` or empty: no shared root), else `default`; a
/// directory that does not exist is no shared root, one that exists must be complete.
fn shared_from(setting: Option<&str>, default: &Path) -> Option<FixtureRoot> {
    let dir = match setting {
        Some("" | "none") => return None,
        Some(dir) => PathBuf::from(dir),
        None => default.to_path_buf(),
    };
    if !dir.is_dir() {
        eprintln!(
            "no shared fixtures at {}: running the repository's only",
            dir.display()
        );
        return None;
    }
    Some(FixtureRoot::checked(
        Origin::Shared,
        dir.join("vectors/wire-format.json"),
        dir.join("fixtures/images"),
    ))
}

/// Every root to run: the repository's first, then the shared one if present.
pub fn fixture_roots() -> Vec<FixtureRoot> {
    let mut roots = vec![repository_fixtures()];
    roots.extend(shared_fixtures());
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> crate::TempDir {
        crate::TempDir::new("testkit-fixtures", name)
    }

    #[test]
    fn the_repository_root_is_complete() {
        let root = repository_fixtures();
        assert_eq!(root.origin(), Origin::Repository);
        assert!(root.vectors_json().contains("\"invalid\""));
        assert!(!root.image_bytes("gps-camera.jpg").is_empty());
    }

    #[test]
    fn none_or_a_missing_directory_means_no_shared_root() {
        let present = scratch("present");
        assert!(shared_from(Some("none"), &present).is_none());
        assert!(shared_from(Some(""), &present).is_none());
        let missing = present.join("missing");
        assert!(shared_from(Some(missing.to_str().unwrap()), &present).is_none());
        assert!(shared_from(None, &missing).is_none());
    }

    #[test]
    fn a_complete_shared_directory_is_used() {
        let dir = scratch("complete");
        std::fs::create_dir_all(dir.join("vectors")).unwrap();
        std::fs::create_dir_all(dir.join("fixtures/images")).unwrap();
        std::fs::write(dir.join("vectors/wire-format.json"), "{}").unwrap();
        std::fs::write(dir.join("fixtures/images/a.png"), "x").unwrap();
        let root = shared_from(None, &dir).unwrap();
        assert_eq!(root.origin(), Origin::Shared);
        assert_eq!(root.image("a.png"), dir.join("fixtures/images/a.png"));
    }

    #[test]
    #[should_panic(expected = "no vectors")]
    fn a_shared_directory_without_vectors_fails() {
        let dir = scratch("empty");
        shared_from(Some(dir.to_str().unwrap()), &dir);
    }

    #[test]
    #[should_panic(expected = "no images")]
    fn a_shared_directory_without_images_fails() {
        let dir = scratch("no-images");
        std::fs::create_dir_all(dir.join("vectors")).unwrap();
        std::fs::create_dir_all(dir.join("fixtures/images")).unwrap();
        std::fs::write(dir.join("vectors/wire-format.json"), "{}").unwrap();
        shared_from(Some(dir.to_str().unwrap()), &dir);
    }
}
