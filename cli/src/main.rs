//! `oncelink`: share and open end-to-end encrypted one-time secrets from a terminal.
//!
//! The same `crypto-core` as the browser, natively: a link made here opens in the browser
//! and the reverse. Keys, passphrases and content never reach the server or a message.

mod api;
mod error;
mod progress;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};
use crypto_core::{
    Alias, Envelope, Image, Link, ManageToken, MasterKey, SecretId, SecretRef, StretchedPassphrase,
};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::api::{Api, Revealed};
use crate::error::{CliError, EXIT_CODES};
use crate::progress::Progress;

/// Share end-to-end encrypted secrets that can be opened once (or a few times).
///
/// Everything is encrypted here, before upload, with a key that only the link carries.
/// Links made here open in the browser, and links made in the browser open here.
#[derive(Parser)]
#[command(name = "oncelink", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Encrypt text and/or an image, upload it, and print the link.
    #[command(after_help = "Examples:
  oncelink send --server https://share.example.org 'db password: hunter2'
  oncelink send < api-key.txt | xclip -selection clipboard
  oncelink send --image scan.jpg --views 2 --ttl 30m --passphrase 'passport scan'

The link goes to stdout and nothing else does; messages go to stderr.")]
    Send(SendArgs),
    /// Open a link: print the text, save the image.
    #[command(after_help = "Examples:
  oncelink open 'https://share.example.org/s/Ab3dEf9h#…'
  oncelink open -o photo.jpg 'https://share.example.org/s/Ab3dEf9h#…'

The link carries its server, so --server is not needed. Quote the link: it contains '#'.")]
    Open(OpenArgs),
    /// Show what happened to a secret you sent (from its manage link).
    Status(ManageArgs),
    /// Destroy a secret you sent, now (from its manage link).
    Destroy(ManageArgs),
}

#[derive(Args)]
struct SendArgs {
    /// The text to share. Without it, the text is read from stdin when stdin is a pipe or a
    /// file. (Text given here may stay in your shell history; prefer stdin for real secrets.)
    text: Option<String>,

    /// Add an image (JPEG, PNG, GIF or WebP, up to 10 MB). Its identifying metadata (location,
    /// camera, dates, author, comments) is removed first, exactly as the web page does.
    #[arg(long, short = 'i', value_name = "FILE")]
    image: Option<PathBuf>,

    /// Send the image as it is, metadata included.
    #[arg(long, requires = "image")]
    keep_metadata: bool,

    /// How long the secret waits before it is deleted unread: 5m to 7d, e.g. 30m, 24h, 7d.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_ttl)]
    ttl: Duration,

    /// How many times the secret may be opened.
    #[arg(long, value_name = "N", default_value_t = 1)]
    views: u32,

    /// Protect the secret with a passphrase too: asked for without echo, or taken from
    /// ONCELINK_PASSPHRASE. The recipient needs the link and the passphrase.
    #[arg(long)]
    passphrase: bool,

    /// Also draw the link as a QR code (on stderr, so stdout stays just the link).
    #[arg(long)]
    qr: bool,

    /// Print the link, alias, expiry and manage link as JSON instead.
    #[arg(long)]
    json: bool,

    /// Language of the recipient's page (en, zh, es, hi, ar, pt).
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,

    /// The server to upload to.
    #[arg(long, short = 's', env = "ONCELINK_SERVER", value_name = "URL")]
    server: Option<String>,
}

#[derive(Args)]
struct OpenArgs {
    /// The link (https://…/s/{alias}#{key}).
    link: String,

    /// Write the image to FILE ("-" for stdout, refused when stdout is a terminal). Without
    /// it, an image is saved as oncelink-{alias}.{ext} in the current directory.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Overwrite FILE if it exists.
    #[arg(long, requires = "output")]
    force: bool,

    /// Print the text and details as JSON (the image is still written to a file).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ManageArgs {
    /// The manage link you got when sending (https://…/m/{alias}#{token}).
    manage_link: String,

