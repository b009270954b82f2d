//! Language tags.
//!
//! CAT tools write the same language as `EN-US`, `en_us` or `en-us`; the
//! memory stores one canonical BCP 47 form (`en-US`) so that they meet, and
//! keeps the primary subtag (`en`) separately so that a lookup by `en` finds
//! `en-US` and `en-GB` alike.

use crate::error::{Error, Result};

/// Canonical form of a language tag: primary subtag lower case, a 4-letter
/// script subtag title case, a 2-letter or 3-digit region upper case, the rest
/// lower case. `_` is accepted as a separator.
pub fn normalize_tag(tag: &str) -> Result<String> {
    let tag = tag.trim();
    let parts: Vec<&str> = tag.split(['-', '_']).collect();
    let valid = !parts.is_empty()
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && (2..=3).contains(&parts[0].len())
        && parts[0].chars().all(|c| c.is_ascii_alphabetic());
    if !valid {
        return Err(Error::Lang(tag.to_string()));
    }
    let mut out = parts[0].to_ascii_lowercase();
    for (i, p) in parts.iter().enumerate().skip(1) {
        out.push('-');
        let fixed = if p.len() == 4 && i == 1 && p.chars().all(|c| c.is_ascii_alphabetic()) {
            let mut s = p[..1].to_ascii_uppercase();
            s.push_str(&p[1..].to_ascii_lowercase());
            s
        } else if p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic())
            || p.len() == 3 && p.chars().all(|c| c.is_ascii_digit())
        {
            p.to_ascii_uppercase()
        } else {
            p.to_ascii_lowercase()
        };
        out.push_str(&fixed);
    }
    Ok(out)
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
    }

    #[test]
    fn bad_tags_are_refused() {
        for bad in ["", "e", "english!", "12", "en--us", "en US"] {
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
