//! The JSON shapes a remote [`super::Tm`] and the server exchange, defined
//! once for both sides so they cannot drift apart. Paths are under
//! `/api/v1`; docs/server.md lists them.

use serde::{Deserialize, Serialize};

use super::{DedupeRequest, Filter, TokenEntry, Written};
use crate::matcher::concordance::Hit;
use crate::matcher::{Match, Penalties};
use crate::memory::{Batch, OnDuplicate};
use crate::model::Unit;

/// Most queries in one `POST /lookup/queries` (and `/lookup/batch`).
pub const MAX_QUERIES: usize = 1000;

/// The name of a duplicate policy on the wire.
pub fn policy_name(p: OnDuplicate) -> &'static str {
    match p {
        OnDuplicate::KeepBoth => "keep-both",
        OnDuplicate::Skip => "skip",
        OnDuplicate::Overwrite => "overwrite",
    }
}

/// A duplicate policy by its wire name.
pub fn parse_policy(s: &str) -> Option<OnDuplicate> {
    match s {
        "keep-both" => Some(OnDuplicate::KeepBoth),
        "skip" => Some(OnDuplicate::Skip),
        "overwrite" => Some(OnDuplicate::Overwrite),
        _ => None,
    }
}

/// One line of the body of `POST /units/import` (newline-delimited JSON):
/// `begin`, then `unit` and `skipped` lines, then `end`. The server stores
/// the units in one transaction and commits only after an `end` whose
/// count agrees, so an upload cut short stores nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum WriteLine {
    /// The write's batch and policy.
    Begin {
        /// The client's command line, recorded as the batch's command.
        command: String,
        /// `keep-both`, `skip` or `overwrite`.
        on_duplicate: String,
        /// Groups (files) the units come in.
        groups: usize,
        /// The document whose earlier units the write replaces.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supersede: Option<super::Supersede>,
    },
    /// One unit of group `group`.
    Unit {
        /// Its group.
        group: usize,
        /// The variant that counts as the source for the policy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source_lang: Option<String>,
        /// The unit.
        unit: Box<Unit>,
    },
    /// Units of group `group` dropped before the store (empty ones).
    Skipped {
        /// Their group.
        group: usize,
        /// How many.
        n: u64,
    },
    /// The end: `units` unit lines were sent.
    End {
        /// Unit lines sent.
        units: u64,
    },
}

/// The answer of `POST /units/import`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteAnswer {
    /// Counts per group and the batch.
    #[serde(flatten)]
    pub written: Written,
    /// Where the server keeps the memory.
    pub memory: String,
}

/// One query of `POST /lookup/queries`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryIn {
    /// The text.
    pub text: String,
    /// The segment before it in its document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// The segment after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Penalty points of a lookup (each defaults to 1).
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PenaltiesIn {
    /// Case differs.
    pub case: f64,
    /// Punctuation differs.
    pub punctuation: f64,
    /// Per differing number.
    pub number: f64,
    /// Per missing inline tag.
    pub tag: f64,
}

impl From<Penalties> for PenaltiesIn {
    fn from(p: Penalties) -> Self {
        PenaltiesIn {
            case: p.case,
            punctuation: p.punctuation,
            number: p.number,
            tag: p.tag,
        }
    }
}

impl From<PenaltiesIn> for Penalties {
    fn from(p: PenaltiesIn) -> Self {
        Penalties {
            case: p.case,
            punctuation: p.punctuation,
            number: p.number,
            tag: p.tag,
        }
    }
}

/// `POST /lookup/queries`: many queries, each with its own context, and
/// the matcher's options.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueriesRequest {
    /// Source language.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi::LangTag))]
    pub from: String,
    /// Target language.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi::LangTag))]
    pub to: String,
    /// At most [`MAX_QUERIES`].
    #[cfg_attr(feature = "server", schema(max_items = 1000))]
    pub queries: Vec<QueryIn>,
    /// Lowest score, percent (default 70).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(minimum = 0, maximum = 101))]
    pub threshold: Option<f64>,
    /// Matches per query (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(minimum = 1, maximum = 10000))]
    pub limit: Option<usize>,
    /// Penalty points (default 1 each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalties: Option<PenaltiesIn>,
    /// Index candidates scored per query (0 or absent: automatic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(maximum = 10000))]
    pub candidates: Option<usize>,
}

/// The answer of `POST /lookup/queries`: each query's matches, in order.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueriesAnswer {
    /// One list per query.
    pub results: Vec<Vec<Match>>,
}

/// A write operation of `/tm/…` (and `/dedupe`): the request, and the
/// client's command line, which the batch records as its command (the
/// token's name is its user).
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op<T> {
    /// The operation's own fields.
    #[serde(flatten)]
    pub request: T,
    /// The client's command line.
    #[serde(default)]
    pub command: Option<String>,
}

/// `POST /dedupe`.
pub type DedupeIn = Op<DedupeRequest>;

/// `POST /tm/edit`: one variant's new text.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditIn {
    /// The unit.
    pub id: i64,
    /// The variant's language (its exact tag, or one that serves it).
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi::LangTag))]
    pub lang: String,
    /// The new text.
    pub text: String,
}

/// `POST /tm/delete`: every unit a (non-empty) filter selects.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteIn {
    /// Which units.
    pub filter: Filter,
}

/// `POST /tm/undo`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoIn {
    /// The batch to revert.
    pub batch: i64,
    /// Even when later batches changed the same units.
    #[serde(default)]
    pub force: bool,
    /// Run it and roll it back.
    #[serde(default)]
    pub dry_run: bool,
}

