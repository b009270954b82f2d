//! Maintenance types of the store: write batches (for `history` and
//! `undo`) and the unit filter shared by `units`, `delete` and `replace`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Unit;
use crate::error::{Error, Result};

/// One recorded write: a command's changes, with what `undo` needs.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// Batch id (increasing).
    pub id: i64,
    /// When it was committed, TMX form `YYYYMMDDThhmmssZ`.
    pub time: String,
    /// The command line that made it.
    pub command: String,
    /// Who ran it, if known.
    pub user: Option<String>,
    /// Counts: `inserted`, `overwritten`, `edited`, `deleted`, `restored`,
    /// and whatever the command added (`duplicates`, ...).
    pub counts: BTreeMap<String, u64>,
    /// Units it changed.
    pub units: u64,
    /// The batch that undid this one, if any.
    pub undone_by: Option<i64>,
    /// The batch this one undid, if it is an undo.
    pub undoes: Option<i64>,
}

/// What [`super::Writer::edit`] did.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Edited {
    /// The text changed; this was the old one.
    Changed(String),
    /// The variant already had this text: nothing written.
    Unchanged,
    /// No unit with that id.
    NoUnit,
    /// The unit has no variant in that language.
    NoVariant,
}

/// What [`super::Writer::undo`] did.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undone {
    /// Units the batch had created, now removed.
    pub removed: u64,
    /// Units put back as they were before the batch (changed or deleted by it).
    pub restored: u64,
    /// Later batches that had changed some of the same units (only when
    /// forced; otherwise the undo is refused).
    pub conflicts: Vec<i64>,
}

/// One end of a date range: a day (`2026-01-31`, `20260131`) or a TMX
/// timestamp (`20260131T120000Z`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateBound(String);

impl DateBound {
    /// Parses a day or a TMX timestamp; anything else is
    /// [`Error::Invalid`].
    pub fn parse(s: &str) -> Result<DateBound> {
        let compact: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | ':'))
            .collect();
        let ok_day = |d: &str| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit());
        // ASCII first: the slices below are byte ranges, and a multibyte
        // character across one of them panicked (`1234567éabcdefg`).
        let ok = compact.is_ascii()
            && (ok_day(&compact)
                || (compact.len() == 16
                    && ok_day(&compact[..8])
                    && &compact[8..9] == "T"
                    && compact[9..15].bytes().all(|b| b.is_ascii_digit())
                    && compact.ends_with('Z')));
        if ok {
            Ok(DateBound(compact))
        } else {
            Err(Error::Invalid(format!(
                "invalid date {s:?} (expected YYYY-MM-DD or YYYYMMDDThhmmssZ)"
            )))
        }
    }

    /// The bound in TMX form (a day is 8 digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `date` (TMX form) is on or after this bound.
    fn at_or_after(&self, date: &str) -> bool {
        date >= self.0.as_str()
    }

    /// `date` is on or before this bound (a day bound includes the whole day).
    fn at_or_before(&self, date: &str) -> bool {
        // Bytes, not str slices: a damaged date need not be ASCII.
        let n = self.0.len().min(date.len());
        date.as_bytes()[..n] <= self.0.as_bytes()[..n]
    }
}

/// A search and replace over stored texts (`transmem replace`, the
/// server's `POST /api/v1/replace`): a regular expression and a
/// replacement whose group references were checked against it.
#[derive(Debug, Clone)]
pub struct TextReplace {
    find: regex::Regex,
    replace: String,
}

