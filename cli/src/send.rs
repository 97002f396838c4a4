//! `oncelink send`: check everything locally, seal with `crypto-core` (the web app's
//! `prepare_secret`), upload, print the link.

use std::io::IsTerminal;

use crypto_core::{Alias, Protection, SealedSecret};
use protocol::rest::CreateRequest;
use serde::Serialize;

use crate::api::{Api, Capabilities};
use crate::args::SendArgs;
use crate::contents::{self, Contents};
use crate::error::CliError;
use crate::input;
use crate::output::{self, format_time, note};
use crate::progress::Progress;
use crate::ttl::{self, TtlField};

/// What `send --json` prints.
#[derive(Serialize)]
struct SentJson<'a> {
    link: &'a str,
    alias: &'a str,
    id: &'a str,
    expires_at: u64,
    expires: String,
    views: u32,
    manage_link: Option<&'a str>,
}

/// Runs `send`.
pub fn run(mut args: SendArgs) -> Result<(), CliError> {
    let server = args.server.as_deref().ok_or_else(|| {
        CliError::Input("no server: give --server URL or set ONCELINK_SERVER".into())
    })?;
    let api = Api::new(server)?;
    let contents = Contents::read(
        std::mem::take(&mut args.contents),
        "nothing to send: give TEXT, pipe it on stdin, or add --image FILE or --file FILE",
    )?;
    let caps = api.capabilities()?;
    let ttl = check_server(&args, &caps, api.base())?;
    let file_limits = contents.file_limits(&caps)?;
    let secret_passphrase = args
        .passphrase
        .then(|| input::passphrase(true))
        .transpose()?;
    let protection = if caps.oncelink {
        Protection::Guarded {
            passphrase: secret_passphrase.as_deref().map(String::as_str),
        }
    } else {
        Protection::Reference
    };
    let pending = contents.seal(protection)?;
    drop(secret_passphrase);

    let (ttl_hours, ttl_seconds) = match ttl {
        TtlField::Hours(h) => (Some(h), None),
        TtlField::Seconds(s) => (None, Some(s)),
    };
    let upload_token = pending.upload(&api, file_limits.as_ref())?;
    let SealedSecret { upload, keys } = pending.sealed;
    let request = CreateRequest {
        ttl_hours: ttl_hours.map(Into::into),
        ttl_seconds: ttl_seconds.map(Into::into),
        max_views: caps.oncelink.then_some(u64::from(args.views).into()),
        ..contents::secret_body(&upload, upload_token)
    };
    drop(upload.payload);

    let created = api.create(&request, &Progress::for_stderr())?;
    drop(request);
    let alias = Alias::parse(&created.alias)
        .map_err(|_| CliError::Server("the server sent an invalid alias".into()))?;
    let links = keys.into_links(api.base(), alias.clone(), args.lang.as_deref());
    let link = links.share.to_url();
    let manage_link = links.manage.as_ref().map(|m| m.to_url());
    let expires_at = created
        .expires_at
        .unwrap_or_else(|| output::now_unix() + args.ttl.as_secs());

    if args.json {
        let json = SentJson {
            link: &link,
            alias: alias.as_str(),
            id: upload.id.as_str(),
            expires_at,
            expires: format_time(expires_at),
            views: args.views,
            manage_link: manage_link.as_ref().map(|m| m.as_str()),
        };
        output::json_line(&json)?;
    } else {
        output::line(&link)?;
    }
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

/// Checks the request against what the server is and accepts, before anything is sealed or
/// uploaded; returns the TTL field to send.
fn check_server(args: &SendArgs, caps: &Capabilities, base: &str) -> Result<TtlField, CliError> {
    if caps.oncelink {
        if args.views == 0 || args.views > caps.max_views {
            return Err(CliError::Input(format!(
                "--views must be from 1 to {} on this server",
                caps.max_views
            )));
        }
        return ttl::for_server(args.ttl, caps, "--ttl");
    }
    // Not an oncelink server: never fall back silently to secrets a link preview can burn.
    if !args.reference {
        return Err(CliError::Input(format!(
            "{} does not identify as an oncelink server. Its secrets would have no access \
             proof (a link preview could burn them), no passphrase and no manage link. If it \
             is an Only Once Share server and that is fine, add --reference",
            output::escape_controls(base)
        )));
    }
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
    ttl::for_server(args.ttl, caps, "--ttl")
}

/// The link as a QR code on stderr.
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
        Err(_) => note("the link is too long for a QR code"),
    }
}
