//! `--ttl`: exactly what the server accepts, checked here so a refusal costs no upload.
//!
//! oncelink servers take `ttl_seconds` from 5 minutes to their maximum (7 days unless
//! `/api/health` advertises another `max_ttl_seconds`); reference servers take
//! `ttl_hours`, whole hours from 1 to 72.

use std::time::Duration;

use crate::api::Capabilities;
use crate::error::CliError;

/// The shortest TTL an oncelink server accepts.
pub const MIN_TTL: Duration = Duration::from_secs(5 * 60);
/// The longest, when the server does not say.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// The reference API's range, in hours.
const REFERENCE_HOURS: std::ops::RangeInclusive<u64> = 1..=72;

/// The TTL field of a create request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlField {
    /// oncelink: `ttl_seconds`.
    Seconds(u64),
    /// Reference: `ttl_hours`.
    Hours(u64),
}

/// The `--ttl` value parser: a duration like 30m, 24h, 7d or 4h30m, whole seconds, at least
/// 5 minutes. The maximum depends on the server and is checked by [`for_server`].
pub fn parse(text: &str) -> Result<Duration, String> {
    let ttl = whole_seconds(text)?;
    if ttl < MIN_TTL {
        return Err(format!("{text:?} is too short; the shortest is 5m"));
    }
    Ok(ttl)
}

/// How long a request may stay open: from an hour to 30 days (a server may keep less, and
/// says so when it refuses).
const REQUEST_TTL: std::ops::RangeInclusive<Duration> =
    Duration::from_secs(3600)..=Duration::from_secs(30 * 24 * 3600);

/// The `request --ttl` value parser: a duration like [`parse`] takes, 1h to 30d.
pub fn parse_request(text: &str) -> Result<Duration, String> {
    let ttl = whole_seconds(text)?;
    if ttl < *REQUEST_TTL.start() {
        return Err(format!("{text:?} is too short; the shortest is 1h"));
    }
    if ttl > *REQUEST_TTL.end() {
        return Err(format!("{text:?} is too long; the longest is 30d"));
    }
    Ok(ttl)
}

/// A duration like 30m, 24h, 7d or 4h30m, in whole seconds.
fn whole_seconds(text: &str) -> Result<Duration, String> {
    let ttl = humantime::parse_duration(text.trim())
        .map_err(|_| format!("{text:?} is not a duration like 30m, 24h or 7d"))?;
    if ttl.subsec_nanos() != 0 {
        return Err(format!("{text:?} is not a whole number of seconds"));
    }
    Ok(ttl)
}

/// The field to send for `ttl`, or why this server would refuse it (`flag` names the option
/// in the message).
pub fn for_server(ttl: Duration, caps: &Capabilities, flag: &str) -> Result<TtlField, CliError> {
    let seconds = ttl.as_secs();
    if !caps.oncelink {
        let hours = seconds / 3600;
        if !seconds.is_multiple_of(3600) || !REFERENCE_HOURS.contains(&hours) {
            return Err(CliError::Input(format!(
                "this server speaks only the reference API: {flag} must be whole hours, 1h to 72h"
            )));
        }
        return Ok(TtlField::Hours(hours));
    }
    if ttl < caps.min_ttl {
        return Err(CliError::Input(format!(
            "{flag} {} is too short: this server keeps secrets at least {}",
            humantime::format_duration(ttl),
            humantime::format_duration(caps.min_ttl)
        )));
    }
    if ttl > caps.max_ttl {
        return Err(CliError::Input(format!(
            "{flag} {} is too long: this server keeps secrets at most {} ({} seconds)",
            humantime::format_duration(ttl),
            humantime::format_duration(caps.max_ttl),
            caps.max_ttl.as_secs()
        )));
    }
    Ok(TtlField::Seconds(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oncelink(max: u64) -> Capabilities {
        Capabilities {
            oncelink: true,
            max_views: 10,
            min_ttl: MIN_TTL,
            max_ttl: Duration::from_secs(max),
            claim_window: Some(Duration::from_secs(60)),
            files: None,
            requests: false,
        }
    }

    fn reference() -> Capabilities {
        Capabilities {
            oncelink: false,
            max_views: 1,
            min_ttl: MIN_TTL,
            max_ttl: DEFAULT_MAX_TTL,
            claim_window: None,
            files: None,
            requests: false,
        }
    }

    #[test]
    fn forms_and_the_lower_edge() {
        assert_eq!(parse("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse("24h"), Ok(Duration::from_secs(86400)));
        assert_eq!(parse("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert_eq!(parse("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse("300s"), Ok(Duration::from_secs(300)));
        for short in ["4m59s", "299s", "2m", "10s"] {
            assert!(parse(short).unwrap_err().contains("too short"), "{short}");
        }
        assert!(parse("5m500ms").unwrap_err().contains("whole number"));
        assert!(parse("5x").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn requests_stay_open_from_an_hour_to_30_days() {
        assert_eq!(parse_request("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_request("30d"), Ok(Duration::from_secs(30 * 86400)));
        for short in ["59m", "5m", "1m"] {
            assert!(
                parse_request(short)
                    .unwrap_err()
                    .contains("the shortest is 1h"),
                "{short}"
            );
        }
        assert!(parse_request("30d1s").unwrap_err().contains("too long"));
        assert!(parse_request("soon").is_err());
    }

    #[test]
    fn the_upper_edge_is_the_servers() {
        let week = parse("7d").unwrap();
        assert_eq!(
            for_server(week, &oncelink(604_800), "--ttl").unwrap(),
            TtlField::Seconds(604_800)
        );
        let over = parse("7d1s").unwrap();
        let message = for_server(over, &oncelink(604_800), "--ttl")
            .unwrap_err()
            .to_string();
        assert!(message.contains("too long"), "{message}");
        assert!(message.contains("604800 seconds"), "{message}");
        assert!(for_server(parse("2d").unwrap(), &oncelink(86_400), "--ttl").is_err());
        assert_eq!(
            for_server(MIN_TTL, &oncelink(604_800), "--ttl").unwrap(),
            TtlField::Seconds(300)
        );
    }

    #[test]
    fn reference_servers_take_whole_hours_up_to_72() {
        let caps = reference();
        assert_eq!(
            for_server(parse("1h").unwrap(), &caps, "--ttl").unwrap(),
            TtlField::Hours(1)
        );
        assert_eq!(
            for_server(parse("72h").unwrap(), &caps, "--ttl").unwrap(),
            TtlField::Hours(72)
        );
        for bad in ["30m", "73h", "1h30m", "7d"] {
            assert!(
                for_server(parse(bad).unwrap(), &caps, "--ttl").is_err(),
                "{bad}"
            );
        }
    }
}
