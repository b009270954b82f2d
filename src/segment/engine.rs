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
use std::sync::{Arc, OnceLock};

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind};

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

/// A pattern compiled on first use (the built-in rules), or at once (rules
/// from a file, whose errors are reported when they load). Rules share
/// equal patterns through the `Arc`, so each compiles once.
#[derive(Debug)]
struct LazyPat {
    src: String,
    /// Code that answers as the pattern would, run instead of it.
    native: Option<super::native::NativeFn>,
    cell: OnceLock<Option<Pat>>,
    /// For a locator: what a line must contain for it to match (see
    /// [`Needs`]), worked out on first use.
    needs: OnceLock<Needs>,
}

impl LazyPat {
    fn new(src: String) -> Arc<LazyPat> {
        Arc::new(LazyPat {
            src,
            native: None,
            cell: OnceLock::new(),
            needs: OnceLock::new(),
        })
    }

    fn compiled(src: String, pat: Pat) -> Arc<LazyPat> {
        let p = LazyPat::new(src);
        let _ = p.cell.set(Some(pat));
        p
    }

    /// The compiled pattern; None only if it does not compile, which the
    /// tests rule out for the built-in rules (such a half never matches).
    fn get(&self) -> Option<&Pat> {
        self.cell.get_or_init(|| Pat::new(&self.src).ok()).as_ref()
    }

    fn is_match_at(&self, hay: &str, start: usize) -> bool {
        match &self.native {
            Some(f) => f.call(hay, start),
            None => self.get().is_some_and(|p| p.is_match_at(hay, start)),
        }
    }

    /// True when the regex crate compiles the pattern (code stands in for
    /// patterns it compiles).
    fn is_std(&self) -> bool {
        self.native.is_some() || matches!(self.get(), Some(Pat::Std(_)))
    }

    fn locate(&self, hay: &str, start: usize) -> Option<(usize, usize)> {
        self.get()?.locate(hay, start)
    }

    /// False when `line` lacks what every match needs.
    fn may_match(&self, line: &str) -> bool {
        self.needs.get_or_init(|| Needs::of(&self.src)).met_by(line)
    }
}

/// A rule half that runs as code: `f(hay, start)` answers what the regex
/// `(?:src)$` (`before`) or `^(?:src)` (`after`) answers for
/// `is_match_at(hay, start)`.
#[derive(Debug, Clone)]
pub(crate) struct Native {
    pub before: bool,
    pub src: String,
    pub f: super::native::NativeFn,
}

