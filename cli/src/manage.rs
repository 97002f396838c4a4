//! `oncelink status` and `oncelink destroy`, from the manage link `send` printed.

use crypto_core::ManageLink;

use crate::api::{Api, ManageAction};
use crate::args::ManageArgs;
use crate::error::CliError;
use crate::input;
use crate::output::{self, escape_controls, format_time};
use crate::wire::{ManageRequest, Status};

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
        manage_token: link.token().proof().to_base64url(),
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

/// The status for a person. The state comes from the server, so an unknown one is escaped.
fn describe(s: &Status) -> String {
    let state = match s.state.as_str() {
        "waiting" => "waiting to be opened".into(),
        "opened" => "opened".into(),
        "destroyed" => "destroyed by you".into(),
        "burned" => "destroyed after too many wrong passphrases".into(),
        other => escape_controls(other).into_owned(),
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
    fn an_unknown_state_is_shown_escaped() {
        let status = Status {
            state: "\u{1b}]52;c;aGk=\u{7}".into(),
            views_used: 0,
            max_views: 1,
            views_left: Some(1),
            opened_at: vec![],
            expires_at: 0,
            tries_left: None,
        };
        let shown = describe(&status);
        assert!(!shown.contains('\u{1b}'), "{shown:?}");
        assert!(shown.contains("views:      0 of 1"));
    }
}
