//! What can go wrong, each with its own exit code. Messages never contain a key, a
//! passphrase or secret content.

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line, a file or the server said the input is wrong.
    #[error("{0}")]
    Input(String),
    /// The secret does not exist (never did, already viewed, expired or destroyed).
    #[error("secret not found: it may have been viewed already, destroyed or expired")]
    NotFound,
    /// A request is gone (expired or never existed), or its answer was read already.
    #[error("{0}")]
    Gone(String),
    /// The request was answered already: it takes one answer.
    #[error("this request was answered already: it takes only one answer")]
    AlreadyAnswered,
    /// The requester cancelled the request: it takes no answer.
    #[error("this request was cancelled by its requester: it takes no answer")]
    RequestClosed,
    /// The link is cut off or damaged, or its key is wrong.
    #[error("{0}")]
    Damaged(String),
    /// The passphrase was wrong; the secret is still there.
    #[error("wrong passphrase; tries left before the secret is destroyed: {0}")]
    WrongPassphrase(u32),
    /// Too many wrong passphrases destroyed the secret.
    #[error("too many wrong passphrases: the secret was destroyed")]
    Burned,
    /// The server could not be reached.
    #[error("cannot reach the server at {0}")]
    Unreachable(String),
    /// The server answered with an error of its own (5xx, 429, unexpected answers).
    #[error("{0}")]
    Server(String),
    /// A local file could not be read or written.
    #[error("{0}")]
    Io(String),
}

impl CliError {
    /// Whether trying again may help: the server was unreachable or failed.
    pub fn is_transient(&self) -> bool {
        matches!(self, CliError::Unreachable(_) | CliError::Server(_))
    }

    /// The process exit code (documented in `oncelink --help`).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::NotFound | CliError::Gone(_) => 3,
            CliError::Damaged(_) => 4,
            CliError::WrongPassphrase(_) | CliError::Burned => 5,
            CliError::Unreachable(_) | CliError::Server(_) => 6,
            CliError::Io(_) => 1,
            CliError::AlreadyAnswered => 7,
            CliError::RequestClosed => 8,
        }
    }
}

/// The exit codes, for `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  a local file could not be read or written
  2  bad input (arguments, file, text, or refused by the server as invalid)
  3  not found: already viewed, destroyed, expired or never existed (a request or an answer
     too: expired, never existed, or the answer was read already)
  4  the link is damaged or cut off, or its key is wrong
  5  wrong passphrase (or the secret was destroyed after too many)
  6  the server is unreachable or failed
  7  the request was answered already (it takes one answer)
  8  the request was cancelled by its requester";