/// A compiled rule.
#[derive(Debug, Clone)]
struct Rule {
    brk: bool,
    /// `(?:before)$`, or None when `before` is empty (always matches).
    before: Option<Arc<LazyPat>>,
    /// `^(?:after)`, or None when `after` is empty (always matches).
    after: Option<Arc<LazyPat>>,
    /// `(before)(?:after)` for break rules.
    locator: Option<Arc<LazyPat>>,
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
    /// Built lazily (the built-in rules): nothing was compiled up front, and
    /// `after_set` and `combined` are replaced by code that finds the same
    /// answers from the rules' own patterns, compiling only those a text
    /// reaches.
    lazy: bool,
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
            lazy: false,
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
        Engine::build(rules, scan, None)
    }

    /// [`Engine::with_scan`] for rules known to compile (the built-in
    /// ones): nothing is compiled here; each pattern compiles the first
    /// time a text needs it, so a language's start-up costs only what its
    /// text uses (issue 26); the halves in `natives` run as code and never
    /// compile. Splits exactly as [`Engine::with_scan`] does.
    pub fn lazy(rules: &[RuleSource], scan: Option<Scanner>, natives: &[Native]) -> Engine {
        Engine::build(rules, scan, Some(natives)).unwrap_or_else(|_| Engine::empty())
    }

    /// `natives` is Some for a lazy engine.
    fn build(
        rules: &[RuleSource],
        scan: Option<Scanner>,
        natives: Option<&[Native]>,
    ) -> Result<Engine, RuleError> {
        let lazy = natives.is_some();
        let mut out = Vec::with_capacity(rules.len());
        let mut locators = Vec::new();
        let mut seen = std::collections::HashSet::new();
        // Rules share halves (the built-in English rules use one
        // sentence-starter list of about 900 words in three rules): compile
        // each distinct pattern once; compiled regexes are cheap to clone.
        let mut cache: std::collections::HashMap<String, Arc<LazyPat>> =
            std::collections::HashMap::new();
        for (index, r) in rules.iter().enumerate() {
            let err = |half: &str, msg: String| RuleError {
                index,
                msg: format!("{half} pattern: {msg}"),
            };
            // On failure the half is compiled alone, so that the message
            // points into the user's pattern rather than our wrapper.
            let mut half = |name: &str,
                            src: &str,
                            wrapped: String|
             -> Result<Option<Arc<LazyPat>>, RuleError> {
                if src.is_empty() {
                    return Ok(None);
                }
                if let Some(p) = cache.get(&wrapped) {
                    return Ok(Some(p.clone()));
                }
                let native = natives
                    .unwrap_or_default()
                    .iter()
                    .find(|n| n.before == (name == "beforebreak") && n.src == src);
                let p = if let Some(n) = native {
                    Arc::new(LazyPat {
                        src: wrapped.clone(),
                        native: Some(n.f.clone()),
                        cell: OnceLock::new(),
                        needs: OnceLock::new(),
                    })
                } else if lazy {
                    LazyPat::new(wrapped.clone())
                } else {
                    let pat = Pat::new(&wrapped)
                        .map_err(|m| err(name, Pat::new(src).err().unwrap_or(m)))?;
                    LazyPat::compiled(wrapped.clone(), pat)
                };
                cache.insert(wrapped, p.clone());
                Ok(Some(p))
            };
            let before = half("beforebreak", &r.before, format!("(?:{})$", r.before))?;
            let after = half("afterbreak", &r.after, format!("^(?:{})", r.after))?;
            let locator = if r.brk && (r.locate || scan.is_none()) {
                if seen.insert((r.before.clone(), r.after.clone())) {
                    locators.push(index);
                }
                let src = format!("({})(?:{})", r.before, r.after);
                Some(if lazy {
                    LazyPat::new(src)
                } else {
                    let pat = Pat::new(&src).map_err(|m| err("rule", m))?;
                    LazyPat::compiled(src, pat)
                })
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
            // Lazily, whether an `after` compiles with the regex crate is
            // known only once it is compiled: `in_set` asks then.
            let std = lazy
                || matches!(
                    out[i].after.as_deref().and_then(LazyPat::get),
                    Some(Pat::Std(_))
                );
            if !r.after.is_empty() && !far(&r.after) && std {
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
        let after_set = if lazy || set_src.len() <= 1 {
            None
        } else {
            regex::RegexSet::new(&set_src).ok()
        };
        if after_set.is_none() && !(lazy && set_src.len() > 1) {
            set_index.iter_mut().for_each(|x| *x = None);
        }
        Ok(Engine {
            rules: out,
            scan,
            after_set,
            set_index,
            combined: if lazy {
                None
            } else {
                combine(rules, &locators)
            },
            locators,
            lazy,
        })
    }

    /// How many distinct patterns have been compiled so far, of how many.
    #[cfg(test)]
    fn compiled(&self) -> (usize, usize) {
        let mut done = std::collections::HashSet::new();
        let mut all = std::collections::HashSet::new();
        for r in &self.rules {
            for p in [&r.before, &r.after, &r.locator].into_iter().flatten() {
                if p.native.is_none() {
                    all.insert(Arc::as_ptr(p));
                    if p.cell.get().is_some() {
                        done.insert(Arc::as_ptr(p));
                    }
                }
            }
        }
        (done.len(), all.len())
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
        if self.lazy && self.locators.len() > 1 {
            self.collect_merged(line, &mut cands);
        } else if let Some(re) = &self.combined {
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
        } else if self.lazy && self.set_index.iter().any(Option::is_some) {
            // The same test without the set: each break rule's own `after`.
            let possible = self
                .rules
                .iter()
                .enumerate()
                .any(|(i, r)| r.brk && gates[i] && (!self.in_set(i) || self.after_ok(i, tail)));
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
                (Some(_), None) if self.lazy => self.after_ok(i, tail) && before_ok(),
                // Outside the set the `after` half may scan far; `before`
                // (searched backwards from the position) usually fails first.
                _ => before_ok() && self.after_ok(i, tail),
            }
        })
    }

    /// True when rule `i`'s `after` matches at the start of `tail`.
    fn after_ok(&self, i: usize, tail: &str) -> bool {
        self.rules[i]
            .after
            .as_ref()
            .is_none_or(|a| a.is_match_at(tail, 0))
    }

    /// Lazily: whether rule `i`'s `after` would be in the eager engine's
    /// `after_set` (listed there, and compiled by the regex crate).
    fn in_set(&self, i: usize) -> bool {
        self.set_index[i].is_some() && self.rules[i].after.as_deref().is_some_and(LazyPat::is_std)
    }

    /// The candidates `collect_combined` finds with the alternation of all
    /// locators, from the locators themselves: at each step the leftmost
    /// match of any, the first locator in rule order among those starting
    /// there (the alternation's leftmost-first choice). A locator whose
    /// needs the line lacks is never compiled or run.
    fn collect_merged(&self, line: &str, out: &mut Vec<usize>) {
        // Each live locator with its next match (start, end of group 1)
        // at or after `from`, or None once it has no more.
        let mut next: Vec<(&LazyPat, Option<(usize, usize)>)> = self
            .locators
            .iter()
            .filter_map(|&i| self.rules[i].locator.as_deref())
            .filter(|l| l.may_match(line))
            .map(|l| (l, l.locate(line, 0)))
            .collect();
        let mut from = 0;
        while from <= line.len() {
            let mut best: Option<(usize, usize)> = None;
            for (_, m) in &next {
                if let Some((s, e)) = *m
                    && best.is_none_or(|(bs, _)| s < bs)
                {
                    best = Some((s, e));
                }
            }
            let Some((start, end)) = best else {
                break;
            };
            out.push(end);
            from = next_boundary(line, start.max(from));
            for (l, m) in &mut next {
                if m.is_some_and(|(s, _)| s < from) {
                    *m = if from <= line.len() {
                        l.locate(line, from)
                    } else {
                        None
                    };
                }
            }
        }
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

/// What a line must contain for a pattern to match in it: every clause
/// holds. Worked out from the pattern's syntax: literals must appear, a
/// small class needs one of its characters, alternatives need what one of
/// their branches needs, and where a small set of characters (a literal
/// `.`) must be followed by another set (`\d`, white space), the line must
/// hold such a pair. Empty when nothing is known (then every line may
/// match).
#[derive(Debug, Default)]
struct Needs(Vec<Clause>);

/// One requirement of [`Needs`].
#[derive(Debug)]
enum Clause {
    /// One of these strings.
    Any(Vec<String>),
    /// A character of the first class directly followed by one of the
    /// second.
    Pair(ClassUnicode, ClassUnicode),
}

/// Classes of more characters than this need nothing (too common to help),
/// and only pairs whose first class is this small are kept.
const NEEDS_CLASS_MAX: u32 = 24;

impl Needs {
    fn of(src: &str) -> Needs {
        match regex_syntax::parse(src) {
            Ok(hir) => Needs(needs(&hir)),
            Err(_) => Needs::default(),
        }
    }

    fn met_by(&self, line: &str) -> bool {
        self.0.iter().all(|clause| match clause {
            Clause::Any(strings) => strings.iter().any(|s| line.contains(s.as_str())),
            Clause::Pair(a, b) => {
                let mut prev = None;
                line.chars().any(|c| {
                    let hit = prev.is_some_and(|p| has(a, p)) && has(b, c);
                    prev = Some(c);
                    hit
                })
            }
        })
    }
}

fn has(class: &ClassUnicode, c: char) -> bool {
    class
        .ranges()
        .binary_search_by(|r| {
            if r.end() < c {
                std::cmp::Ordering::Less
            } else if r.start() > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn class_size(class: &ClassUnicode) -> u32 {
    class
        .ranges()
        .iter()
        .map(|r| r.end() as u32 - r.start() as u32 + 1)
        .sum()
}

/// The characters a match of `hir` can start (`last` false) or end with,
/// and whether it can be empty; None when unknown (an assertion, which
/// looks at characters it does not take).
fn edge(hir: &Hir, last: bool) -> Option<(ClassUnicode, bool)> {
    match hir.kind() {
        HirKind::Empty => Some((ClassUnicode::empty(), true)),
        HirKind::Literal(l) => {
            let s = std::str::from_utf8(&l.0).ok()?;
            let c = if last {
                s.chars().next_back()
            } else {
                s.chars().next()
            }?;
            Some((ClassUnicode::new([ClassUnicodeRange::new(c, c)]), false))
        }
        HirKind::Class(Class::Unicode(c)) => Some((c.clone(), false)),
        HirKind::Class(Class::Bytes(_)) | HirKind::Look(_) => None,
        HirKind::Repetition(r) => {
            let (c, empty) = edge(&r.sub, last)?;
            Some((c, empty || r.min == 0))
        }
        HirKind::Capture(c) => edge(&c.sub, last),
        HirKind::Concat(subs) => {
            let mut set = ClassUnicode::empty();
            let mut iter: Box<dyn Iterator<Item = &Hir>> = if last {
                Box::new(subs.iter().rev())
            } else {
                Box::new(subs.iter())
            };
            for sub in &mut iter {
                let (c, empty) = edge(sub, last)?;
                set.union(&c);
                if !empty {
                    return Some((set, false));
                }
            }
            Some((set, true))
        }
        HirKind::Alternation(subs) => {
            let mut set = ClassUnicode::empty();
            let mut any_empty = false;
            for sub in subs {
                let (c, empty) = edge(sub, last)?;
                set.union(&c);
                any_empty |= empty;
            }
            Some((set, any_empty))
        }
    }
}

/// The clauses of [`Needs`] for `hir`.
fn needs(hir: &Hir) -> Vec<Clause> {
    match hir.kind() {
        HirKind::Literal(l) => match std::str::from_utf8(&l.0) {
            Ok(s) if !s.is_empty() => vec![Clause::Any(vec![s.to_string()])],
            _ => Vec::new(),
        },
        HirKind::Class(Class::Unicode(c)) => {
            let n = class_size(c);
            if n == 0 || n > NEEDS_CLASS_MAX {
                return Vec::new();
            }
            let chars = c
                .ranges()
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .map(String::from)
                .collect();
            vec![Clause::Any(chars)]
        }
        HirKind::Class(Class::Bytes(_)) | HirKind::Empty | HirKind::Look(_) => Vec::new(),
        HirKind::Repetition(r) if r.min > 0 => needs(&r.sub),
        HirKind::Repetition(_) => Vec::new(),
        HirKind::Capture(c) => needs(&c.sub),
        HirKind::Concat(subs) => {
            let mut out: Vec<Clause> = subs.iter().flat_map(needs).collect();
            // The first pair of a small set and what must follow it: a part
            // that cannot be empty, ending in few characters, then parts up
            // to one that cannot be empty either.
            'pairs: for (i, sub) in subs.iter().enumerate() {
                let Some((a, false)) = edge(sub, true) else {
                    continue;
                };
                if class_size(&a) > NEEDS_CLASS_MAX {
                    continue;
                }
                let mut b = ClassUnicode::empty();
                for next in &subs[i + 1..] {
                    let Some((c, empty)) = edge(next, false) else {
                        continue 'pairs;
                    };
                    b.union(&c);
                    if !empty {
                        out.push(Clause::Pair(a, b));
                        break 'pairs;
                    }
                }
            }
            out
        }
        HirKind::Alternation(subs) => {
            // One clause: for each branch, the strings of its most
            // selective string clause (the longest shortest string).
            let mut clause = Vec::new();
            for sub in subs {
                let best = needs(sub)
                    .into_iter()
                    .filter_map(|c| match c {
                        Clause::Any(strings) => Some(strings),
                        Clause::Pair(..) => None,
                    })
                    .max_by_key(|c| c.iter().map(|s| s.chars().count()).min().unwrap_or(0));
                match best {
                    Some(c) => clause.extend(c),
                    None => return Vec::new(),
                }
            }
            vec![Clause::Any(clause)]
        }
    }
}

/// True for an `after` pattern that may scan far (`.*`, negated classes).
fn far(after: &str) -> bool {
    after.contains(".*") || after.contains(".+") || after.contains("[^")
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
fn collect(loc: &LazyPat, line: &str, out: &mut Vec<usize>) {
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
    fn needs_are_read_from_the_pattern() {
        // A footnote number right after a full stop.
        let n = Needs::of(r"([\p{Ll})\]]\.\d{1,3}(?:\s\d{1,3})*)(?:\s+\p{Lu})");
        assert!(!n.met_by("The minister arrived on Monday."));
        assert!(!n.met_by("Pi is 3 . 14 or so"));
        assert!(n.met_by("as agreed.12 Then"));
        assert!(n.met_by("as agreed.٣ Then"));
        // A literal, and a class of few characters.
        let n = Needs::of(r"(?:^|\s)\(a\)\s[^\n]{0,200}[.?!]");
        assert!(!n.met_by("a) b. c!"));
        assert!(n.met_by("(a) b. c!"));
        let n = Needs::of(r";|[¹²³]");
        assert!(!n.met_by("plain, text."));
        assert!(n.met_by("cited² here") && n.met_by("a; b"));
        // Nothing known: every line may match.
        assert!(Needs::of(r"\p{L}+").met_by(""));
    }

    #[test]
    fn lazy_engine_compiles_only_what_a_text_needs() {
        let rules = super::super::rules::for_primary("en");
        let scan = Some(Scanner::Func(super::super::rules::terminator_runs));
        let e = Engine::lazy(&rules, scan, &super::super::rules::natives("en"));
        let mut out = Vec::new();
        e.split_line("The minister arrived on Monday.", 0, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0], 0..31);
        assert_eq!(e.compiled().0, 0);
        out.clear();
        e.split_line("He left. She stayed.", 0, &mut out);
        assert_eq!(out, [0..8, 9..20]);
        // The rules tried at the two candidates, not all of them.
        let (some, all) = e.compiled();
        assert!(some > 0 && some < all * 2 / 3, "{some} of {all} compiled");
    }

    #[test]
    fn empty_before_matches_everywhere_without_looping() {
        let rules = [RuleSource::brk("", "X")];
        assert_eq!(split(&rules, "aXbX"), ["a", "Xb", "X"]);
    }
}
