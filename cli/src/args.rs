//! The command line (clap derive): every command, flag and help text.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::error::EXIT_CODES;

/// Share end-to-end encrypted secrets that can be opened once (or a few times).
///
/// Everything is encrypted here, before upload, with a key that only the link carries.
/// Links made here open in the browser, and links made in the browser open here.
#[derive(Parser)]
#[command(name = "oncelink", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Encrypt text and/or an image, upload it, and print the link.
    #[command(after_help = "Examples:
  oncelink send --server https://share.example.org < api-key.txt
  oncelink send --server https://share.example.org 'db password: hunter2'
  oncelink send --image scan.jpg --views 2 --ttl 30m --passphrase 'passport scan'
  oncelink send 'the signed contract' --file contract.pdf annex-1.pdf annex-2.pdf

The link goes to stdout and nothing else does; messages go to stderr.")]
    Send(SendArgs),
    /// Open a link: print the text, save the image.
    #[command(after_help = "Examples:
  oncelink open < link.txt
  oncelink open -o photo.jpg - < link.txt
  oncelink open -o ~/Downloads < link.txt      (files go into an existing directory)
  oncelink open 'https://share.example.org/s/Ab3dEf9h#…'

The link carries its server, so --server is not needed. Give it on stdin to keep it out of
`ps` and your shell history; on the command line, quote it (it contains '#').")]
    Open(OpenArgs),
    /// Ask someone for a secret: print a request link for them to answer.
    #[command(after_help = "Examples:
  oncelink request --server https://share.example.org 'the Wi-Fi password, please'
  oncelink request --inbox-file inbox.txt 'front of your ID card' | xclip -selection clipboard
  oncelink request --wait -o ~/Downloads 'the signed contract, please'

The request link goes to stdout (send it to the person who has the secret); with --wait the
answer follows it there, as `oncelink open` prints it. The inbox link is the only way to read
the answer: it goes to --inbox-file (a new file readable only by you) or to stderr, and never
to the server. Read the answer later with `oncelink inbox`.")]
    Request(RequestArgs),
    /// Read the answer to your request (from its inbox link), or cancel the request.
    #[command(after_help = "Examples:
  oncelink inbox inbox.txt                 (the file --inbox-file wrote)
  oncelink inbox --wait -o ~/Downloads < inbox.txt
  oncelink inbox --cancel inbox.txt

The state goes to stderr. An answer is revealed once, like `oncelink open`: the text to
stdout, an image or files saved (see -o). Its key is checked before it is revealed: an answer
that was not sealed to this inbox is refused and left unread.")]
    Inbox(InboxArgs),
    /// Answer a request link: encrypt text and/or an image or files for its requester.
    #[command(after_help = "Examples:
  oncelink answer 'https://share.example.org/r/Ab3dEf9h#…' < wifi-password.txt
  oncelink answer 'https://share.example.org/r/Ab3dEf9h#…' --image id-card.jpg
  oncelink answer 'https://share.example.org/r/Ab3dEf9h#…' 'the contract' --file contract.pdf

The requester's note is shown first (on stderr). A request takes one answer, which only its
requester can read, once. Images are cleaned of their metadata as with `send`.")]
    Answer(AnswerArgs),
    /// Show what happened to a secret you sent (from its manage link).
    Status(ManageArgs),
    /// Destroy a secret you sent, now (from its manage link).
    Destroy(ManageArgs),
}

/// `oncelink send`.
#[derive(Args)]
pub struct SendArgs {
    /// What the secret holds.
    #[command(flatten)]
    pub contents: ContentArgs,

    /// How long the secret waits before it is deleted unread: 5m up to the server's maximum
    /// (7d by default), e.g. 30m, 24h, 7d. Reference servers take whole hours, 1h to 72h.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = crate::ttl::parse)]
    pub ttl: Duration,

    /// How many times the secret may be opened.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub views: u32,

    /// Protect the secret with a passphrase too: asked for without echo, or taken from
    /// ONCELINK_PASSPHRASE. The recipient needs the link and the passphrase.
    #[arg(long)]
    pub passphrase: bool,

    /// Allow a server that speaks only the Only Once Share (reference) API. Its secrets have
    /// no access proof (a link-preview bot that follows the link burns them), no padding, no
    /// passphrase and no manage link. Without this flag, such a server is refused.
    #[arg(long)]
    pub reference: bool,

    /// Also draw the link as a QR code (on stderr, so stdout stays just the link).
    #[arg(long)]
    pub qr: bool,

    /// Print the link, alias, expiry and manage link as JSON instead.
    #[arg(long)]
    pub json: bool,

