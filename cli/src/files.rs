//! Files the CLI writes: always created readable by the owner only (0600), and, for an
//! opened image, checked *before* the reveal — once revealed, a secret cannot be fetched
//! again, so a place to put it must exist first.

use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// Open options for a new private file (0600 on Unix; elsewhere the platform's default).
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Creates `path`, which must not exist yet (never an existing file or link), readable by
/// the owner only.
pub fn create_new(path: &Path) -> std::io::Result<File> {
    private(OpenOptions::new().write(true).create_new(true)).open(path)
}

/// Where an opened image goes, chosen and checked before the reveal.
pub enum ImageTarget {
    /// `-o -`: stdout, which is not a terminal.
    Stdout,
    /// `-o FILE`, already open for writing.
    File {
        /// The path given.
        path: PathBuf,
        /// The open file.
        file: File,
        /// Made by us (removed again if the secret has no image); false for `--force` on an
        /// existing file, which is left as it was.
        created: bool,
    },
    /// `oncelink-{alias}.{ext}` in the current directory, which accepted a new file.
    CurrentDir {
        /// Names the file.
        alias: String,
    },
}

/// Where an image ended up.
pub enum Saved {
    /// Written to stdout.
    Stdout,
    /// Written where asked, or under the default name.
    File(PathBuf),
    /// The chosen place failed after the reveal; the image is in a private temporary file.
    Fallback {
        /// What failed, for the message.
        failure: String,
        /// Where the image is.
        path: PathBuf,
    },
}

impl ImageTarget {
    /// Picks and checks the image's destination; nothing is revealed yet, so any failure
    /// here consumes nothing.
    pub fn prepare(output: Option<&Path>, force: bool, alias: &str) -> Result<Self, CliError> {
        let before = |path: &Path, e: std::io::Error| {
            CliError::Io(format!(
                "cannot write {}: {e}; nothing was opened",
                path.display()
            ))
        };
        match output {
            Some(path) if path.as_os_str() == "-" => {
                if std::io::stdout().is_terminal() {
                    return Err(CliError::Input(
                        "refusing to write an image to the terminal: use -o FILE or redirect \
                         stdout"
                            .into(),
                    ));
                }
                Ok(Self::Stdout)
            }
            Some(path) if path.exists() => {
                if !force {
                    return Err(CliError::Input(format!(
                        "{} exists: choose another file or add --force",
                        path.display()
                    )));
                }
                // Opened without truncating: if the secret has no image, the file stays.
                let file = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| before(path, e))?;
                Ok(Self::File {
                    path: path.to_owned(),
                    file,
                    created: false,
                })
            }
            Some(path) => {
                let file = create_new(path).map_err(|e| before(path, e))?;
                Ok(Self::File {
                    path: path.to_owned(),
                    file,
                    created: true,
                })
            }
            None => {
                // The name needs the image's type, known only after decryption: prove that
                // the directory takes a new file with a probe, removed at once.
                let probe =
                    PathBuf::from(format!(".oncelink-{alias}-{}.probe", std::process::id()));
                create_new(&probe).map_err(|e| {
                    CliError::Io(format!(
                        "cannot write in the current directory ({e}), where an image in the \
                         secret would go; run from a writable directory or give -o FILE; \
                         nothing was opened"
                    ))
                })?;
                let _ = std::fs::remove_file(&probe);
                Ok(Self::CurrentDir {
                    alias: alias.to_owned(),
                })
            }
        }
    }

    /// The secret had no image: remove the file made for it, if any.
    pub fn discard(self) {
        if let Self::File {
            path,
            file,
            created: true,
        } = self
        {
            drop(file);
            let _ = std::fs::remove_file(path);
        }
    }

    /// Writes the image; if that fails now, after the reveal, saves it to a private
    /// temporary file instead so it is not lost. Errs only when both fail.
    pub fn save(self, bytes: &[u8], alias: &str, ext: &str) -> Result<Saved, CliError> {
        let failure = match self.write(bytes, ext) {
            Ok(saved) => return Ok(saved),
            Err(failure) => failure,
        };
        match save_temporary(bytes, alias, ext) {
            Ok(path) => Ok(Saved::Fallback { failure, path }),
            Err(e) => Err(CliError::Io(format!(
                "{failure}; saving it to a temporary file failed too ({e}): the image is lost"
            ))),
        }
    }

    fn write(self, bytes: &[u8], ext: &str) -> Result<Saved, String> {
        let failed = |path: &Path, e: std::io::Error| {
            format!("cannot write the image to {}: {e}", path.display())
        };
        match self {
            Self::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes)
                    .and_then(|()| out.flush())
                    .map_err(|e| failed(Path::new("stdout"), e))?;
                Ok(Saved::Stdout)
            }
            Self::File {
                path,
                mut file,
                created,
            } => {
                let write = |file: &mut File| -> std::io::Result<()> {
                    // An existing regular file (--force) is replaced, and made private first
                    // like every file the CLI writes; a device is written to.
                    if !created && file.metadata()?.is_file() {
                        make_private(file)?;
                        file.set_len(0)?;
                    }
                    file.write_all(bytes)?;
                    file.sync_all().or_else(|e| {
                        // Devices and pipes cannot sync; that is not a failed write.
                        if e.kind() == std::io::ErrorKind::InvalidInput {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })
                };
                match write(&mut file) {
                    Ok(()) => Ok(Saved::File(path)),
                    Err(e) => {
                        drop(file);
                        if created {
                            let _ = std::fs::remove_file(&path);
                        }
                        Err(failed(&path, e))
                    }
                }
            }
            Self::CurrentDir { alias } => {
                let path = free_name(Path::new("."), &alias, ext, bytes)
                    .map_err(|(path, e)| failed(&path, e))?;
                Ok(Saved::File(path))
            }
        }
    }
}