impl TextReplace {
    /// Compiles `find` and checks `replace`: `$1`, `$name`, `${1}` and
    /// `${name}` must name a group `find` has, and `$$` is a dollar sign.
    /// A reference to a group that does not exist is refused: the regex
    /// crate reads `$1t` as the group named `1t` and puts nothing there,
    /// so `(\d+) tonnes` → `$1t` erased the number.
    pub fn new(find: &str, replace: &str) -> Result<TextReplace> {
        let re = regex::Regex::new(find)
            .map_err(|e| Error::Invalid(format!("find: bad regular expression: {e}")))?;
        for r in group_refs(replace) {
            let known = match r.parse::<usize>() {
                Ok(n) => n < re.captures_len(),
                Err(_) => re.capture_names().flatten().any(|n| n == r),
            };
            if known {
                continue;
            }
            let digits: String = r.chars().take_while(char::is_ascii_digit).collect();
            let hint = if !digits.is_empty() && digits.len() < r.len() {
                format!(
                    "; to put group {digits} before {:?}, write ${{{digits}}}{}",
                    &r[digits.len()..],
                    &r[digits.len()..]
                )
            } else {
                String::new()
            };
            let groups = re.captures_len() - 1;
            return Err(Error::Invalid(format!(
                "replace: the replacement refers to group {r:?}, which the pattern does not have \
                 (it has {groups} group{}{}){hint}; write $$ for a dollar sign",
                if groups == 1 { "" } else { "s" },
                {
                    let names: Vec<&str> = re.capture_names().flatten().collect();
                    if names.is_empty() {
                        String::new()
                    } else {
                        format!(", named {}", names.join(", "))
                    }
                }
            )));
        }
        Ok(TextReplace {
            find: re,
            replace: replace.to_string(),
        })
    }

    /// `text` with every match replaced, or `None` when nothing matches or
    /// the text would not change.
    pub fn apply(&self, text: &str) -> Option<String> {
        if !self.find.is_match(text) {
            return None;
        }
        let new = self.find.replace_all(text, self.replace.as_str());
        (new != text).then(|| new.into_owned())
    }
}

/// The group names and numbers a replacement refers to, as the regex crate
/// reads them: `$$` is a dollar sign, `${...}` is everything up to `}`,
/// `$name` the longest run of letters, digits and `_`.
fn group_refs(rep: &str) -> Vec<&str> {
    let b = rep.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => match rep[i + 2..].find('}') {
                Some(end) => {
                    out.push(&rep[i + 2..i + 2 + end]);
                    i += 3 + end;
                }
                None => i += 2,
            },
            _ => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j > start {
                    out.push(&rep[start..j]);
                }
                i = j.max(i + 1);
            }
        }
    }
    out
}

/// Which units a maintenance command works on. Every field narrows; an
/// empty filter takes every unit.
#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    /// Only these unit ids (empty: any).
    pub ids: Vec<i64>,
    /// Units holding a variant served by each of these languages
    /// ([`crate::lang::serves`]: `en` takes `en-US`).
    pub langs: Vec<String>,
    /// Origin glob (`*` any run, `?` one character), anchored.
    pub origin: Option<regex::Regex>,
    /// Exact creator.
    pub creator: Option<String>,
    /// Last change (else creation) on or after this.
    pub since: Option<DateBound>,
    /// Last change (else creation) on or before this.
    pub until: Option<DateBound>,
    /// A regular expression some variant's text must match.
    pub text: Option<regex::Regex>,
    /// Restricts `text` to variants of this language.
    pub text_lang: Option<String>,
}