    /// Print the answer as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_ttl(text: &str) -> Result<Duration, String> {
    let ttl = humantime::parse_duration(text.trim())
        .map_err(|_| format!("{text:?} is not a duration like 30m, 24h or 7d"))?;
    if ttl.subsec_nanos() != 0 || ttl < Duration::from_secs(60) {
        return Err(format!("{text:?} is too short; the shortest is 5m"));
    }
    Ok(ttl)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Send(args) => send(args),
        Command::Open(args) => open(args),
        Command::Status(args) => manage(args, "status"),
        Command::Destroy(args) => manage(args, "destroy"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oncelink: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn format_time(unix: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(unix)).to_string()
}

/// A passphrase from ONCELINK_PASSPHRASE, or asked on the terminal without echo.
fn passphrase(confirm: bool) -> Result<Zeroizing<String>, CliError> {
    if let Ok(p) = std::env::var("ONCELINK_PASSPHRASE") {
        if p.is_empty() {
            return Err(CliError::Input("ONCELINK_PASSPHRASE is empty".into()));
        }
        return Ok(Zeroizing::new(p));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|_| {
                CliError::Input(
                    "a passphrase is needed: set ONCELINK_PASSPHRASE or run in a terminal".into(),
                )
            })
    };
    let first = ask("Passphrase: ")?;
    if first.is_empty() {
        return Err(CliError::Input("the passphrase is empty".into()));
    }
    if confirm && *ask("Passphrase again: ")? != *first {
        return Err(CliError::Input("the passphrases do not match".into()));
    }
    Ok(first)
}

