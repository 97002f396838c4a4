//! Manage links: `{origin}/m/{alias}?lng={lang}#{base64url manage token}`.
//!
//! The sender's link to a secret's status and "destroy now". Built and parsed only here, so
//! the web app and the CLI make and accept exactly the same links.

use zeroize::Zeroizing;

use crate::link::{split_link, valid_lang};
use crate::{Alias, Error, ManageToken};

/// A parsed manage link. It holds the manage token, so it is neither `Clone` nor printable
/// in full; [`ManageLink::to_url`] is the one way to the whole text.
pub struct ManageLink {
    base: String,
    alias: Alias,
    lang: Option<String>,
    token: ManageToken,
}

impl ManageLink {
    /// A manage link for `alias` on the server at `base` (scheme, host, optional path
    /// prefix). An invalid `lang` (not 2–8 ASCII letters or hyphens) is left out.
    pub fn new(base: &str, alias: Alias, lang: Option<&str>, token: ManageToken) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            alias,
            lang: lang.filter(|l| valid_lang(l)).map(str::to_owned),
            token,
        }
    }

    /// Parses a manage link, with the same rules as a share link: a missing or malformed
    /// token is [`Error::Key`]; anything else malformed (a share link's `/s/` included) is
    /// [`Error::Link`]. Only an alias names the secret: the manage endpoints refuse ids.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let parts = split_link(url, "/m/", ManageToken::from_base64url)?;
        let alias =
            Alias::parse(parts.name).map_err(|_| Error::Link("the secret name is malformed"))?;
        Ok(Self::new(parts.base, alias, parts.lang, parts.fragment))
    }

    /// The full link, token included.
    pub fn to_url(&self) -> Zeroizing<String> {
        let mut url = self.url_without_token();
        url.push('#');
        url.push_str(&self.token.to_base64url());
        Zeroizing::new(url)
    }

    /// The link with its fragment removed.
    pub fn url_without_token(&self) -> String {
        crate::link::join_link(&self.base, "/m/", self.alias.as_str(), self.lang.as_deref())
    }

    /// Scheme, host and optional path prefix of the server, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The secret's alias.
    pub fn alias(&self) -> &Alias {
        &self.alias
    }

    /// The sender's language, if the link names a valid one.
    pub fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }

    /// The manage token (its proof is what the server checks).
    pub fn token(&self) -> &ManageToken {
        &self.token
    }
}

impl std::fmt::Debug for ManageLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ManageLink({}#***)", self.url_without_token())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "iZcjqbPIBnrWwHHkv_KDWeDcUr9hi3A0oMaVbgCVLrg";

    fn alias() -> Alias {
        Alias::parse("Kx7mP2nQ").unwrap()
    }

    #[test]
    fn round_trips() {
        for (base, lang) in [
            ("https://example.com", Some("es")),
            ("http://127.0.0.1:3000/share/", None),
            ("https://example.com", Some("pt-BR")),
        ] {
            let token = ManageToken::from_base64url(TOKEN).unwrap();
            let link = ManageLink::new(base, alias(), lang, token);
            let url = link.to_url();
            let again = ManageLink::parse(&url).unwrap();
            assert_eq!(again.base(), base.trim_end_matches('/'));
            assert_eq!(again.alias(), &alias());
            assert_eq!(again.lang(), lang);
            assert_eq!(again.token().to_base64url().as_str(), TOKEN);
            assert_eq!(again.to_url(), url);
        }
    }

    /// Both forms made before this type existed: the web app always wrote `?lng=`, the CLI
    /// only when asked; a trailing slash after the alias was accepted.
    #[test]
    fn parses_the_links_already_handed_out() {
        let app = format!("https://x.example/m/Kx7mP2nQ?lng=ar#{TOKEN}");
        let cli = format!("https://x.example/base/m/Kx7mP2nQ#{TOKEN}");
        let slash = format!("https://x.example/m/Kx7mP2nQ/#{TOKEN}");
        assert_eq!(ManageLink::parse(&app).unwrap().lang(), Some("ar"));
        assert_eq!(
            ManageLink::parse(&cli).unwrap().base(),
            "https://x.example/base"
        );
        assert_eq!(ManageLink::parse(&slash).unwrap().alias(), &alias());
        assert_eq!(ManageLink::parse(&app).unwrap().to_url().as_str(), app);
    }

    #[test]
    fn a_cut_off_token_is_a_key_error() {
        for url in [
            "https://x.example/m/Kx7mP2nQ".to_owned(),
            "https://x.example/m/Kx7mP2nQ?lng=en".to_owned(),
            "https://x.example/m/Kx7mP2nQ#".to_owned(),
            format!("https://x.example/m/Kx7mP2nQ#{}", &TOKEN[..40]),
            format!("https://x.example/m/Kx7mP2nQ#{TOKEN}x"),
        ] {
            assert!(matches!(ManageLink::parse(&url), Err(Error::Key)), "{url}");
        }
    }

    #[test]
    fn a_damaged_alias_or_a_share_link_is_a_link_error() {
        for url in [
            format!("https://x.example/m/Kx7mP2n#{TOKEN}"),
            format!("https://x.example/m/Kx7mP2n!#{TOKEN}"),
            format!("https://x.example/m/#{TOKEN}"),
            // An id names a secret in a share link, never in a manage link.
            format!("https://x.example/m/a1b2c3d4-0000-4000-8000-000000000001#{TOKEN}"),
            // A share link (its key has the same shape as a token).
            format!("https://x.example/s/Kx7mP2nQ#{TOKEN}"),
            format!("ftp://x.example/m/Kx7mP2nQ#{TOKEN}"),
            format!("https:///m/Kx7mP2nQ#{TOKEN}"),
        ] {
            assert!(
                matches!(ManageLink::parse(&url), Err(Error::Link(_))),
                "{url}"
            );
        }
        // And the other way round: a manage link is not a share link.
        let manage = format!("https://x.example/m/Kx7mP2nQ#{TOKEN}");
        assert!(matches!(crate::Link::parse(&manage), Err(Error::Link(_))));
    }

    #[test]
    fn debug_hides_the_token() {
        let link = ManageLink::parse(&format!("https://x.example/m/Kx7mP2nQ#{TOKEN}")).unwrap();
        let shown = format!("{link:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("/m/Kx7mP2nQ"), "{shown}");
    }
}
