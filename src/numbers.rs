//! Numbers, numeric dates and month names in the styles of the languages we
//! segment, for auto-substitution.
//!
//! A stored pair writes the same quantity in each language's style: English
//! `120,000` and `3.2`, Russian `120 000` (space, no-break or thin space)
//! and `3,2`, German `120.000` and `3,2`, French `120 000` and `3,2`; dates as
//! `June 20` ↔ `20 июня`, `05/29/2024` ↔ `29.05.2024`. Nothing here decides
//! what a separator *means* from the language: two numbers are the same
//! figure when they have the same digits with separators at the same places
//! (counted from the right), and the pair then shows how one style maps onto
//! the other. That mapping writes the query's figure in the target's style.

/// Characters that group digits by thousands or mark decimals.
fn is_sep(c: char) -> bool {
    matches!(
        c,
        ',' | '.' | ' ' | '\u{A0}' | '\u{202F}' | '\u{2009}' | '\''
    )
}

/// Space-like group separators: only ever between groups of three digits.
pub(crate) fn is_space_sep(c: char) -> bool {
    matches!(c, ' ' | '\u{A0}' | '\u{202F}' | '\u{2009}')
}

/// A figure cut into its digits and the separators between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Figure {
    /// All digits, in order.
    pub digits: String,
    /// Each separator with the number of digits to its right.
    pub seps: Vec<(usize, char)>,
}

/// Parses a figure: digits with single separators between digit runs
/// (`120,000`, `120 000`, `3,2`, `1.234,5`). `None` for anything else,
/// dates included (see [`Date`]).
pub(crate) fn figure(s: &str) -> Option<Figure> {
    let mut digits = String::new();
    let mut raw: Vec<(usize, char)> = Vec::new();
    let mut prev_digit = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            prev_digit = true;
        } else if is_sep(c) && prev_digit {
            raw.push((digits.len(), c));
            prev_digit = false;
        } else {
            return None;
        }
    }
    if !prev_digit {
        return None;
    }
    let n = digits.len();
    Some(Figure {
        seps: raw.into_iter().map(|(at, c)| (n - at, c)).collect(),
        digits,
    })
}

/// How the separators of one style are written in another, learned from a
/// pair of figures that are the same number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StyleMap(Vec<(char, char)>);

impl StyleMap {
    /// The mapping that turns `from` into `to`, when they are the same
    /// figure (same digits, separators at the same places, each separator
    /// of `from` always written the same way in `to`).
    pub fn learn(from: &Figure, to: &Figure) -> Option<StyleMap> {
        if from.digits != to.digits || from.seps.len() != to.seps.len() {
            return None;
        }
        let mut map: Vec<(char, char)> = Vec::new();
        for (&(a, fc), &(b, tc)) in from.seps.iter().zip(&to.seps) {
            if a != b {
                return None;
            }
            match map.iter().find(|m| m.0 == fc) {
                Some(m) if m.1 != tc => return None,
                Some(_) => {}
                None => map.push((fc, tc)),
            }
        }
        Some(StyleMap(map))
    }

    /// The target's form of separator `c`: learned, or inferred from what
    /// was learned (a style that writes `,` as a space writes `.` as `,`).
    fn get(&self, c: char) -> char {
        if let Some(m) = self.0.iter().find(|m| m.0 == c) {
            return m.1;
        }
        let Some(&(k, v)) = self.0.first() else {
            return c;
        };
        if k == v {
            return c;
        }
        // The other of the two roles (group, decimal): the source's other
        // separator becomes the target's other separator.
        let target_other = |v: char| match v {
            ',' => '.',
            '.' => ',',
            _ => ',',
        };
        let source_is_space = |c: char| is_space_sep(c) || c == '\'';
        match (source_is_space(c), source_is_space(k)) {
            // The source's group is a space, its decimal `k` maps to `v`.
            (true, false) => {
                if v == ',' {
                    '\u{A0}'
                } else {
                    ','
                }
            }
            (false, true) => {
                if v == '.' {
                    ','
                } else {
                    '.'
                }
            }
            _ => target_other(v),
        }
    }

    /// `figure` (as written in the source's style) in the target's style.
    pub fn apply(&self, figure: &str) -> String {
        figure
            .chars()
            .map(|c| if is_sep(c) { self.get(c) } else { c })
            .collect()
    }
}

