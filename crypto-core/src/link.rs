//! Share links: `{origin}/s/{alias}?lng={lang}#{base64url master key}`.

use zeroize::Zeroizing;

use crate::{Error, MasterKey, SecretRef};

/// A parsed share link. It holds the master key, so it is neither `Clone` nor printable
/// in full.
pub struct Link {
    base: String,
    secret: SecretRef,
    lang: Option<String>,
    key: MasterKey,
}

impl Link {
    /// A link to `secret` on the server at `base` (scheme, host, optional path prefix).
    ///
    /// An invalid `lang` (not 2–8 ASCII letters or hyphens) is left out of the link.
    pub fn new(base: &str, secret: SecretRef, lang: Option<&str>, key: MasterKey) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            secret,
            lang: lang.filter(|l| valid_lang(l)).map(str::to_owned),
            key,
        }
    }

    /// Parses a link. Every check is local, so a bad link fails before any network call:
    /// a missing or malformed key is [`Error::Key`], anything else malformed is
    /// [`Error::Link`].
    pub fn parse(url: &str) -> Result<Self, Error> {
        let parts = split_link(url, "/s/", MasterKey::from_base64url)?;
        let secret = SecretRef::parse(parts.name)
            .map_err(|_| Error::Link("the secret name is malformed"))?;
        Ok(Self::new(parts.base, secret, parts.lang, parts.fragment))
    }

    /// The full link, key included.
    pub fn to_url(&self) -> Zeroizing<String> {
        let mut url = self.url_without_key();
        url.push('#');
        url.push_str(&self.key.to_base64url());
        Zeroizing::new(url)
    }

    /// The link with its fragment removed: the only form that may reach a server.
    pub fn url_without_key(&self) -> String {
        join_link(
            &self.base,
            "/s/",
            self.secret.as_str(),
            self.lang.as_deref(),
        )
    }

    /// Scheme, host and optional path prefix of the server, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The secret's alias (or id).
    pub fn secret(&self) -> &SecretRef {
        &self.secret
    }

    /// The sender's language, if the link names a valid one.
    pub fn lang(&self) -> Option<&str> {
        self.lang.as_deref()
    }

    /// The master key.
    pub fn key(&self) -> &MasterKey {
        &self.key
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Link({}#***)", self.url_without_key())
    }
}

/// A link taken apart: `{base}{marker}{name}?…lng={lang}…#{fragment}`. Shared by share
/// links (`/s/`) and manage links (`/m/`), so both accept exactly the same shapes.
pub(crate) struct LinkParts<'a, T> {
    pub(crate) base: &'a str,
    pub(crate) name: &'a str,
    pub(crate) lang: Option<&'a str>,
    /// The decoded fragment (the key or token).
    pub(crate) fragment: T,
}

/// Splits a link and decodes its fragment with `decode`. A missing or malformed fragment
/// is [`Error::Key`], checked first (a link cut off at the `#` is the common failure); any
/// other malformation is [`Error::Link`].
pub(crate) fn split_link<'a, T>(
    url: &'a str,
    marker: &str,
    decode: impl FnOnce(&str) -> Result<T, Error>,
) -> Result<LinkParts<'a, T>, Error> {
    let url = url.trim();
    let (before_fragment, fragment) = url.split_once('#').ok_or(Error::Key)?;
    let fragment = decode(fragment)?;
    let (path, query) = match before_fragment.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (before_fragment, None),
    };
    let after_scheme = ["https://", "http://"]
        .iter()
        .find_map(|scheme| strip_prefix_ignore_case(path, scheme))
        .ok_or(Error::Link("it must start with https:// or http://"))?;
    let scheme_len = path.len() - after_scheme.len();
    let split = path
        .rfind(marker)
        .filter(|&at| at >= scheme_len)
        .ok_or(Error::Link(match marker {
            "/m/" => "it has no /m/ path",
            "/r/" => "it has no /r/ path",
            "/i/" => "it has no /i/ path",
            _ => "it has no /s/ path",
        }))?;
    let base = path[..split].trim_end_matches('/');
    let host = base
        .get(scheme_len..)
        .and_then(|rest| rest.split('/').next());
    if host.is_none_or(|h| h.is_empty() || h.contains(char::is_whitespace)) {
        return Err(Error::Link("it has no host"));
    }
    let lang = query.and_then(|q| {
        q.split('&')
            .filter_map(|pair| pair.strip_prefix("lng="))
            .find(|l| valid_lang(l))
    });
    Ok(LinkParts {
        base,
        name: path[split + marker.len()..].trim_end_matches('/'),
        lang,
        fragment,
    })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `{base}{kind}{name}?lng={lang}`: a link without its fragment, the inverse of
