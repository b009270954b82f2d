//! The rule engine: ordered SRX-style break / no-break rules.
//!
//! A rule is a pair of regular expressions, `before` (must match text ending
//! at a position) and `after` (must match text starting there). At each
//! position the first rule whose two halves both match decides: a break rule
//! splits there, a no-break rule keeps the text together, and a position that
//! no rule matches is not a break. This is SRX 2.0's model.
//!
//! Testing every position against every rule would be slow, and it is not
//! needed: only a position where some *break* rule matches can become a
//! break. So each break rule also gets a "locator", `(before)(?:after)`, run
//! once over the line to find its candidate positions (the end of the first
//! group); the full ordered rule list is then tried only there. The `before`
//! half is tested with a `(?:before)$` regex on the line up to the position
//! (the regex crate runs such end-anchored searches backwards from the end),
//! limited to a window of `WINDOW` bytes so that a long line stays linear.
//!
//! Rules compile with the `regex` crate when they can; rules that need
//! look-around or back-references (common in SRX files written for Java)
//! fall back to `fancy-regex`.

use std::ops::Range;

/// How far back (in bytes) a `before` pattern may look. Long enough for any
/// rule that looks at the start of a list item or a quoted span, short
/// enough that every position costs about the same.
const WINDOW: usize = 400;

/// One rule as written: the source of its two halves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    /// True for a break rule, false for an exception (no-break) rule.
    pub brk: bool,
    /// Regex for the text before the position (may be empty).
    pub before: String,
    /// Regex for the text after the position (may be empty).
    pub after: String,
    /// For break rules: find candidate positions with this rule's own
    /// locator. False only for rules whose every position is the end of a
    /// match of the engine's scan pattern (see `Engine::with_scan`).
    pub locate: bool,
}

impl RuleSource {
    /// A break rule.
    pub fn brk(before: impl Into<String>, after: impl Into<String>) -> Self {
        RuleSource {
            brk: true,
            before: before.into(),
            after: after.into(),
            locate: true,
        }
    }

    /// A no-break (exception) rule.
    pub fn keep(before: impl Into<String>, after: impl Into<String>) -> Self {
        RuleSource {
            brk: false,
            before: before.into(),
            after: after.into(),
            locate: true,
        }
    }
}

/// Where the break rules without a locator of their own may apply.
#[derive(Debug, Clone)]
pub(crate) enum Scanner {
    /// A hand-written scanner that appends positions in increasing order.
    Func(fn(&str, &mut Vec<usize>)),
}

/// A compiled regular expression from either engine.
#[derive(Debug, Clone)]
enum Pat {
    Std(regex::Regex),
    Fancy(Box<fancy_regex::Regex>),
}

impl Pat {
    fn new(src: &str) -> Result<Pat, String> {
        match regex::Regex::new(src) {
            Ok(r) => Ok(Pat::Std(r)),
            Err(std_err) => match fancy_regex::Regex::new(src) {
                Ok(r) => Ok(Pat::Fancy(Box::new(r))),
                // The regex crate's message is the more precise one unless the
                // pattern needed fancy-regex's extra syntax to begin with.
                Err(fancy_err) => Err(match std_err {
                    regex::Error::Syntax(s)
                        if !s.contains("look-around") && !s.contains("backreference") =>
                    {
                        s
                    }
                    _ => fancy_err.to_string(),
                }),
            },
        }
    }

    /// True when the pattern matches in `hay[start..]`, with the text before
    /// `start` still visible to anchors and word boundaries.
    fn is_match_at(&self, hay: &str, start: usize) -> bool {
        match self {
            Pat::Std(r) => r.is_match_at(hay, start),
            // A backtracking-limit error counts as "no match": a rule that
            // cannot be decided must not split text.
            Pat::Fancy(r) => matches!(r.find_from_pos(hay, start), Ok(Some(_))),
        }
    }

    /// The first match at or after `start`: its start and the end of group 1.
    fn locate(&self, hay: &str, start: usize) -> Option<(usize, usize)> {
        match self {
            Pat::Std(r) => {
                let c = r.captures_at(hay, start)?;
                Some((c.get(0)?.start(), c.get(1)?.end()))
            }
            Pat::Fancy(r) => {
                let c = r.captures_from_pos(hay, start).ok()??;
                Some((c.get(0)?.start(), c.get(1)?.end()))
            }
        }
    }
}

/// A compiled rule.
#[derive(Debug, Clone)]
struct Rule {
    brk: bool,
    /// `(?:before)$`, or None when `before` is empty (always matches).
    before: Option<Pat>,
    /// `^(?:after)`, or None when `after` is empty (always matches).
    after: Option<Pat>,
    /// `(before)(?:after)` for break rules.
    locator: Option<Pat>,
    /// A character every match of `before` contains (its leading literal),
    /// if known: a line without it cannot match, and is skipped cheaply.
    gate: Option<char>,
}