/// A numeric date: day, month, year as written, with its layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Date {
    /// Year as written (two or four digits).
    pub y: u32,
    /// Month, 1–12.
    pub m: u32,
    /// Day of the month, 1–31.
    pub d: u32,
    /// Which order the parts were written in.
    pub order: Order,
    /// The separator between the parts (`.`, `/`, `-`).
    pub sep: char,
    /// Day and month written with a leading zero.
    pub padded: bool,
}

/// The order of a numeric date's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// 29.05.2024, 29/05/2024 (most of Europe, Russia)
    Dmy,
    /// 05/29/2024 (United States)
    Mdy,
    /// 2024-05-29 (ISO 8601)
    Ymd,
}

/// The readings of a numeric date (`29.05.2024` has one, `05/06/2024` two).
pub(crate) fn dates(s: &str) -> Vec<Date> {
    let Some(sep) = s.chars().find(|c| matches!(c, '.' | '/' | '-')) else {
        return Vec::new();
    };
    let parts: Vec<&str> = s.split(sep).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Vec::new();
    }
    let num = |p: &str| p.parse::<u32>().ok();
    let (Some(a), Some(b), Some(c)) = (num(parts[0]), num(parts[1]), num(parts[2])) else {
        return Vec::new();
    };
    let padded = parts[0].len() == 2 && parts[1].len() == 2 || parts[0].len() == 4;
    let ok = |m: u32, d: u32| (1..=12).contains(&m) && (1..=31).contains(&d);
    let mut out = Vec::new();
    let mut push = |y, m, d, order| {
        if ok(m, d) {
            out.push(Date {
                y,
                m,
                d,
                order,
                sep,
                padded,
            });
        }
    };
    if parts[0].len() == 4 && parts[1].len() <= 2 && parts[2].len() <= 2 {
        push(a, b, c, Order::Ymd);
    } else if parts[2].len() == 4 && parts[0].len() <= 2 && parts[1].len() <= 2 {
        push(c, b, a, Order::Dmy);
        push(c, a, b, Order::Mdy);
    }
    out
}

impl Date {
    /// This date written in `layout`'s order, separator and padding.
    pub fn write_as(&self, layout: &Date) -> String {
        let f = |v: u32| {
            if layout.padded {
                format!("{v:02}")
            } else {
                v.to_string()
            }
        };
        let s = layout.sep;
        match layout.order {
            Order::Dmy => format!("{}{s}{}{s}{}", f(self.d), f(self.m), self.y),
            Order::Mdy => format!("{}{s}{}{s}{}", f(self.m), f(self.d), self.y),
            Order::Ymd => format!("{}{s}{:02}{s}{:02}", self.y, self.m, self.d),
        }
    }
}