/// The image to send: checked by content, cleaned unless asked not to.
fn read_image(path: &Path, keep_metadata: bool) -> Result<Image, CliError> {
    let size = std::fs::metadata(path)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?
        .len();
    if size > image_privacy::MAX_IMAGE_BYTES as u64 {
        return Err(CliError::Input(format!(
            "{}: the image is larger than 10 MB",
            path.display()
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
    let cleaned = image_privacy::clean(&bytes)
        .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    let kind = cleaned.kind;
    let bytes = if keep_metadata {
        eprintln!("oncelink: sending the image with its metadata, as asked");
        bytes
    } else {
        if !cleaned.findings.is_empty() {
            eprintln!(
                "oncelink: removed from the image: {}",
                removed(&cleaned.findings)
            );
        }
        cleaned.bytes
    };
    Image::new(kind.mime(), bytes).map_err(|e| CliError::Input(e.to_string()))
}

/// A short English list of what cleaning removed.
fn removed(f: &image_privacy::Findings) -> String {
    let mut items = Vec::new();
    if f.has_location || f.location.is_some() {
        items.push("location".to_owned());
    }
    if let Some(camera) = &f.camera {
        items.push(format!("camera {camera}"));
    }
    if f.serial_number {
        items.push("serial number".into());
    }
    if f.has_dates || f.date_taken.is_some() {
        items.push("dates".into());
    }
    if f.software.is_some() {
        items.push("software".into());
    }
    if f.author.is_some() {
        items.push("author".into());
    }
    if f.text {
        items.push("comments".into());
    }
    if f.thumbnail {
        items.push("thumbnail".into());
    }
    if f.other {
        items.push("other metadata".into());
    }
    items.join(", ")
}

fn send(args: SendArgs) -> Result<(), CliError> {
    let server = args.server.as_deref().ok_or_else(|| {
        CliError::Input("no server: give --server URL or set ONCELINK_SERVER".into())
    })?;
    let api = Api::new(server)?;
    let text = match args.text {
        Some(text) => Zeroizing::new(text),
        None if !std::io::stdin().is_terminal() => {
            let mut bytes = Zeroizing::new(Vec::new());
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| CliError::Io(format!("cannot read stdin: {e}")))?;
            Zeroizing::new(String::from_utf8(bytes.to_vec()).map_err(|_| {
                CliError::Input("stdin is not UTF-8 text; send images with --image".into())
            })?)
        }
        None => Zeroizing::new(String::new()),
    };
    if text.is_empty() && args.image.is_none() {
        return Err(CliError::Input(
            "nothing to send: give TEXT, pipe it on stdin, or add --image FILE".into(),
        ));
    }
    let image = args
        .image
        .as_deref()
        .map(|path| read_image(path, args.keep_metadata))
        .transpose()?;
    let caps = api.capabilities()?;
    if !caps.oncelink {
        // The reference API: one view, whole hours, no passphrase.
        if args.views != 1 {
            return Err(CliError::Input(
                "this server speaks only the reference API: --views must be 1".into(),
            ));
        }
        if args.passphrase {
            return Err(CliError::Input(
                "this server speaks only the reference API: it has no passphrases".into(),
            ));
        }
        if !args.ttl.as_secs().is_multiple_of(3600)
            || !(1..=72).contains(&(args.ttl.as_secs() / 3600))
        {
            return Err(CliError::Input(
                "this server speaks only the reference API: --ttl must be whole hours, 1h to 72h"
                    .into(),
            ));
        }
    } else if args.views == 0 || args.views > caps.max_views {
        return Err(CliError::Input(format!(
            "--views must be from 1 to {} on this server",
            caps.max_views
        )));
    }
    let secret_passphrase = args.passphrase.then(|| passphrase(true)).transpose()?;

    let envelope = match image {
        Some(image) => Envelope::with_image(text.as_str(), image),
        None => Envelope::text_only(text.as_str()),
    };
    let crypto = |e: crypto_core::Error| CliError::Input(format!("cannot encrypt: {e}"));
    let key = MasterKey::generate().map_err(crypto)?;
    let id = SecretId::generate().map_err(crypto)?;
    let stretched: Option<StretchedPassphrase> = secret_passphrase
        .as_deref()
        .map(|p| key.stretch_passphrase(p))
        .transpose()
        .map_err(crypto)?;
    // Padding hides the length from an oncelink server; a reference client would show it
    // as text, so secrets for a reference server are not padded.
    let plaintext = Zeroizing::new(
        if caps.oncelink {
            envelope.pack_padded()
        } else {
            envelope.pack()
        }
        .map_err(crypto)?,
    );
    drop(envelope);
    let payload =
        crypto_core::seal_with(&key, stretched.as_ref(), &id, &plaintext).map_err(crypto)?;
    drop(plaintext);

    let mut body = json!({
        "ciphertext": crypto_core::base64::encode(&payload),
        "id": id.as_str(),
    });
    let manage = if caps.oncelink {
        let manage = ManageToken::generate().map_err(crypto)?;
        body["ttl_seconds"] = args.ttl.as_secs().into();
        body["max_views"] = args.views.into();
        body["access_verifier"] = key.access_proof().verifier().to_base64url().into();
        body["manage_verifier"] = manage.proof().verifier().to_base64url().into();
        if let Some(s) = &stretched {
            body["passphrase_verifier"] = s.proof().verifier().to_base64url().into();
        }
        Some(manage)
    } else {
        body["ttl_hours"] = (args.ttl.as_secs() / 3600).into();
        None
    };
    drop(payload);

    let created = api.create(&body, &Progress::for_stderr())?;
    let alias = Alias::parse(&created.alias)
        .map_err(|_| CliError::Server("the server sent an invalid alias".into()))?;
    let lang = args.lang.as_deref();
    let link = Link::new(api.base(), SecretRef::Alias(alias.clone()), lang, key).to_url();
    let manage_link = manage.map(|token| {
        let query = lang.map(|l| format!("?lng={l}")).unwrap_or_default();
        Zeroizing::new(format!(
            "{}/m/{}{query}#{}",
            api.base(),
            alias.as_str(),
            token.to_base64url().as_str()
        ))
    });
    let expires_at = created
        .expires_at
        .unwrap_or_else(|| now_unix() + args.ttl.as_secs());

    let mut out = std::io::stdout().lock();
    let written = if args.json {
        let value = json!({
            "link": link.as_str(),
            "alias": alias.as_str(),
            "id": created.id,
            "expires_at": expires_at,
            "expires": format_time(expires_at),
            "views": args.views,
            "manage_link": manage_link.as_ref().map(|m| m.as_str()),
        });
        writeln!(out, "{value}")
    } else {
        writeln!(out, "{}", link.as_str())
    };
    written.map_err(|e| CliError::Io(format!("cannot write to stdout: {e}")))?;
    if args.qr {
        draw_qr(&link);
    }
    if !args.json && std::io::stderr().is_terminal() {
        eprintln!("expires {}", format_time(expires_at));
        if let Some(m) = &manage_link {
            eprintln!("manage link (keep it to yourself): {}", m.as_str());
        }
    }
    Ok(())
}

fn draw_qr(link: &str) {
    use qrcode::render::unicode::Dense1x2;
    match qrcode::QrCode::new(link.as_bytes()) {
        Ok(code) => {
            let image = code
                .render::<Dense1x2>()
                .dark_color(Dense1x2::Light)
                .light_color(Dense1x2::Dark)
                .quiet_zone(true)
                .build();
            eprintln!("{image}");
        }
        Err(_) => eprintln!("oncelink: the link is too long for a QR code"),
    }
}

/// Where an opened image goes.
enum ImageOut {
    Stdout,
    File(PathBuf, bool),
    Default,
}

fn open(args: OpenArgs) -> Result<(), CliError> {
    // Every local check happens before the network: a bad link or a bad -o consumes nothing.
    let link = Link::parse(&args.link).map_err(|e| match e.kind() {
        crypto_core::ErrorKind::Key => CliError::Damaged(
            "the link has no valid key after '#': it may be cut off (quote the link)".into(),
        ),
        _ => CliError::Input("this is not an oncelink link (…/s/{alias}#{key})".into()),
    })?;
    let out = match args.output {
        Some(path) if path.as_os_str() == "-" => {
            if std::io::stdout().is_terminal() {
                return Err(CliError::Input(
                    "refusing to write an image to the terminal: use -o FILE or redirect stdout"
                        .into(),
                ));
            }
            ImageOut::Stdout
        }
        Some(path) => {
            if path.exists() && !args.force {
                return Err(CliError::Input(format!(
                    "{} exists: choose another file or add --force",
                    path.display()
                )));
            }
            ImageOut::File(path, args.force)
        }
        None => ImageOut::Default,
    };
    let api = Api::new(link.base())?;
    let key = link.key();
    let reference = match link.secret() {
        SecretRef::Alias(a) => a.as_str().to_owned(),
        SecretRef::Id(id) => id.as_str().to_owned(),
    };
    let caps = api.capabilities()?;
    let progress = Progress::for_stderr();
    let (revealed, stretched) = if caps.oncelink {
        let info = api.info(&reference)?;
        let stretched = if info["passphrase_required"] == true {
            let secret_passphrase = passphrase(false)?;
            Some(
                key.stretch_passphrase(&secret_passphrase)
                    .map_err(|_| CliError::Input("cannot use this passphrase".into()))?,
            )
        } else {
            None
        };
        let proof = stretched.as_ref().map(|s| s.proof().to_base64url());
        let revealed = api.reveal(
            &reference,
            &key.access_proof().to_base64url(),
            proof.as_deref(),
            &progress,
        )?;
        (revealed, stretched)
    } else {
        (api.get(&reference, &progress)?, None)
    };
    let Revealed {
        id,
        payload,
        views_left,
    } = revealed;
    let id = SecretId::parse(&id)
        .map_err(|_| CliError::Server("the server sent an invalid secret id".into()))?;
    let plaintext =
        crypto_core::open_with(key, stretched.as_ref(), &id, &payload).map_err(|_| {
            CliError::Damaged(
                "the link is damaged or its key is wrong: the secret cannot be decrypted".into(),
            )
        })?;
    let envelope = Envelope::unpack(&plaintext)
        .map_err(|_| CliError::Damaged("the secret's content is damaged".into()))?;
    drop(plaintext);
    let (text, image) = envelope.into_parts();
    let text = Zeroizing::new(text);

    let saved = match image {
        None => None,
        Some(image) => {
            let (mime, bytes) = image.into_parts();
            let ext = image_privacy::sniff(&bytes)
                .map(|k| k.extension())
                .or_else(|_| {
                    image_privacy::ImageType::from_mime(&mime)
                        .map(|k| k.extension())
                        .ok_or(())
                })
                .unwrap_or("bin");
            Some(write_image(out, &bytes, &reference, ext)?)
        }
    };

    let mut stdout = std::io::stdout().lock();
    let result = if args.json {
        let value = json!({
            "text": text.as_str(),
            "image": saved.as_ref().map(|p| p.display().to_string()),
            "views_left": views_left,
        });
        writeln!(stdout, "{value}")
    } else if saved.as_ref().is_some_and(|p| p.as_os_str() == "-") {
        // The image went to stdout: the text goes to stderr.
        if !text.is_empty() {
            eprintln!("{}", text.as_str());
        }
        Ok(())
    } else {
        let mut r = stdout.write_all(text.as_bytes());
        if r.is_ok() && std::io::stdout().is_terminal() && !text.ends_with('\n') && !text.is_empty()
        {
            r = stdout.write_all(b"\n");
        }
        r
    };
    result.map_err(|e| CliError::Io(format!("cannot write to stdout: {e}")))?;
    if let Some(path) = saved.filter(|p| p.as_os_str() != "-")
        && !args.json
    {
        eprintln!("oncelink: image saved to {}", path.display());
    }
    if let Some(left) = views_left.filter(|&l| l > 0) {
        eprintln!("oncelink: views left after this one: {left}");
    }
    Ok(())
}

/// Writes an opened image; returns where it went ("-" for stdout).
fn write_image(out: ImageOut, bytes: &[u8], alias: &str, ext: &str) -> Result<PathBuf, CliError> {
    let io = |path: &Path, e: std::io::Error| {
        CliError::Io(format!("cannot write the image to {}: {e}", path.display()))
    };
    match out {
        ImageOut::Stdout => {
            std::io::stdout()
                .lock()
                .write_all(bytes)
                .map_err(|e| io(Path::new("stdout"), e))?;
            Ok(PathBuf::from("-"))
        }
        ImageOut::File(path, overwrite) => {
            let mut options = std::fs::OpenOptions::new();
            options.write(true);
            if overwrite {
                options.create(true).truncate(true);
            } else {
                options.create_new(true);
            }
            let mut file = options.open(&path).map_err(|e| io(&path, e))?;
            file.write_all(bytes).map_err(|e| io(&path, e))?;
            Ok(path)
        }
        ImageOut::Default => {
            // Never overwrite: the secret is already consumed, so losing the image is not an
            // option. Pick a free name.
            for n in 0..1000 {
                let name = if n == 0 {
                    format!("oncelink-{alias}.{ext}")
                } else {
                    format!("oncelink-{alias}-{n}.{ext}")
                };
                let path = PathBuf::from(name);
                match std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                {
                    Ok(mut file) => {
                        file.write_all(bytes).map_err(|e| io(&path, e))?;
                        return Ok(path);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(io(&path, e)),
                }
            }
            Err(CliError::Io(
                "cannot find a free file name for the image".into(),
            ))
        }
    }
}

/// A manage link: `{origin}/m/{alias}?lng=…#{token}`.
fn parse_manage_link(text: &str) -> Result<(String, Alias, ManageToken), CliError> {
    let text = text.trim();
    let (before, fragment) = text.split_once('#').ok_or_else(|| {
        CliError::Damaged("the manage link has no token after '#': it may be cut off".into())
    })?;
    let token = ManageToken::from_base64url(fragment)
        .map_err(|_| CliError::Damaged("the manage link's token is damaged".into()))?;
    let path = before.split_once('?').map_or(before, |(p, _)| p);
    let (base, alias) = path
        .rsplit_once("/m/")
        .ok_or_else(|| CliError::Input("this is not a manage link (…/m/{alias}#{token})".into()))?;
    let alias = Alias::parse(alias.trim_end_matches('/'))
        .map_err(|_| CliError::Damaged("the manage link's alias is damaged".into()))?;
    Ok((base.to_owned(), alias, token))
}

fn manage(args: ManageArgs, action: &str) -> Result<(), CliError> {
    let (base, alias, token) = parse_manage_link(&args.manage_link)?;
    let api = Api::new(&base)?;
    let answer = api.manage(alias.as_str(), action, &token.proof().to_base64url())?;
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        writeln!(out, "{answer}")
    } else if action == "destroy" {
        writeln!(out, "destroyed: the link no longer opens")
    } else {
        writeln!(out, "{}", describe_status(&answer))
    };
    written.map_err(|e| CliError::Io(format!("cannot write to stdout: {e}")))
}

fn describe_status(s: &Value) -> String {
    let state = s["state"].as_str().unwrap_or("unknown");
    let mut lines = vec![format!(
        "state:      {}",
        match state {
            "waiting" => "waiting to be opened",
            "opened" => "opened",
            "destroyed" => "destroyed by you",
            "burned" => "destroyed after too many wrong passphrases",
            other => other,
        }
    )];
    let (used, max) = (s["views_used"].as_u64(), s["max_views"].as_u64());
    if let (Some(used), Some(max)) = (used, max) {
        lines.push(format!("views:      {used} of {max}"));
    }
    if let Some(times) = s["opened_at"].as_array() {
        for t in times.iter().filter_map(Value::as_u64) {
            lines.push(format!("opened at:  {}", format_time(t)));
        }
    }
    if let Some(left) = s["tries_left"].as_u64() {
        lines.push(format!("passphrase tries left: {left}"));
    }
    if let Some(at) = s["expires_at"].as_u64() {
        lines.push(format!("expires at: {}", format_time(at)));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_forms() {
        assert_eq!(parse_ttl("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_ttl("24h"), Ok(Duration::from_secs(86400)));
        assert_eq!(parse_ttl("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert!(parse_ttl("5x").is_err());
        assert!(parse_ttl("10s").is_err());
        assert!(parse_ttl("").is_err());
    }

    #[test]
    fn manage_links_parse_and_reject() {
        let token = ManageToken::generate().unwrap();
        let link = format!(
            "https://x.example/base/m/Ab3dEf9h?lng=es#{}",
            token.to_base64url().as_str()
        );
        let (base, alias, parsed) = parse_manage_link(&link).unwrap();
        assert_eq!(base, "https://x.example/base");
        assert_eq!(alias.as_str(), "Ab3dEf9h");
        assert_eq!(parsed.proof().to_base64url(), token.proof().to_base64url());
        assert!(matches!(
            parse_manage_link("https://x.example/m/Ab3dEf9h"),
            Err(CliError::Damaged(_))
        ));
        assert!(matches!(
            parse_manage_link("https://x.example/m/Ab3dEf9h#short"),
            Err(CliError::Damaged(_))
        ));
        let share = format!(
            "https://x.example/s/Ab3dEf9h#{}",
            token.to_base64url().as_str()
        );
        assert!(matches!(parse_manage_link(&share), Err(CliError::Input(_))));
    }

    #[test]
    fn help_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