/// An error in one rule: its index and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// 0-based index of the rule in the list.
    pub index: usize,
    /// Which half failed and why.
    pub msg: String,
}

/// An ordered, compiled rule list.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    rules: Vec<Rule>,
    /// Matches whose ends are candidates for the break rules that have no
    /// locator of their own.
    scan: Option<Scanner>,
    /// All `^(?:after)` patterns that can be tested together, so that one
    /// anchored pass tells which rules' `after` halves match; `set_index`
    /// maps a rule to its pattern in the set.
    after_set: Option<regex::RegexSet>,
    set_index: Vec<Option<usize>>,
    /// Indices of break rules whose locators find the candidate positions,
    /// with duplicate `(before, after)` pairs dropped.
    locators: Vec<usize>,
    /// All locators as one alternation, one group per rule, when they all
    /// compile with the regex crate: one pass over the line instead of one
    /// per rule.
    combined: Option<regex::Regex>,
}

impl Engine {
    /// An engine with no rules: only line breaks split.
    pub fn empty() -> Engine {
        Engine {
            rules: Vec::new(),
            scan: None,
            after_set: None,
            set_index: Vec::new(),
            locators: Vec::new(),
            combined: None,
        }
    }

    /// Compiles `rules`, naming the first rule that does not compile.
    pub fn new(rules: &[RuleSource]) -> Result<Engine, RuleError> {
        Engine::with_scan(rules, None)
    }

