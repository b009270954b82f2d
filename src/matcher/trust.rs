//! Which matches a user trusts: filters on the matched unit (origin,
//! creator, date) and penalties for sources trusted less (an origin, an
//! age), applied to a lookup's matches after scoring, and listed in each
//! match's penalties like the others.

use crate::error::{Error, Result};
use crate::memory::{DateBound, Unit, UnitFilter};

use super::{Match, Penalty};

/// A penalty on where a match comes from.
#[derive(Debug, Clone)]
pub enum SourcePenalty {
    /// `origin:GLOB=N`: units whose origin matches GLOB lose N points.
    Origin {
        /// The compiled glob.
        glob: regex::Regex,
        /// Points off.
        points: f64,
    },
    /// `older-than:DAYS=N`: units last changed (else created) more than
    /// DAYS days ago lose N points.
    OlderThan {
        /// Age in days.
        days: u32,
        /// Points off.
        points: f64,
    },
}

impl SourcePenalty {
    /// Parses `origin:GLOB=N` or `older-than:DAYS=N`.
    pub fn parse(spec: &str) -> Result<SourcePenalty> {
        let bad = |why: &str| {
            Error::Invalid(format!(
                "penalty {spec:?}: {why} (expected origin:GLOB=N or older-than:DAYS=N)"
            ))
        };
        let (what, points) = spec.rsplit_once('=').ok_or_else(|| bad("no =N"))?;
        let points: f64 = points
            .trim()
            .parse()
            .ok()
            .filter(|p: &f64| p.is_finite() && *p >= 0.0)
            .ok_or_else(|| bad("N must be a number of 0 or more"))?;
        match what.split_once(':') {
            Some(("origin", glob)) if !glob.is_empty() => Ok(SourcePenalty::Origin {
                glob: UnitFilter::glob(glob)?,
                points,
            }),
            Some(("older-than", days)) => Ok(SourcePenalty::OlderThan {
                days: days
                    .trim()
                    .parse()
                    .map_err(|_| bad("DAYS must be a whole number"))?,
                points,
            }),
            _ => Err(bad("unknown kind")),
        }
    }

    fn charge(&self, unit: &Unit, today: i64) -> Option<Penalty> {
        match self {
            SourcePenalty::Origin { glob, points } => glob
                .is_match(unit.origin.as_deref().unwrap_or(""))
                .then_some(Penalty {
                    kind: "origin",
                    points: *points,
                }),
            SourcePenalty::OlderThan { days, points } => {
                let date = unit.changed.as_deref().or(unit.created.as_deref())?;
                let age = today - day_number(date)?;
                (age > i64::from(*days)).then_some(Penalty {
                    kind: "older-than",
                    points: *points,
                })
            }
        }
    }
}

/// Filters and penalties on the matched unit.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Only matches from units with an origin matching this glob.
    pub origin: Option<regex::Regex>,
    /// Only matches from units by this creator.
    pub creator: Option<String>,
    /// Only matches from units changed (else created) on or after this.
    pub since: Option<DateBound>,
    /// Penalties, each charged once per match.
    pub penalties: Vec<SourcePenalty>,
}

impl Trust {
    /// True when it changes nothing (no unit needs reading).
    pub fn is_empty(&self) -> bool {
        self.origin.is_none()
            && self.creator.is_none()
            && self.since.is_none()
            && self.penalties.is_empty()
    }

    /// Drops the matches whose unit fails a filter, charges the penalties,
    /// drops what falls below `threshold`, re-ranks by score and keeps
    /// `limit`. `unit_of` reads a matched unit by id; `today` is the day
    /// number of now (see [`today`]).
    pub fn apply(
        &self,
        matches: Vec<Match>,
        unit_of: &mut dyn FnMut(i64) -> Result<Option<Unit>>,
        today: i64,
        threshold: f64,
        limit: usize,
    ) -> Result<Vec<Match>> {
        let filter = UnitFilter {
            origin: self.origin.clone(),
            creator: self.creator.clone(),
            since: self.since.clone(),
            ..UnitFilter::default()
        };
        let mut out = Vec::with_capacity(matches.len());
        for mut m in matches {
            // A unit removed since the index saw it is no match.
            let Some(unit) = unit_of(m.id)? else { continue };
            if !filter.matches(&unit) {
                continue;
            }
            for p in &self.penalties {
                if let Some(charged) = p.charge(&unit, today) {
                    m.score = (m.score - charged.points).max(0.0);
                    if let Some(s) = m.substituted_score.as_mut() {
                        *s = (*s - charged.points).max(0.0);
                    }
                    m.penalties.push(charged);
                }
            }
            if m.score >= threshold {
                out.push(m);
            }
        }
        // Equal scores: the newest unit first, as the matcher orders them.
        out.sort_by(super::best_first);
        out.truncate(limit);
        Ok(out)
    }
}