/// `GET /languages`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanguagesAnswer {
    /// Every stored tag, sorted.
    pub languages: Vec<String>,
    /// Stored units.
    pub units: u64,
}

/// `GET /tokens`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensAnswer {
    /// Every token (never a secret or a hash).
    pub tokens: Vec<TokenEntry>,
}

/// `POST /tokens`: a token made by the client, sent as the hex SHA-256 of
/// its secret (the secret itself never crosses the network).
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    /// Hex SHA-256 of the secret: 64 lower-case hex digits.
    #[cfg_attr(feature = "server", schema(pattern = "^[0-9a-f]{64}$"))]
    pub hash: String,
    /// `read`, `write` or `admin`.
    #[cfg_attr(feature = "server", schema(value_type = crate::server::openapi::RoleName))]
    pub role: String,
    /// A label for people.
    #[serde(default)]
    pub name: Option<String>,
}

/// The answer of `POST /tokens`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCreated {
    /// The new token's id.
    pub id: i64,
}

/// The answer of `DELETE /tokens/{id}`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRevoked {
    /// Whether it existed.
    pub revoked: bool,
}

/// The filters of `GET /units` and `GET /units/export` as query parameters
/// (lists comma-separated).
#[cfg_attr(feature = "server", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterQuery {
    /// Languages every unit must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", param(value_type = Option<crate::server::openapi::LangTags>, inline))]
    pub lang: Option<String>,
    /// Unit ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Origin glob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Exact creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Changed (else created) on or after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", param(value_type = Option<crate::server::openapi::DateBound>, inline))]
    pub since: Option<String>,
    /// Changed (else created) on or before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", param(value_type = Option<crate::server::openapi::DateBound>, inline))]
    pub until: Option<String>,
    /// A regular expression some text must match.
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

impl From<&Filter> for FilterQuery {
    fn from(f: &Filter) -> Self {
        let join = |v: Vec<String>| (!v.is_empty()).then(|| v.join(","));
        FilterQuery {
            lang: join(f.langs.clone()),
            id: join(f.ids.iter().map(|i| i.to_string()).collect()),
            origin: f.origin.clone(),
            created_by: f.created_by.clone(),
            since: f.since.clone(),
            until: f.until.clone(),
            pattern: f.pattern.clone(),
        }
    }
}

impl FilterQuery {
    /// The query parameters: `(name, value)`, unencoded.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        [
            ("lang", &self.lang),
            ("id", &self.id),
            ("origin", &self.origin),
            ("created_by", &self.created_by),
            ("since", &self.since),
            ("until", &self.until),
            ("match", &self.pattern),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect()
    }

    /// The filter; a unit id that is not a number is [`crate::Error::Invalid`].
    pub fn filter(&self) -> crate::Result<Filter> {
        let split = |s: &Option<String>| -> Vec<String> {
            s.as_deref()
                .map(|s| {
                    s.split(',')
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Filter {
            ids: split(&self.id)
                .iter()
                .map(|s| {
                    s.parse::<i64>()
                        .map_err(|_| crate::Error::Invalid(format!("id: {s:?} is not a unit id")))
                })
                .collect::<crate::Result<_>>()?,
            langs: split(&self.lang),
            origin: self.origin.clone(),
            created_by: self.created_by.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            pattern: self.pattern.clone(),
        })
    }
}

/// The answer of `GET /units` (one page).
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitsPage {
    /// The page's units.
    pub units: Vec<Unit>,
    /// Units the filters select in all.
    pub total: u64,
}

/// The answer of `GET /history`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryAnswer {
    /// The last batches, oldest first.
    pub batches: Vec<Batch>,
    /// Batches recorded in all.
    pub total: u64,
}

/// The answer of `GET /concordance`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConcordanceAnswer {
    /// Best first.
    pub hits: Vec<Hit>,
}

/// Every error answer: `{"error": "..."}`.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorAnswer {
    /// What went wrong.
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_lines_round_trip() {
        let lines = [
            WriteLine::Begin {
                command: "transmem import a.tmx".into(),
                on_duplicate: "skip".into(),
                groups: 2,
                supersede: None,
            },
            WriteLine::Unit {
                group: 1,
                source_lang: Some("en".into()),
                unit: Box::new(Unit::new(vec![
                    crate::model::Variant::new("en", "Yes."),
                    crate::model::Variant::new("ru", "Да."),
                ])),
            },
            WriteLine::Skipped { group: 0, n: 3 },
            WriteLine::End { units: 1 },
        ];
        for l in lines {
            let json = serde_json::to_string(&l).unwrap();
            assert!(!json.contains('\n'));
            assert_eq!(serde_json::from_str::<WriteLine>(&json).unwrap(), l);
        }
    }

    #[test]
    fn a_filter_survives_the_query_string() {
        let f = Filter {
            ids: vec![3, 9],
            langs: vec!["en".into(), "ru".into()],
            origin: Some("news/*".into()),
            pattern: Some("(?i)a,b".into()),
            ..Filter::default()
        };
        let q = FilterQuery::from(&f);
        assert_eq!(q.filter().unwrap(), f);
        assert!(
            FilterQuery {
                id: Some("x".into()),
                ..Default::default()
            }
            .filter()
            .is_err()
        );
    }

    #[test]
    fn policies_have_one_name_each() {
        for p in [
            OnDuplicate::KeepBoth,
            OnDuplicate::Skip,
            OnDuplicate::Overwrite,
        ] {
            assert_eq!(parse_policy(policy_name(p)), Some(p));
        }
        assert_eq!(parse_policy("both"), None);
    }
}
