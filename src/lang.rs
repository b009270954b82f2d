//! Language tags.
//!
//! CAT tools write the same language as `EN-US`, `en_us` or `en-us`; the
//! memory stores one canonical BCP 47 form (`en-US`) so that they meet, and
//! keeps the primary subtag (`en`) separately so that a lookup by `en` finds
//! `en-US` and `en-GB` alike.

use crate::error::{Error, Result};

/// Canonical form of a BCP 47 language tag in any casing: primary subtag
/// lower case, a 4-letter script subtag title case, a 2-letter or 3-digit
/// region upper case, everything from a singleton (`-u-`, `-x-`) on lower
/// case, the rest lower case. `_` is accepted as a separator. Private-use
/// (`x-...`) and grandfathered `i-...` tags are accepted.
pub fn normalize_tag(tag: &str) -> Result<String> {
    let tag = tag.trim();
    let parts: Vec<&str> = tag.split(['-', '_']).collect();
    let alnum =
        |p: &&str| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric());
    let first = parts[0];
    let first_ok = ((2..=8).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_alphabetic()))
        || (parts.len() > 1
            && (first.eq_ignore_ascii_case("x") || first.eq_ignore_ascii_case("i")));
    if !first_ok || !parts.iter().all(alnum) {
        return Err(Error::Lang(tag.to_string()));
    }
    let mut out = first.to_ascii_lowercase();
    // After a singleton (extension or private use) subtags are opaque.
    let mut opaque = first.len() == 1;
    let mut region_seen = false;
    for p in &parts[1..] {
        out.push('-');
        let alpha = p.chars().all(|c| c.is_ascii_alphabetic());
        let fixed = if opaque || p.len() == 1 {
            opaque = true;
            p.to_ascii_lowercase()
        } else if p.len() == 4 && alpha && !region_seen {
            let mut s = p[..1].to_ascii_uppercase();
            s.push_str(&p[1..].to_ascii_lowercase());
            s
        } else if !region_seen
            && (p.len() == 2 && alpha || p.len() == 3 && p.chars().all(|c| c.is_ascii_digit()))
        {
            region_seen = true;
            p.to_ascii_uppercase()
        } else {
            p.to_ascii_lowercase()
        };
        out.push_str(&fixed);
    }
    Ok(out)
}

/// A language tag in canonical form (see [`normalize_tag`]): `EN`, `en_us`
/// and `en-US` all parse to `en-US`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LangTag(String);

impl LangTag {
    /// Parses and canonicalises `tag`.
    pub fn parse(tag: &str) -> Result<LangTag> {
        normalize_tag(tag).map(LangTag)
    }

    /// The canonical tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag: `en` for `en-US`.
    pub fn primary(&self) -> &str {
        primary(&self.0)
    }

    /// True when a variant stored as `stored` serves a request for this
    /// language (see [`serves`]).
    pub fn serves(&self, stored: &str) -> bool {
        serves(&self.0, stored)
    }
}

impl std::str::FromStr for LangTag {
    type Err = Error;
    fn from_str(s: &str) -> Result<LangTag> {
        LangTag::parse(s)
    }
}

impl std::fmt::Display for LangTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for LangTag {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<LangTag> for String {
    fn from(t: LangTag) -> String {
        t.0
    }
}

/// The primary language subtag of a canonical tag: `en` for `en-US`.
pub fn primary(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

/// True when a stored variant in `stored` serves a request for `wanted`:
/// a bare `en` takes any English; `en-US` takes `en-US` and a bare `en`.
pub fn serves(wanted: &str, stored: &str) -> bool {
    if wanted.eq_ignore_ascii_case(stored) {
        return true;
    }
    let wp = primary(wanted);
    if !wp.eq_ignore_ascii_case(primary(stored)) {
        return false;
    }
    !wanted.contains('-') || !stored.contains('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(normalize_tag("EN-US").unwrap(), "en-US");
        assert_eq!(normalize_tag("en_us").unwrap(), "en-US");
        assert_eq!(normalize_tag("ru").unwrap(), "ru");
        assert_eq!(normalize_tag("zh-hant-tw").unwrap(), "zh-Hant-TW");
        assert_eq!(normalize_tag("es-419").unwrap(), "es-419");
        assert_eq!(normalize_tag("EN").unwrap(), "en");
        assert_eq!(normalize_tag("en-gb").unwrap(), "en-GB");
        assert_eq!(
            normalize_tag("EN-us-U-CA-Gregory").unwrap(),
            "en-US-u-ca-gregory"
        );
        assert_eq!(normalize_tag("X-Klingon").unwrap(), "x-klingon");
        assert_eq!(normalize_tag("sr-latn-rs").unwrap(), "sr-Latn-RS");
        assert_eq!(normalize_tag("de-CH-1996").unwrap(), "de-CH-1996");
        let t: LangTag = "PT_br".parse().unwrap();
        assert_eq!((t.as_str(), t.primary()), ("pt-BR", "pt"));
        assert!(t.serves("pt") && !t.serves("pt-PT"));
    }

    #[test]
    fn bad_tags_are_refused() {
        for bad in [
            "",
            "e",
            "english!",
            "12",
            "en--us",
            "en US",
            "x",
            "en-toolongsubtag",
        ] {
            assert!(normalize_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bare_language_serves_regions() {
        assert!(serves("en", "en-US"));
        assert!(serves("en-US", "en"));
        assert!(serves("en-US", "en-US"));
        assert!(!serves("en-US", "en-GB"));
        assert!(!serves("en", "ru"));
    }
}
