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

/// Checks that every subtag of `tag` (canonical, see [`normalize_tag`]) is
/// in the IANA Language Subtag Registry (RFC 5646 "valid"): `xx` and `rn-XX`
/// are well-formed but name no language or region. Private-use tags
/// (`x-...`, `qaa`–`qtz`) pass. The error says which subtag is unknown.
pub fn check_registered(tag: &str) -> Result<()> {
    use language_tags::{LanguageTag, ValidationError as V};
    let parsed = LanguageTag::parse(tag).map_err(|_| Error::Lang(tag.to_string()))?;
    let e = match parsed.validate() {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let what = match e {
        V::PrimaryLanguageNotInRegistry => {
            format!("{} is not a language", parsed.primary_language())
        }
        V::ScriptNotInRegistry => format!("{} is not a script", parsed.script().unwrap_or("")),
        V::RegionNotInRegistry => format!("{} is not a region", parsed.region().unwrap_or("")),
        V::VariantNotInRegistry | V::WrongVariantPrefix => {
            format!(
                "{} is not a variant of this language",
                parsed.variant().unwrap_or("")
            )
        }
        other => other.to_string(),
    };
    Err(Error::Invalid(format!(
        "{what} in the IANA language subtag registry (tag {tag})"
    )))
}

/// What the memory holds, for a message about a language `want` it does
/// not hold: "it holds en, ru; did you mean ru?" (the CLI and the server
/// say the same). `held` are primary subtags.
pub fn holdings(want: &str, held: &[String]) -> String {
    let near = nearest(want, held);
    format!(
        "it holds {}{}",
        if held.is_empty() {
            "no units yet".to_string()
        } else {
            held.join(", ")
        },
        if near.is_empty() {
            String::new()
        } else {
            format!("; did you mean {}?", near.join(" or "))
        }
    )
}

/// The language codes among `held` (the memory's, primary subtags) nearest
/// to the mistyped `bad`: one edit away (`rn` → `ru`, `en`), those with the
/// same first letter first when there are several, as typos seldom hit the
/// first letter. Empty when none is that close.
pub fn nearest<'a>(bad: &str, held: &'a [String]) -> Vec<&'a str> {
    let bad = primary(bad).to_ascii_lowercase();
    let mut near: Vec<(bool, &str)> = held
        .iter()
        .map(String::as_str)
        .filter(|h| *h != bad && strsim::damerau_levenshtein(&bad, h) == 1)
        .map(|h| (h.chars().next() != bad.chars().next(), h))
        .collect();
    near.sort();
    near.dedup();
    match near.first() {
        Some(&(false, _)) => near.into_iter().take_while(|n| !n.0).map(|n| n.1).collect(),
        _ => near.into_iter().map(|n| n.1).collect(),
    }
}

/// The script the registry suppresses for `lang` (the one its text is
/// written in unless a tag says otherwise: `Latn` for `rn`, `Cyrl` for
/// `ru`), among the scripts [`crate::script`] tells apart; `None` when the
/// registry names none.
pub(crate) fn suppress_script(lang: &str) -> Option<&'static str> {
    use language_tags::LanguageTag;
    const SCRIPTS: [&str; 11] = [
        "Latn", "Cyrl", "Grek", "Arab", "Hebr", "Hang", "Geor", "Armn", "Deva", "Thai", "Jpan",
    ];
    let p = primary(lang).to_ascii_lowercase();
    // Private use (`x-...`, `qaa`) and unknown languages have no script.
    let known = p.len() >= 2
        && LanguageTag::parse(&p).is_ok_and(|t| t.is_valid() && t.private_use().is_none());
    if !known || ("qaa"..="qtz").contains(&p.as_str()) {
        return None;
    }
    SCRIPTS.into_iter().find(|s| {
        LanguageTag::parse(&format!("{p}-{s}"))
            .ok()
            .and_then(|t| t.canonicalize().ok())
            .is_some_and(|c| c.script().is_none())
    })
}

/// The primary language subtag of a canonical tag: `en` for `en-US`.
pub fn primary(tag: &str) -> &str {
    tag.split('-').next().unwrap_or(tag)
}

/// The primary language subtag of a tag as a user writes it (any case,
/// `_` or `-`, spaces around it): `en` for ` EN_gb`.
pub fn primary_of(tag: &str) -> String {
    primary(&tag.trim().to_ascii_lowercase().replace('_', "-")).to_string()
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
    fn registry_refuses_unknown_subtags() {
        for good in [
            "en",
            "ru",
            "rn",
            "en-US",
            "sr-Latn-RS",
            "zh-Hant-TW",
            "x-klingon",
            "es-419",
            "qaa",
        ] {
            assert!(
                check_registered(&normalize_tag(good).unwrap()).is_ok(),
                "{good}"
            );
        }
        for (bad, what) in [
            ("xx", "xx is not a language"),
            ("en-AB", "AB is not a region"),
            ("ru-Abcd", "Abcd is not a script"),
        ] {
            let e = check_registered(&normalize_tag(bad).unwrap())
                .unwrap_err()
                .to_string();
            assert!(e.contains(what) && e.contains("IANA"), "{bad}: {e}");
        }
        let held = vec!["de".to_string(), "en".to_string(), "ru".to_string()];
        assert_eq!(nearest("rn", &held), ["ru"]);
        assert_eq!(nearest("ur", &held), ["ru"]);
        assert_eq!(nearest("xx", &held), Vec::<&str>::new());
        assert_eq!(suppress_script("rn"), Some("Latn"));
        assert_eq!(suppress_script("ru-RU"), Some("Cyrl"));
        assert_eq!(suppress_script("zh"), None);
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