    /// Language of the recipient's page (en, zh, es, hi, ar, pt).
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,

    /// The server to upload to.
    #[arg(long, short = 's', env = "ONCELINK_SERVER", value_name = "URL")]
    pub server: Option<String>,
}

/// What a secret holds: `send`'s and `answer`'s text, image and files.
#[derive(Args, Default)]
pub struct ContentArgs {
    /// The text to share. Without it, the text is read from stdin when stdin is a pipe or a
    /// file. (Text given here may stay in your shell history; prefer stdin for real secrets.)
    pub text: Option<String>,

    /// Add an image (JPEG, PNG, GIF or WebP, up to 10 MB). Its identifying metadata (location,
    /// camera, dates, author, comments) is removed first, exactly as the web page does.
    #[arg(long, short = 'i', value_name = "FILE")]
    pub image: Option<PathBuf>,

    /// Add files of any type (repeat the flag or list several after it). Images among them
    /// are cleaned of their metadata like --image; other files are sent as they are.
    /// Directories are refused: give their files.
    #[arg(long = "file", short = 'f', value_name = "FILE", num_args = 1..)]
    pub files: Vec<PathBuf>,

    /// Send images as they are, metadata included.
    #[arg(long)]
    pub keep_metadata: bool,
}

/// `oncelink open`.
#[derive(Args)]
pub struct OpenArgs {
    /// The link (https://…/s/{alias}#{key}). "-" or nothing: read it from stdin.
    pub link: Option<String>,

    /// Where the image and files go.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Print the text and details as JSON (the image is still written to a file).
    #[arg(long)]
    pub json: bool,
}

/// Where an opened secret's image and files go (`open`, and the answer of a request).
#[derive(Args)]
pub struct OutputArgs {
    /// Write the image to FILE ("-" for stdout, refused when stdout is a terminal). Without
    /// it, an image is saved as oncelink-{alias}.{ext} in the current directory. When FILE is
    /// an existing directory, the secret's files are saved in it (else in the current
    /// directory), each under its own name, never replacing a file. Checked before the
    /// secret is opened: if it cannot be written, nothing is consumed.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Overwrite FILE if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// `oncelink request`.
#[derive(Args)]
pub struct RequestArgs {
    /// What you ask for, shown to the person who answers (up to 2000 bytes; end-to-end
    /// encrypted like a secret). Without it, read from stdin when stdin is a pipe or a file.
    pub note: Option<String>,

    /// How long the request stays open for an answer: 1h to 30d (the server may allow less).
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = crate::ttl::parse_request)]
    pub ttl: Duration,

    /// How long the answer waits, unread, once it is given: 5m up to the server's maximum
    /// (7d by default).
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = crate::ttl::parse)]
    pub answer_ttl: Duration,

    /// Write the inbox link to FILE, a new file readable only by you (an existing file is
    /// never replaced). Without it, the inbox link is printed on stderr.
    #[arg(long, value_name = "FILE")]
    pub inbox_file: Option<PathBuf>,

    /// Wait for the answer (until the request expires) and print it as `oncelink open` does.
    #[arg(long)]
    pub wait: bool,

    /// Where the answer's image and files go (with --wait).
    #[command(flatten)]
    pub output: OutputArgs,

    /// Language of the responder's page (en, zh, es, hi, ar, pt).
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,

    /// The server to open the request on.
    #[arg(long, short = 's', env = "ONCELINK_SERVER", value_name = "URL")]
    pub server: Option<String>,
}

/// `oncelink inbox`.
#[derive(Args)]
pub struct InboxArgs {
    /// The inbox link (https://…/i/{alias}#{key}), or a file holding it (as --inbox-file
    /// wrote it). "-" or nothing: read it from stdin.
    pub inbox: Option<String>,

    /// Wait until the request is answered (or expires), then reveal the answer.
    #[arg(long, conflicts_with = "cancel")]
    pub wait: bool,

    /// Cancel the request: it takes no answer any more, and an unread answer is destroyed.
    #[arg(long, conflicts_with_all = ["output", "force"])]
    pub cancel: bool,

    /// Where the answer's image and files go.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `oncelink answer`.
#[derive(Args)]
pub struct AnswerArgs {
    /// The request link you were given (https://…/r/{alias}#{key}); quote it (it contains
    /// '#').
    pub request_link: String,

    /// What the answer holds.
    #[command(flatten)]
    pub contents: ContentArgs,
}

/// `oncelink status` and `oncelink destroy`.
#[derive(Args)]
pub struct ManageArgs {
    /// The manage link you got when sending (https://…/m/{alias}#{token}). "-" or nothing:
    /// read it from stdin.
    pub manage_link: Option<String>,

    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