    /// Like [`Engine::new`], with a `scan` whose positions are candidates
    /// for the break rules with `locate` off. One scan for many rules is
    /// what makes the built-in rules fast.
    pub fn with_scan(rules: &[RuleSource], scan: Option<Scanner>) -> Result<Engine, RuleError> {
        let mut out = Vec::with_capacity(rules.len());
        let mut locators = Vec::new();
        let mut seen = std::collections::HashSet::new();
        // Rules share halves (the built-in English rules use one
        // sentence-starter list of about 900 words in three rules): compile
        // each distinct pattern once; compiled regexes are cheap to clone.
        let mut cache: std::collections::HashMap<String, Pat> = std::collections::HashMap::new();
        for (index, r) in rules.iter().enumerate() {
            let err = |half: &str, msg: String| RuleError {
                index,
                msg: format!("{half} pattern: {msg}"),
            };
            // On failure the half is compiled alone, so that the message
            // points into the user's pattern rather than our wrapper.
            let mut half =
                |name: &str, src: &str, wrapped: String| -> Result<Option<Pat>, RuleError> {
                    if src.is_empty() {
                        return Ok(None);
                    }
                    if let Some(p) = cache.get(&wrapped) {
                        return Ok(Some(p.clone()));
                    }
                    let p = Pat::new(&wrapped)
                        .map_err(|m| err(name, Pat::new(src).err().unwrap_or(m)))?;
                    cache.insert(wrapped, p.clone());
                    Ok(Some(p))
                };
            let before = half("beforebreak", &r.before, format!("(?:{})$", r.before))?;
            let after = half("afterbreak", &r.after, format!("^(?:{})", r.after))?;
            let locator = if r.brk && (r.locate || scan.is_none()) {
                if seen.insert((r.before.clone(), r.after.clone())) {
                    locators.push(index);
                }
                Some(
                    Pat::new(&format!("({})(?:{})", r.before, r.after))
                        .map_err(|m| err("rule", m))?,
                )
            } else {
                None
            };
            out.push(Rule {
                brk: r.brk,
                before,
                after,
                locator,
                gate: leading_literal(&r.before),
            });
        }
        // Patterns that may scan far (`.*`, negated classes) would keep the
        // whole set's scan going, so they are tested one by one instead.
        let mut set_src: Vec<String> = Vec::new();
        let mut set_index = vec![None; rules.len()];
        for (i, r) in rules.iter().enumerate() {
            let far = r.after.contains(".*") || r.after.contains(".+") || r.after.contains("[^");
            if !r.after.is_empty() && !far && matches!(out[i].after, Some(Pat::Std(_))) {
                let src = format!("^(?:{})", r.after);
                // Equal halves share one slot of the set.
                set_index[i] = Some(match set_src.iter().position(|x| *x == src) {
                    Some(k) => k,
                    None => {
                        set_src.push(src);
                        set_src.len() - 1
                    }
                });
            }
        }
        let after_set = if set_src.len() > 1 {
            regex::RegexSet::new(&set_src).ok()
        } else {
            None
        };
        if after_set.is_none() {
            set_index.iter_mut().for_each(|x| *x = None);
        }
        Ok(Engine {
            rules: out,
            scan,
            after_set,
            set_index,
            combined: combine(rules, &locators),
            locators,
        })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Appends the byte ranges (relative to `line`'s start plus `offset`) of
    /// the segments of one line (no line break inside), trimmed.
    pub fn split_line(&self, line: &str, offset: usize, out: &mut Vec<Range<usize>>) {
        let cands = self.candidates(line);
        if cands.is_empty() {
            push_trimmed(line, 0, line.len(), offset, out);
            return;
        }
        let gates = self.gates(line);
        let mut start = 0;
        for pos in cands {
            if pos <= start || pos >= line.len() {
                continue;
            }
            if self.breaks_at(line, pos, &gates) {
                push_trimmed(line, start, pos, offset, out);
                start = pos;
            }
        }
        push_trimmed(line, start, line.len(), offset, out);
    }

    /// Sorted candidate positions of one line.
    fn candidates(&self, line: &str) -> Vec<usize> {
        let mut cands = Vec::new();
        match &self.scan {
            Some(Scanner::Func(f)) => f(line, &mut cands),
            None => {}
        }
        if let Some(re) = &self.combined {
            collect_combined(re, line, &mut cands);
        } else {
            for &i in &self.locators {
                if let Some(loc) = &self.rules[i].locator {
                    collect(loc, line, &mut cands);
                }
            }
        }
        if !self.locators.is_empty() {
            cands.sort_unstable();
            cands.dedup();
        }
        cands
    }

    /// Applies the rules in order at `pos`; the first that matches decides.
    fn breaks_at(&self, line: &str, pos: usize, gates: &[bool]) -> bool {
        self.decide(line, pos, gates)
            .is_some_and(|i| self.rules[i].brk)
    }

    /// For each rule: false when its gate character is missing from `line`.
    fn gates(&self, line: &str) -> Vec<bool> {
        self.rules
            .iter()
            .map(|r| r.gate.is_none_or(|c| line.contains(c)))
            .collect()
    }

    /// The index of the rule that decides at `pos`, if any.
    fn decide(&self, line: &str, pos: usize, gates: &[bool]) -> Option<usize> {
        let head = &line[..pos];
        let tail = &line[pos..];
        let from = floor_boundary(line, pos.saturating_sub(WINDOW));
        let set = self.after_set.as_ref().map(|s| s.matches(tail));
        // Most candidates (a dot inside "3.5" or "U.S.A.") can be dismissed
        // at once: when no break rule's `after` matches, nothing can break.
        if let Some(m) = &set {
            let possible =
                self.rules.iter().enumerate().any(|(i, r)| {
                    r.brk && gates[i] && self.set_index[i].is_none_or(|k| m.matched(k))
                });
            if !possible {
                return None;
            }
        }
        self.rules.iter().enumerate().position(|(i, r)| {
            if !gates[i] {
                return false;
            }
            let before_ok = || r.before.as_ref().is_none_or(|b| b.is_match_at(head, from));
            match (self.set_index[i], &set) {
                (Some(k), Some(m)) => m.matched(k) && before_ok(),
                // Outside the set the `after` half may scan far; `before`
                // (searched backwards from the position) usually fails first.
                _ => before_ok() && r.after.as_ref().is_none_or(|a| a.is_match_at(tail, 0)),
            }
        })
    }

    /// For one line: every candidate position, the rule that decided there
    /// (by index) and whether it broke. For explaining a segmentation.
    pub fn trace_line(&self, line: &str) -> Vec<(usize, Option<usize>, bool)> {
        let gates = self.gates(line);
        self.candidates(line)
            .into_iter()
            .filter(|&p| p > 0 && p < line.len())
            .map(|p| {
                let d = self.decide(line, p, &gates);
                (p, d, d.is_some_and(|i| self.rules[i].brk))
            })
            .collect()
    }
}

/// The literal character a regex's every match starts with, when the source
/// plainly begins with one: not a metacharacter, not made optional by a
/// quantifier, and no top-level `|` offering a way around it.
fn leading_literal(src: &str) -> Option<char> {
    let mut chars = src.chars();
    let c = chars.next()?;
    if c.is_ascii() && !c.is_ascii_alphanumeric() || c.is_whitespace() {
        return None;
    }
    if matches!(chars.next(), Some('?' | '*' | '{')) {
        return None;
    }
    let (mut depth, mut class, mut esc) = (0usize, false, false);
    for ch in src.chars() {
        match ch {
            _ if esc => esc = false,
            '\\' => esc = true,
            '[' => class = true,
            ']' => class = false,
            '(' if !class => depth += 1,
            ')' if !class => depth = depth.saturating_sub(1),
            '|' if !class && depth == 0 => return None,
            _ => {}
        }
    }
    Some(c)
}

/// `(b1)(?:a1)|(b2)(?:a2)|...` for the locator rules, if there are several
/// and the alternation compiles with the regex crate.
fn combine(rules: &[RuleSource], locators: &[usize]) -> Option<regex::Regex> {
    if locators.len() < 2 {
        return None;
    }
    let alts: Vec<String> = locators
        .iter()
        .map(|&i| format!("({})(?:{})", rules[i].before, rules[i].after))
        .collect();
    regex::Regex::new(&alts.join("|")).ok()
}

/// [`collect`] for the combined locator: the candidate is the end of
/// whichever rule's group took part in the match.
fn collect_combined(re: &regex::Regex, line: &str, out: &mut Vec<usize>) {
    let mut locs = re.capture_locations();
    let mut from = 0;
    while from <= line.len() {
        let Some(m) = re.captures_read_at(&mut locs, line, from) else {
            break;
        };
        // Groups are numbered in rule order; a rule's own groups (if its
        // pattern has any) come after its outer one, so the first outer
        // group that matched is found by scanning in order.
        if let Some(end) = (1..locs.len()).find_map(|g| locs.get(g).map(|(_, e)| e)) {
            out.push(end);
        }
        from = next_boundary(line, m.start().max(from));
    }
}

/// Adds to `out` the positions where `loc`'s first group ends.
fn collect(loc: &Pat, line: &str, out: &mut Vec<usize>) {
    let mut from = 0;
    while from <= line.len() {
        let Some((start, end)) = loc.locate(line, from) else {
            break;
        };
        out.push(end);
        // Resume just after the match's start, not its end: the `after` part
        // of one match may hold the start of the next (a list item's marker
        // begins the next item's `before`).
        from = next_boundary(line, start.max(from));
    }
}

/// The largest char boundary of `s` at or below `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The char boundary just after `i` (or past the end).
fn next_boundary(s: &str, i: usize) -> usize {
    s[i..]
        .chars()
        .next()
        .map_or(s.len() + 1, |c| i + c.len_utf8())
}

/// Pushes `line[s..e]` trimmed of white space, shifted by `offset`, unless
/// it is blank.
pub(crate) fn push_trimmed(
    line: &str,
    s: usize,
    e: usize,
    offset: usize,
    out: &mut Vec<Range<usize>>,
) {
    let piece = &line[s..e];
    let trimmed = piece.trim_start();
    if trimmed.is_empty() {
        return;
    }
    let lead = piece.len() - trimmed.len();
    let trail = trimmed.len() - trimmed.trim_end().len();
    out.push(offset + s + lead..offset + e - trail);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(rules: &[RuleSource], text: &str) -> Vec<String> {
        let e = Engine::new(rules).unwrap();
        let mut out = Vec::new();
        e.split_line(text, 0, &mut out);
        out.into_iter().map(|r| text[r].to_string()).collect()
    }

    #[test]
    fn first_matching_rule_wins() {
        let rules = [
            RuleSource::keep(r"\bMr\.", r"\s"),
            RuleSource::brk(r"\.", r"\s"),
        ];
        assert_eq!(
            split(&rules, "Mr. Li came. He sat."),
            ["Mr. Li came.", "He sat."]
        );
        // The same rules the other way round: the break rule now wins.
        let rev = [rules[1].clone(), rules[0].clone()];
        assert_eq!(split(&rev, "Mr. Li came."), ["Mr.", "Li came."]);
    }

    #[test]
    fn no_rule_means_no_break() {
        assert_eq!(split(&[], "One. Two."), ["One. Two."]);
    }

    #[test]
    fn break_rules_with_context_in_after_find_their_positions() {
        // Break before every "N)" item, a position that is not after a stop.
        let rules = [RuleSource::brk(r"\s", r"\d\)")];
        assert_eq!(split(&rules, "1) a 2) b 3) c"), ["1) a", "2) b", "3) c"]);
    }

    #[test]
    fn look_around_falls_back_to_fancy_regex() {
        let rules = [RuleSource::brk(r"(?<!Dr)\.", r"\s")];
        assert_eq!(split(&rules, "Dr. No. Yes."), ["Dr. No.", "Yes."]);
    }

    #[test]
    fn bad_rule_is_named() {
        let err =
            Engine::new(&[RuleSource::brk(r"\.", r"\s"), RuleSource::keep("(", "")]).unwrap_err();
        assert_eq!(err.index, 1);
        assert!(err.msg.starts_with("beforebreak pattern"), "{}", err.msg);
    }

    #[test]
    fn empty_before_matches_everywhere_without_looping() {
        let rules = [RuleSource::brk("", "X")];
        assert_eq!(split(&rules, "aXbX"), ["a", "Xb", "X"]);
    }
}
