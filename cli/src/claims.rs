//! The claim of a view being opened, kept on disk until everything has arrived: run `open`
//! again after a failure (a cut download, a full disk) and it asks for the same view with the
//! same claim, inside the server's claim window, instead of spending a new one. The claim alone
//! opens nothing (a reveal also needs the link's key); the file is private (0600) and removed
//! once the secret is opened.

use std::path::PathBuf;

/// `$XDG_STATE_HOME/oncelink/claims`, else `~/.local/state/oncelink/claims`.
fn dir() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("oncelink").join("claims"))
}

/// The file of the claim on a view of `alias` at the server `base`.
fn path(base: &str, alias: &str) -> Option<PathBuf> {
    // Named by a hash of the server and alias, so the directory does not list which secrets
    // were opened (`DefaultHasher::new` is the same in every run).
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::hash::DefaultHasher::new();
    (base, alias).hash(&mut hasher);
    Some(dir()?.join(format!("{:016x}", hasher.finish())))
}

/// The claim kept for this view, if an earlier run left one.
pub fn load(base: &str, alias: &str) -> Option<String> {
    let text = std::fs::read_to_string(path(base, alias)?).ok()?;
    let claim = text.trim();
    crypto_core::Proof::from_base64url(claim).ok()?;
    Some(claim.to_owned())
}

/// Keeps `claim` until [`forget`]; best effort (without it, a rerun simply makes a new claim).
pub fn save(base: &str, alias: &str, claim: &str) {
    let Some(path) = path(base, alias) else {
        return;
    };
    if let Some(parent) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        if builder.create(parent).is_err() {
            return;
        }
    }
    let _ = std::fs::remove_file(&path);
    if let Ok(mut file) = crate::files::create_new(&path) {
        let _ = std::io::Write::write_all(&mut file, claim.as_bytes());
    }
}

/// The view is opened (or gone for good): the claim is of no more use.
pub fn forget(base: &str, alias: &str) {
    if let Some(path) = path(base, alias) {
        let _ = std::fs::remove_file(path);
    }
}
