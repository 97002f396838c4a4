//! `oncelink status` and `oncelink destroy`, from the manage link `send` printed.

use crypto_core::ManageLink;
use protocol::rest::{ManageRequest, SecretState, StatusResponse};

use crate::api::{Api, ManageAction};
use crate::args::ManageArgs;
use crate::error::CliError;
use crate::input;
use crate::output::{self, escape_controls, format_time};

/// Runs `status` or `destroy`.
pub fn run(args: ManageArgs, action: ManageAction) -> Result<(), CliError> {
    let text = input::link(args.manage_link, "manage link")?;
    let link = ManageLink::parse(&text).map_err(|e| match e.kind() {
        crypto_core::ErrorKind::Key => CliError::Damaged(
            "no token after '#' in the manage link, or a damaged one: it may be cut off \
             (quote the link)"
                .into(),
        ),
        _ => CliError::Input(format!(
            "this is not a manage link (…/m/{{alias}}#{{token}}): {}",
            escape_controls(&e.to_string())
        )),
    })?;
    let api = Api::new(link.base())?;
    let request = ManageRequest {
        manage_token: Some(link.token().proof().to_base64url().into()),
    };
    let alias = link.alias().as_str();
    match action {
        ManageAction::Status => {
            let status = api.status(alias, &request)?;
            if args.json {
                output::json_line(&status)
            } else {
                output::line(&describe(&status))
            }
        }
        ManageAction::Destroy => {
            let destroyed = api.destroy(alias, &request)?;
            if args.json {
                output::json_line(&destroyed)
            } else {
                output::line("destroyed: the link no longer opens")
            }
        }
    }
}

/// The status for a person.
fn describe(s: &StatusResponse) -> String {
    let state = match s.state {
        SecretState::Waiting => "waiting to be opened",
        SecretState::Opened => "opened",
        SecretState::Destroyed => "destroyed by you",
        SecretState::Burned => "destroyed after too many wrong passphrases",
    };
    let mut lines = vec![
        format!("state:      {state}"),
        format!("views:      {} of {}", s.views_used, s.max_views),
    ];
    for &t in &s.opened_at {
        lines.push(format!("opened at:  {}", format_time(t)));
    }
    if let Some(left) = s.tries_left {
        lines.push(format!("passphrase tries left: {left}"));
    }
    lines.push(format!("expires at: {}", format_time(s.expires_at)));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_reads_well() {
        let status = StatusResponse {
            state: SecretState::Opened,
            views_used: 1,
            max_views: 2,
            views_left: 1,
            opened_at: vec![0],
            expires_at: 86_400,
            tries_left: Some(4),
        };
        assert_eq!(
            describe(&status),
            "state:      opened\nviews:      1 of 2\nopened at:  1970-01-01T00:00:00Z\n\
             passphrase tries left: 4\nexpires at: 1970-01-02T00:00:00Z"
        );
    }
}
