//! What a match's source differs in from the query, word by word.
//!
//! Both texts are cut into words, spaces and punctuation marks; a longest
//! common subsequence on their normalised forms yields spans that together
//! spell the stored source (`equal` and `delete`) and the query (`equal` and
//! `insert`), in reading order.

use serde::{Deserialize, Serialize};

use crate::normalize::normalize;

/// One span of a diff.
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    /// `equal`: in both; `delete`: only in the stored source; `insert`:
    /// only in the query.
    pub op: &'static str,
    /// The text of the span.
    pub text: String,
}

/// A [`Span`] as read back from JSON (a server's answer).
#[derive(Deserialize)]
struct SpanRead {
    op: String,
    text: String,
}

impl<'de> Deserialize<'de> for Span {
    /// Anything but the three ops is an error.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        let s = SpanRead::deserialize(d)?;
        let op = ["equal", "delete", "insert"]
            .into_iter()
            .find(|o| *o == s.op)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown diff op {:?}", s.op)))?;
        Ok(Span { op, text: s.text })
    }
}

/// Words (letter/digit runs), white-space runs and single other characters.
fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let class = |c: char| {
        if c.is_alphanumeric() {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        }
    };
    let mut prev: Option<u8> = None;
    for (i, c) in text.char_indices() {
        let k = class(c);
        if i > start && (prev != Some(k) || k == 2) {
            out.push(&text[start..i]);
            start = i;
        }
        prev = Some(k);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// [`normalize`] of one piece, with a fast path for plain ASCII words.
fn fold(piece: &str) -> String {
    if piece.bytes().all(|b| b.is_ascii_alphanumeric()) {
        piece.to_ascii_lowercase()
    } else {
        normalize(piece)
    }
}

/// The diff from the stored `source` to the `query`.
pub fn diff(source: &str, query: &str) -> Vec<Span> {
    let a = pieces(source);
    let b = pieces(query);
    // Bound the quadratic table: very long segments diff as one replacement.
    if a.len() * b.len() > 250_000 {
        return merge(vec![("delete", source), ("insert", query)]);
    }
    let na: Vec<String> = a.iter().map(|p| fold(p)).collect();
    let nb: Vec<String> = b.iter().map(|p| fold(p)).collect();
    let eq = |i: usize, j: usize| {
        na[i] == nb[j] && (!na[i].is_empty() || a[i] == b[j] || a[i].trim().is_empty())
    };
    let (n, m) = (a.len(), b.len());
    let mut l = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            l[i * (m + 1) + j] = if eq(i, j) {
                l[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                l[(i + 1) * (m + 1) + j].max(l[i * (m + 1) + j + 1])
            };
        }
    }
    let mut ops = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && eq(i, j) {
            ops.push(("equal", a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || l[i * (m + 1) + j + 1] >= l[(i + 1) * (m + 1) + j]) {
            ops.push(("insert", b[j]));
            j += 1;
        } else {
            ops.push(("delete", a[i]));
            i += 1;
        }
    }
    merge(ops)
}

/// Joins neighbouring pieces of the same kind; within a run of changes,
/// deletions go before insertions (`[-old-]{+new+}`).
fn merge(mut ops: Vec<(&'static str, &str)>) -> Vec<Span> {
    // A stable sort of each run of non-equal pieces by kind.
    let mut i = 0;
    while i < ops.len() {
        let j = ops[i..]
            .iter()
            .position(|o| o.0 == "equal")
            .map_or(ops.len(), |k| i + k);
        ops[i..j].sort_by_key(|o| o.0 != "delete");
        i = j + 1;
    }
    let mut out: Vec<Span> = Vec::new();
    for (op, text) in ops {
        if text.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(text),
            _ => out.push(Span {
                op,
                text: text.to_string(),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(spans: &[Span], skip: &str) -> String {
        spans
            .iter()
            .filter(|s| s.op != skip)
            .map(|s| s.text.as_str())
            .collect()
    }

    #[test]
    fn spans_spell_both_texts() {
        let (s, q) = (
            "Талоны выдаются по понедельникам.",
            "Талоны выдаются по вторникам!",
        );
        let d = diff(s, q);
        assert_eq!(join(&d, "insert"), s);
        assert_eq!(join(&d, "delete"), q);
        assert!(
            d.iter()
                .any(|x| x.op == "delete" && x.text.contains("понедельникам"))
        );
    }

    #[test]
    fn deletions_come_before_insertions() {
        let d = diff("on day 1.", "on day 11");
        let ops: Vec<&str> = d.iter().map(|s| s.op).collect();
        assert_eq!(ops, ["equal", "delete", "insert"], "{d:?}");
    }

    #[test]
    fn case_and_quotes_are_equal() {
        let d = diff("He said “yes”.", "he said \"yes\".");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].op, "equal");
    }
}