/// Writes `bytes` to a new private file `oncelink-{alias}.{ext}` in `dir`, or
/// `oncelink-{alias}-{n}.{ext}` when taken; never overwrites. Returns the name used, or the
/// failure and its path (a partly written file is removed).
fn free_name(
    dir: &Path,
    alias: &str,
    ext: &str,
    bytes: &[u8],
) -> Result<PathBuf, (PathBuf, std::io::Error)> {
    for n in 0..1000 {
        let name = if n == 0 {
            format!("oncelink-{alias}.{ext}")
        } else {
            format!("oncelink-{alias}-{n}.{ext}")
        };
        let path = if dir == Path::new(".") {
            PathBuf::from(name)
        } else {
            dir.join(name)
        };
        let mut file = match create_new(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err((path, e)),
        };
        return match file.write_all(bytes) {
            Ok(()) => Ok(path),
            Err(e) => {
                drop(file);
                let _ = std::fs::remove_file(&path);
                Err((path, e))
            }
        };
    }
    Err((
        dir.to_owned(),
        std::io::Error::other("no free file name for the image"),
    ))
}

/// Saves an image that could not go where asked to a new 0600 file in the temporary
/// directory (`TMPDIR`).
fn save_temporary(bytes: &[u8], alias: &str, ext: &str) -> std::io::Result<PathBuf> {
    let name = format!("{alias}-{}", std::process::id());
    free_name(&std::env::temp_dir(), &name, ext, bytes).map_err(|(_, e)| e)
}

/// Makes `file` readable and writable by its owner only.
#[cfg(unix)]
fn make_private(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn make_private(_: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn new_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("oncelink-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let taken = free_name(&dir, "Ab3dEf9h", "jpg", b"1").unwrap();
        let next = free_name(&dir, "Ab3dEf9h", "jpg", b"2").unwrap();
        assert_eq!(taken, dir.join("oncelink-Ab3dEf9h.jpg"));
        assert_eq!(next, dir.join("oncelink-Ab3dEf9h-1.jpg"));
        assert_eq!(std::fs::read(&taken).unwrap(), b"1", "never overwritten");
        let mode = std::fs::metadata(&next).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // --force over an existing readable file: replaced, and private too.
        let existing = dir.join("existing.jpg");
        std::fs::write(&existing, b"old").unwrap();
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
        let target = ImageTarget::prepare(Some(&existing), true, "Ab3dEf9h").unwrap();
        assert!(matches!(
            target.save(b"new", "Ab3dEf9h", "jpg").unwrap(),
            Saved::File(_)
        ));
        assert_eq!(std::fs::read(&existing).unwrap(), b"new");
        let mode = std::fs::metadata(&existing).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