/// Month names per language, in forms a date uses: (language, form, names
/// January..December). Russian and Ukrainian dates use the genitive
/// (`20 июня`), headings the nominative (`июнь`).
const MONTHS: &[(&str, &str, [&str; 12])] = &[
    (
        "en",
        "full",
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
    ),
    (
        "en",
        "short",
        [
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
    ),
    (
        "ru",
        "genitive",
        [
            "января",
            "февраля",
            "марта",
            "апреля",
            "мая",
            "июня",
            "июля",
            "августа",
            "сентября",
            "октября",
            "ноября",
            "декабря",
        ],
    ),
    (
        "ru",
        "nominative",
        [
            "январь",
            "февраль",
            "март",
            "апрель",
            "май",
            "июнь",
            "июль",
            "август",
            "сентябрь",
            "октябрь",
            "ноябрь",
            "декабрь",
        ],
    ),
    (
        "uk",
        "genitive",
        [
            "січня",
            "лютого",
            "березня",
            "квітня",
            "травня",
            "червня",
            "липня",
            "серпня",
            "вересня",
            "жовтня",
            "листопада",
            "грудня",
        ],
    ),
    (
        "de",
        "full",
        [
            "januar",
            "februar",
            "märz",
            "april",
            "mai",
            "juni",
            "juli",
            "august",
            "september",
            "oktober",
            "november",
            "dezember",
        ],
    ),
    (
        "fr",
        "full",
        [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
    ),
    (
        "es",
        "full",
        [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
    ),
    (
        "it",
        "full",
        [
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ],
    ),
];

/// A month name: which month, and the table row (language and form) it
/// was found in. A word in several rows (`august`, `mai`) keeps all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Month {
    /// 1..=12
    pub month: usize,
    /// Indices into the month table.
    pub rows: Vec<usize>,
}

/// The month `word` names in any language we know, if any.
pub(crate) fn month(word: &str) -> Option<Month> {
    let w = word.to_lowercase();
    let mut found: Option<Month> = None;
    for (r, (_, _, names)) in MONTHS.iter().enumerate() {
        if let Some(i) = names.iter().position(|n| *n == w) {
            match &mut found {
                Some(m) if m.month == i + 1 => m.rows.push(r),
                Some(_) => return None,
                None => {
                    found = Some(Month {
                        month: i + 1,
                        rows: vec![r],
                    })
                }
            }
        }
    }
    found
}

/// Month `month` (1..=12) written in the language and form of `like`, with
/// its capitalisation; `like_word` is the word as written.
pub(crate) fn month_as(
    month: usize,
    like: &Month,
    like_word: &str,
    source_rows: &[usize],
) -> String {
    // Prefer the target's row in the source's language family when the
    // target word is ambiguous (August is both English and German).
    let row = like
        .rows
        .iter()
        .find(|r| !source_rows.contains(r))
        .or(like.rows.first())
        .copied()
        .unwrap_or(0);
    let name = MONTHS[row].2[month - 1];
    let mut chars = like_word.chars();
    let upper_first = chars.next().is_some_and(char::is_uppercase);
    let all_upper = like_word.chars().count() > 1 && like_word.chars().all(|c| !c.is_lowercase());
    if all_upper {
        name.to_uppercase()
    } else if upper_first {
        let mut c = name.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(a: &str, b: &str) -> StyleMap {
        StyleMap::learn(&figure(a).unwrap(), &figure(b).unwrap()).unwrap()
    }

    #[test]
    fn figures_in_every_grouping_style_pair_up() {
        assert_eq!(map("120,000", "120 000").apply("150,000"), "150 000");
        assert_eq!(
            map("120,000", "120\u{A0}000").apply("1,250,000"),
            "1\u{A0}250\u{A0}000"
        );
        assert_eq!(map("3.2", "3,2").apply("4.75"), "4,75");
        assert_eq!(map("1,234.5", "1.234,5").apply("9,876.25"), "9.876,25");
        assert_eq!(map("120 000", "120,000").apply("130 000"), "130,000");
        // Learned only the group separator: the decimal is inferred.
        assert_eq!(map("120,000", "120 000").apply("2.5"), "2,5");
        assert_eq!(map("3,2", "3.2").apply("1 500,5"), "1,500.5");
        assert!(StyleMap::learn(&figure("3.2").unwrap(), &figure("32").unwrap()).is_none());
        assert!(StyleMap::learn(&figure("1,20").unwrap(), &figure("12,0").unwrap()).is_none());
        assert!(figure("12a").is_none() && figure("12,").is_none());
    }

    #[test]
    fn dates_convert_between_layouts() {
        let us = dates("05/29/2024");
        assert_eq!(us.len(), 1);
        let ru = dates("29.05.2024")[0];
        let q = dates("06/03/2024")
            .into_iter()
            .find(|d| d.order == us[0].order)
            .unwrap();
        assert_eq!(q.write_as(&ru), "03.06.2024");
        assert_eq!(ru.write_as(&dates("2024-01-02")[0]), "2024-05-29");
        assert!(dates("13.12.2024").len() == 1 && dates("40.40.2024").is_empty());
    }

    #[test]
    fn month_names_translate_in_form() {
        let june = month("June").unwrap();
        let ru = month("июня").unwrap();
        assert_eq!(june.month, 6);
        assert_eq!(month_as(7, &ru, "июня", &june.rows), "июля");
        assert_eq!(
            month_as(7, &month("Juni").unwrap(), "Juni", &june.rows),
            "Juli"
        );
        assert_eq!(month_as(3, &month("май").unwrap(), "Май", &[]), "Март");
        assert!(month("Monday").is_none());
    }
}