impl UnitFilter {
    /// Compiles an origin glob (`*`, `?`) into the anchored form
    /// [`UnitFilter::origin`] holds.
    pub fn glob(pattern: &str) -> Result<regex::Regex> {
        let mut re = String::from("^");
        for c in pattern.chars() {
            match c {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        re.push('$');
        regex::Regex::new(&re).map_err(|e| Error::Invalid(format!("origin glob {pattern:?}: {e}")))
    }

    /// Whether `unit` passes every condition.
    pub fn matches(&self, unit: &Unit) -> bool {
        if !self.ids.is_empty() && !unit.id.is_some_and(|id| self.ids.contains(&id)) {
            return false;
        }
        let serves = |want: &str| {
            unit.variants
                .iter()
                .any(|v| crate::lang::serves(want, &v.lang))
        };
        if !self.langs.iter().all(|l| serves(l)) {
            return false;
        }
        if let Some(g) = &self.origin
            && !g.is_match(unit.origin.as_deref().unwrap_or(""))
        {
            return false;
        }
        if let Some(c) = &self.creator
            && unit.creator.as_deref() != Some(c.as_str())
        {
            return false;
        }
        let date = unit
            .changed
            .as_deref()
            .or(unit.created.as_deref())
            .unwrap_or("");
        if let Some(s) = &self.since
            && !s.at_or_after(date)
        {
            return false;
        }
        if let Some(u) = &self.until
            && (date.is_empty() || !u.at_or_before(date))
        {
            return false;
        }
        if let Some(re) = &self.text {
            let hit = unit.variants.iter().any(|v| {
                self.text_lang
                    .as_deref()
                    .is_none_or(|l| crate::lang::serves(l, &v.lang))
                    && re.is_match(&v.text)
            });
            if !hit {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Variant;

    fn u(origin: &str, changed: &str) -> Unit {
        Unit {
            id: Some(7),
            variants: vec![
                Variant::new("en-US", "Press release"),
                Variant::new("ru", "Пресс-релиз"),
            ],
            origin: Some(origin.into()),
            created: Some("20200101T000000Z".into()),
            changed: (!changed.is_empty()).then(|| changed.into()),
            creator: Some("ann".into()),
            ..Unit::default()
        }
    }

    #[test]
    fn each_condition_narrows() {
        let unit = u("news/2024/a.tmx", "20250315T101010Z");
        assert!(UnitFilter::default().matches(&unit));
        let f = |f: UnitFilter| f.matches(&unit);
        assert!(f(UnitFilter {
            ids: vec![7],
            ..Default::default()
        }));
        assert!(!f(UnitFilter {
            ids: vec![8],
            ..Default::default()
        }));
        assert!(f(UnitFilter {
            langs: vec!["en".into(), "ru".into()],
            ..Default::default()
        }));
        assert!(!f(UnitFilter {
            langs: vec!["de".into()],
            ..Default::default()
        }));
        let g = |p: &str| Some(UnitFilter::glob(p).unwrap());
        assert!(f(UnitFilter {
            origin: g("news/*.tmx"),
            ..Default::default()
        }));
        assert!(!f(UnitFilter {
            origin: g("news"),
            ..Default::default()
        }));
        assert!(f(UnitFilter {
            origin: g("news/202?/a.tmx"),
            ..Default::default()
        }));
        assert!(!f(UnitFilter {
            creator: Some("bob".into()),
            ..Default::default()
        }));
        let d = |s: &str| Some(DateBound::parse(s).unwrap());
        assert!(f(UnitFilter {
            since: d("2025-03-15"),
            ..Default::default()
        }));
        assert!(!f(UnitFilter {
            since: d("2025-03-16"),
            ..Default::default()
        }));
        // A day bound includes the whole day.
        assert!(f(UnitFilter {
            until: d("2025-03-15"),
            ..Default::default()
        }));
        assert!(!f(UnitFilter {
            until: d("20250315T100000Z"),
            ..Default::default()
        }));
        let re = |s: &str| Some(regex::Regex::new(s).unwrap());
        assert!(f(UnitFilter {
            text: re("Пресс"),
            ..Default::default()
        }));
        assert!(!f(UnitFilter {
            text: re("Пресс"),
            text_lang: Some("en".into()),
            ..Default::default()
        }));
        // Without `changed`, the creation date counts.
        let old = u("x", "");
        assert!(
            !UnitFilter {
                since: d("2021-01-01"),
                ..Default::default()
            }
            .matches(&old)
        );
    }

    #[test]
    fn replacement_groups_must_exist() {
        let r = TextReplace::new(r"(\d+) tonnes", "${1}t").unwrap();
        assert_eq!(
            r.apply("150 tonnes of wheat").as_deref(),
            Some("150t of wheat")
        );
        assert_eq!(r.apply("no number"), None);
        let e = TextReplace::new(r"(\d+) tonnes", "$1t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"1t\"") && e.contains("${1}t"), "{e}");
        assert!(TextReplace::new(r"(\d+) tonnes", "$name").is_err());
        assert!(TextReplace::new(r"(\d+) tonnes", "$2").is_err());
        assert!(TextReplace::new(r"(?P<n>\d+) t", "${n} tonnes $$5 $1").is_ok());
        assert!(TextReplace::new(r"x", "costs $$ and $").is_ok());
    }

    #[test]
    fn bad_dates_are_refused() {
        for bad in [
            "2025-13",
            "yesterday",
            "2025-01-01T10:00",
            "",
            // 16 bytes with a two-byte character across byte 8: no panic.
            "1234567éabcdefg",
            "12345678Té12345Z",
            "2025010é",
        ] {
            assert!(DateBound::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(DateBound::parse("2025-01-02").unwrap().as_str(), "20250102");
        assert_eq!(
            DateBound::parse("2025-01-02T10:11:12Z").unwrap().as_str(),
            "20250102T101112Z"
        );
    }
}
