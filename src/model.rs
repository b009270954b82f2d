//! The data model every part of transmem shares: a translation unit, its
//! language variants and their metadata.
//!
//! Formats read and write these, `align` produces them, and the store
//! (`memory`) keeps them; none of those modules defines its own copy.

use serde::{Deserialize, Serialize};

/// One language version of a unit. Read from JSON, a field left out is
/// empty.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Variant {
    /// Canonical language tag (see [`crate::lang::normalize_tag`]).
    pub lang: String,
    /// Plain text: what matching sees and what plain exports write.
    pub text: String,
    /// The TMX `<seg>` content with its inline codes, when it had any; an
    /// export writes this instead of `text` so that codes survive.
    pub markup: Option<String>,
    /// The segment before this one in the document it was aligned from.
    pub prev: Option<String>,
    /// The segment after this one in the document it was aligned from.
    pub next: Option<String>,
    /// TMX `<prop type=..>` values of the `<tuv>`, in order.
    pub props: Vec<(String, String)>,
    /// TMX `<note>` texts of the `<tuv>`, in order.
    pub notes: Vec<String>,
}

impl Variant {
    /// A variant with only a language and a text.
    pub fn new(lang: impl Into<String>, text: impl Into<String>) -> Variant {
        Variant {
            lang: lang.into(),
            text: text.into(),
            ..Variant::default()
        }
    }
}

/// A translation unit: what TMX calls a `<tu>`, one variant per language in
/// any number of languages, plus metadata. Read from JSON, a field left
/// out is empty.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Unit {
    /// Id in the memory; `None` until stored.
    pub id: Option<i64>,
    /// One variant per language, in the order they were given.
    pub variants: Vec<Variant>,
    /// The document or file the unit came from.
    pub origin: Option<String>,
    /// Creation time, TMX form `YYYYMMDDThhmmssZ`.
    pub created: Option<String>,
    /// Who created the unit.
    pub creator: Option<String>,
    /// Last change time, TMX form.
    pub changed: Option<String>,
    /// Who changed the unit last.
    pub changer: Option<String>,
    /// TMX `tuid`.
    pub tuid: Option<String>,
    /// TMX `usagecount`.
    pub usage_count: Option<i64>,
    /// Other `<tu>` attributes worth keeping (e.g. `srclang`, `datatype`).
    pub attrs: Vec<(String, String)>,
    /// TMX `<prop type=..>` values of the `<tu>`, in order.
    pub props: Vec<(String, String)>,
    /// TMX `<note>` texts of the `<tu>`, in order.
    pub notes: Vec<String>,
}

impl Unit {
    /// A unit holding these variants and nothing else.
    pub fn new(variants: Vec<Variant>) -> Unit {
        Unit {
            variants,
            ..Unit::default()
        }
    }

    /// The variant that serves language `lang` (see [`crate::lang::serves`]).
    pub fn variant(&self, lang: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.lang == lang).or_else(|| {
            self.variants
                .iter()
                .find(|v| crate::lang::serves(lang, &v.lang))
        })
    }

    /// Checks what every store requires of a unit: at least one variant,
    /// canonical language tags, at most one variant per language, and no
    /// character XML cannot hold (a C0 control) in its notes, properties,
    /// origin, creator or ids, which no TMX export could then write. Texts
    /// (and their context) may hold them: TMX carries a text's as
    /// placeholders.
    pub fn validate(&self) -> crate::Result<()> {
        use crate::Error;
        if self.variants.is_empty() {
            return Err(Error::InvalidUnit(
                "a translation unit needs at least one variant".into(),
            ));
        }
        let labels = [
            ("origin", &self.origin),
            ("creator", &self.creator),
            ("changer", &self.changer),
            ("tuid", &self.tuid),
            ("creation date", &self.created),
            ("change date", &self.changed),
        ];
        let fields = labels
            .iter()
            .filter_map(|(name, v)| v.as_deref().map(|v| (*name, v)))
            .chain(self.notes.iter().map(|n| ("note", n.as_str())))
            .chain(
                self.props
                    .iter()
                    .chain(&self.attrs)
                    .flat_map(|(k, v)| [("property name", k.as_str()), ("property", v.as_str())]),
            )
            .chain(self.variants.iter().flat_map(|v| {
                v.notes
                    .iter()
                    .map(|n| ("note", n.as_str()))
                    .chain(v.props.iter().flat_map(|(k, val)| {
                        [("property name", k.as_str()), ("property", val.as_str())]
                    }))
            }));
        for (name, value) in fields {
            if let Some(c) = value
                .chars()
                .find(|&c| crate::formats::tmx::xml_forbidden(c))
            {
                let shown: String = value.chars().take(60).collect();
                return Err(Error::InvalidUnit(format!(
                    "the {name} {shown:?} holds control character U+{:04X}, which XML (and so a TMX export) cannot hold",
                    c as u32
                )));
            }
        }
        for (i, v) in self.variants.iter().enumerate() {
            // A bare lower-case language ("en", "ru") is its own canonical
            // form: checked without building it, which was a fifth of the
            // store thread's own work in a 1M-unit import.
            let bare =
                (2..=8).contains(&v.lang.len()) && v.lang.bytes().all(|b| b.is_ascii_lowercase());
            if !bare && crate::lang::normalize_tag(&v.lang).ok().as_deref() != Some(v.lang.as_str())
            {
                return Err(Error::Lang(v.lang.clone()));
            }
            if self.variants[..i].iter().any(|w| w.lang == v.lang) {
                return Err(Error::InvalidUnit(format!(
                    "a translation unit holds one variant per language; {} appears twice",
                    v.lang
                )));
            }
        }
        Ok(())
    }
}