/// [`split_link`].
pub(crate) fn join_link(base: &str, kind: &str, name: &str, lang: Option<&str>) -> String {
    let mut url = format!("{base}{kind}{name}");
    if let Some(lang) = lang {
        url.push_str("?lng=");
        url.push_str(lang);
    }
    url
}

/// A language tag worth keeping in a link: 2–8 ASCII letters or hyphens.
pub(crate) fn valid_lang(lang: &str) -> bool {
    (2..=8).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Alias;

    const KEY: &str = "iZcjqbPIBnrWwHHkv_KDWeDcUr9hi3A0oMaVbgCVLrg";

    #[test]
    fn parses_the_reference_example() {
        let link = Link::parse(&format!("https://example.com/s/Kx7mP2nQ?lng=en#{KEY}")).unwrap();
        assert_eq!(link.base(), "https://example.com");
        assert_eq!(link.secret().as_str(), "Kx7mP2nQ");
        assert_eq!(link.lang(), Some("en"));
        assert_eq!(link.key().to_base64url().as_str(), KEY);
        assert_eq!(
            link.to_url().as_str(),
            format!("https://example.com/s/Kx7mP2nQ?lng=en#{KEY}")
        );
        assert_eq!(
            link.url_without_key(),
            "https://example.com/s/Kx7mP2nQ?lng=en"
        );
        assert!(!format!("{link:?}").contains(KEY));
    }

    #[test]
    fn builds_with_prefix_port_and_no_lang() {
        let alias = SecretRef::Alias(Alias::parse("AbCd1234").unwrap());
        let key = MasterKey::from_base64url(KEY).unwrap();
        let link = Link::new("http://127.0.0.1:3000/share/", alias, None, key);
        let url = link.to_url();
        assert_eq!(
            url.as_str(),
            format!("http://127.0.0.1:3000/share/s/AbCd1234#{KEY}")
        );
        let again = Link::parse(&url).unwrap();
        assert_eq!(again.base(), "http://127.0.0.1:3000/share");
        assert_eq!(again.lang(), None);
    }

    #[test]
    fn key_problems_are_key_errors() {
        for url in [
            "https://example.com/s/Kx7mP2nQ?lng=en",
            "https://example.com/s/Kx7mP2nQ#",
            "https://example.com/s/Kx7mP2nQ#tooshort",
            &format!("https://example.com/s/Kx7mP2nQ#{}", &KEY[..40]),
            &format!("https://example.com/s/Kx7mP2nQ#{KEY}x"),
        ] {
            assert!(matches!(Link::parse(url), Err(Error::Key)), "{url}");
        }
    }

    #[test]
    fn other_problems_are_link_errors() {
        for url in [
            format!("ftp://example.com/s/Kx7mP2nQ#{KEY}"),
            format!("https://example.com/x/Kx7mP2nQ#{KEY}"),
            format!("https:///s/Kx7mP2nQ#{KEY}"),
            format!("https://example.com/s/Kx7m#{KEY}"),
            format!("https://example.com/s/#{KEY}"),
            format!("example.com/s/Kx7mP2nQ#{KEY}"),
            format!("https://s/#{KEY}"),
            format!("https:////s/Kx7mP2nQ#{KEY}"),
            format!("https://a b/s/Kx7mP2nQ#{KEY}"),
        ] {
            assert!(matches!(Link::parse(&url), Err(Error::Link(_))), "{url}");
        }
    }

    #[test]
    fn odd_languages_are_dropped() {
        let link = Link::parse(&format!("https://e.com/s/Kx7mP2nQ?a=1&lng=<x>#{KEY}")).unwrap();
        assert_eq!(link.lang(), None);
        let link = Link::parse(&format!("https://e.com/s/Kx7mP2nQ?a=1&lng=pt-BR#{KEY}")).unwrap();
        assert_eq!(link.lang(), Some("pt-BR"));
    }
}