/// Today's day number (days since 1970-01-01, UTC).
pub fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64 / 86_400)
        .unwrap_or(0)
}

/// The day number of a TMX date (`YYYYMMDD...`), if it is one.
pub(crate) fn day_number(date: &str) -> Option<i64> {
    let d = date.as_bytes().get(..8)?;
    if !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> i64 {
        d[r].iter().fold(0, |acc, b| acc * 10 + i64::from(b - b'0'))
    };
    let (y, m, day) = (n(0..4), n(4..6), n(6..8));
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Variant;

    #[test]
    fn day_numbers() {
        assert_eq!(day_number("19700101T000000Z"), Some(0));
        assert_eq!(day_number("20000301"), Some(11_017));
        assert_eq!(day_number("2000-03-01"), None);
        assert_eq!(day_number("20001301"), None);
    }

    #[test]
    fn specs_parse_or_say_why() {
        assert!(matches!(
            SourcePenalty::parse("origin:mt/*=5").unwrap(),
            SourcePenalty::Origin { points, .. } if points == 5.0
        ));
        assert!(matches!(
            SourcePenalty::parse("older-than:365=2.5").unwrap(),
            SourcePenalty::OlderThan { days: 365, points } if points == 2.5
        ));
        for bad in [
            "origin:x",
            "older-than:soon=1",
            "age:3=1",
            "origin:=3",
            "origin:x=-1",
        ] {
            assert!(SourcePenalty::parse(bad).is_err(), "{bad}");
        }
    }

    fn m(id: i64, score: f64) -> Match {
        Match {
            id,
            score,
            ..Match::default()
        }
    }

    #[test]
    fn filters_charge_rerank_and_cut() {
        let unit = |origin: &str, created: &str| Unit {
            variants: vec![Variant::new("en", "x")],
            origin: Some(origin.into()),
            created: Some(created.into()),
            ..Unit::default()
        };
        let units = [
            unit("mt/a.tmx", "20260101T000000Z"),
            unit("human.tmx", "20100101T000000Z"),
            unit("human.tmx", "20260101T000000Z"),
        ];
        let trust = Trust {
            penalties: vec![
                SourcePenalty::parse("origin:mt/*=10").unwrap(),
                SourcePenalty::parse("older-than:365=3").unwrap(),
            ],
            ..Trust::default()
        };
        let today = day_number("20260601").unwrap();
        let mut read = |id: i64| Ok(units.get(id as usize).cloned());
        let got = trust
            .apply(
                vec![m(0, 100.0), m(1, 95.0), m(2, 90.0), m(9, 99.0)],
                &mut read,
                today,
                85.0,
                5,
            )
            .unwrap();
        let ranked: Vec<(i64, f64)> = got.iter().map(|m| (m.id, m.score)).collect();
        // Equal scores: the newest unit (highest id) first.
        assert_eq!(ranked, [(1, 92.0), (2, 90.0), (0, 90.0)]);
        assert_eq!(got[0].penalties[0].kind, "older-than");
        assert_eq!(got[2].penalties[0].kind, "origin");
        let only_human = Trust {
            origin: Some(UnitFilter::glob("human*").unwrap()),
            since: Some(DateBound::parse("2020-01-01").unwrap()),
            ..Trust::default()
        };
        let got = only_human
            .apply(
                vec![m(0, 100.0), m(1, 95.0), m(2, 90.0)],
                &mut read,
                today,
                0.0,
                5,
            )
            .unwrap();
        assert_eq!(got.iter().map(|m| m.id).collect::<Vec<_>>(), [2]);
    }
}
