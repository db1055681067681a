//! Cargo's version requirements, read the way the `semver` crate (Cargo's own parser) reads
//! them: comparators separated by commas, all of which must hold; no `||` and no hyphen
//! ranges; a bare `1.2.3` means `^1.2.3`. A prerelease version matches only when some
//! comparator names a prerelease of the same `MAJOR.MINOR.PATCH`.
//! `tests/semver_reference.rs` checks every case of `corpus.txt` against the crate.

use std::cmp::Ordering;
use std::fmt;

use super::version::{self, Cursor, Dialect, Ident, Version};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Exact,
    Greater,
    GreaterEq,
    Less,
    LessEq,
    Tilde,
    Caret,
    /// `1.*`, `1.2.x`: written without an operator.
    Wildcard,
}

/// One end of an interval: the version and whether it is included.
pub type Bound = (Version, bool);

/// One comparator; a missing minor or patch is `None` (`^1`, `~1.2`, `1.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparator {
    pub op: Op,
    pub major: u64,
    pub minor: Option<u64>,
    pub patch: Option<u64>,
    pub pre: Vec<Ident>,
}

/// A requirement: every comparator must hold. No comparators means `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Req {
    pub comparators: Vec<Comparator>,
}

/// The verdict of `VersionReq::parse(range)?.matches(&Version::parse(version)?)`.
pub fn satisfies(range: &str, version: &str) -> Result<bool, String> {
    let r = parse(range)?;
    let v = version::parse(version, Dialect::Cargo).map_err(|e| format!("invalid version: {e}"))?;
    Ok(r.matches(&v))
}

// ANCHOR: parse
/// Parses a requirement as the `semver` crate does.
pub fn parse(text: &str) -> Result<Req, String> {
    let text = text.trim_start_matches(' ');
    if let Some(rest) = text.strip_prefix(['*', 'x', 'X']) {
        let rest = rest.trim_start_matches(' ');
        return if rest.is_empty() {
            Ok(Req { comparators: Vec::new() })
        } else if rest.starts_with(',') {
            Err("a wildcard must be the only comparator".into())
        } else {
            Err("unexpected text after a wildcard".into())
        };
    }
    let mut comparators = Vec::new();
    let mut rest = text;
    loop {
        let (c, after) = comparator(rest)?;
        comparators.push(c);
        if after.is_empty() {
            break;
        }
        // Comparators are separated by commas, not spaces: `>=1.2, <1.5`.
        let Some(after) = after.strip_prefix(',') else {
            return Err(format!("expected a comma, found `{}`", after.chars().next().unwrap()));
        };
        rest = after.trim_start_matches(' ');
        if comparators.len() == 32 {
            return Err("more than 32 comparators".into());
        }
    }
    Ok(Req { comparators })
}
// ANCHOR_END: parse

fn comparator(input: &str) -> Result<(Comparator, &str), String> {
    let (mut op, text) = match input.as_bytes() {
        [b'>', b'=', ..] => (Op::GreaterEq, &input[2..]),
        [b'<', b'=', ..] => (Op::LessEq, &input[2..]),
        [b'=', ..] => (Op::Exact, &input[1..]),
        [b'>', ..] => (Op::Greater, &input[1..]),
        [b'<', ..] => (Op::Less, &input[1..]),
        [b'~', ..] => (Op::Tilde, &input[1..]),
        [b'^', ..] => (Op::Caret, &input[1..]),
        // No operator: a caret requirement.
        _ => (Op::Caret, input),
    };
    let bare = text.len() == input.len();
    let mut cur = Cursor { s: text.trim_start_matches(' '), at: 0 };
    let major = cur.number("major")?;
    let mut minor = None;
    let mut patch = None;
    let mut wildcard = false;
    if cur.eat('.') {
        if cur.eat('*') || cur.eat('x') || cur.eat('X') {
            wildcard = true;
        } else {
            minor = Some(cur.number("minor")?);
        }
    }
    if cur.eat('.') {
        if cur.eat('*') || cur.eat('x') || cur.eat('X') {
            wildcard = true;
        } else if wildcard {
            return Err("unexpected text after a wildcard".into());
        } else {
            patch = Some(cur.number("patch")?);
        }
    }
    if wildcard && bare {
        op = Op::Wildcard;
    }
    let mut pre = Vec::new();
    if patch.is_some() && cur.eat('-') {
        pre = cur.prerelease()?;
    }
    if patch.is_some() && cur.eat('+') {
        cur.build()?;
    }
    Ok((Comparator { op, major, minor, patch, pre }, cur.rest().trim_start_matches(' ')))
}

// ANCHOR: matches
impl Req {
    pub fn matches(&self, v: &Version) -> bool {
        self.comparators.iter().all(|c| c.matches(v))
            && (!v.is_prerelease()
                || self.comparators.iter().any(|c| {
                    !c.pre.is_empty()
                        && c.major == v.major
                        && c.minor == Some(v.minor)
                        && c.patch == Some(v.patch)
                }))
    }
}

impl Comparator {
    /// The bounds this comparator allows, as `(lowest, inclusive)` and `(upper, inclusive)`.
    pub fn bounds(&self) -> (Option<Bound>, Option<Bound>) {
        let low = Version {
            major: self.major,
            minor: self.minor.unwrap_or(0),
            patch: self.patch.unwrap_or(0),
            pre: self.pre.clone(),
        };
        let v = |m, n, p| Version::new(m, n, p);
        // The first version past everything the written parts allow: `1.2` → 1.3.0.
        let past = match (self.minor, self.patch) {
            (None, _) => v(self.major.saturating_add(1), 0, 0),
            (Some(n), None) => v(self.major, n.saturating_add(1), 0),
            (Some(n), Some(p)) => v(self.major, n, p.saturating_add(1)),
        };
        let (m, n, p) = (self.major, self.minor, self.patch);
        match self.op {
            Op::Exact | Op::Wildcard if self.patch.is_some() => {
                (Some((low.clone(), true)), Some((low, true)))
            }
            Op::Exact | Op::Wildcard => (Some((low, true)), Some((past, false))),
            Op::GreaterEq => (Some((low, true)), None),
            Op::Greater if self.patch.is_some() => (Some((low, false)), None),
            Op::Greater => (Some((past, true)), None),
            Op::Less => (None, Some((low, false))),
            Op::LessEq if self.patch.is_some() => (None, Some((low, true))),
            Op::LessEq => (None, Some((past, false))),
            Op::Tilde => {
                let up = match n {
                    Some(n) => v(m, n.saturating_add(1), 0),
                    None => v(m.saturating_add(1), 0, 0),
                };
                (Some((low, true)), Some((up, false)))
            }
            Op::Caret => {
                let up = match (m, n, p) {
                    (0, None, _) => v(1, 0, 0),
                    (0, Some(0), Some(p)) => v(0, 0, p.saturating_add(1)),
                    (0, Some(n), _) => v(0, n.saturating_add(1), 0),
                    (m, _, _) => v(m.saturating_add(1), 0, 0),
                };
                (Some((low, true)), Some((up, false)))
            }
        }
    }

    /// The crate's rules, part by part: a part the comparator leaves out matches anything
    /// (for `>` and `<`, nothing beyond the written parts).
    pub fn matches(&self, v: &Version) -> bool {
        let exact = || {
            v.major == self.major
                && self.minor.is_none_or(|n| v.minor == n)
                && self.patch.is_none_or(|p| v.patch == p)
                && v.pre == self.pre
        };
        let beyond = |sign: Ordering| {
            if v.major != self.major {
                return v.major.cmp(&self.major) == sign;
            }
            let Some(n) = self.minor else { return false };
            if v.minor != n {
                return v.minor.cmp(&n) == sign;
            }
            let Some(p) = self.patch else { return false };
            if v.patch != p {
                return v.patch.cmp(&p) == sign;
            }
            pre_cmp(&v.pre, &self.pre) == sign
        };
        match self.op {
            Op::Exact | Op::Wildcard => exact(),
            Op::Greater => beyond(Ordering::Greater),
            Op::GreaterEq => exact() || beyond(Ordering::Greater),
            Op::Less => beyond(Ordering::Less),
            Op::LessEq => exact() || beyond(Ordering::Less),
            Op::Tilde => {
                v.major == self.major
                    && self.minor.is_none_or(|n| v.minor == n)
                    && match self.patch {
                        Some(p) if v.patch != p => v.patch > p,
                        _ => pre_cmp(&v.pre, &self.pre) != Ordering::Less,
                    }
            }
            Op::Caret => {
                if v.major != self.major {
                    return false;
                }
                let Some(n) = self.minor else { return true };
                let Some(p) = self.patch else {
                    return if self.major > 0 { v.minor >= n } else { v.minor == n };
                };
                if self.major > 0 {
                    if v.minor != n {
                        return v.minor > n;
                    }
                    if v.patch != p {
                        return v.patch > p;
                    }
                } else if n > 0 {
                    if v.minor != n {
                        return false;
                    }
                    if v.patch != p {
                        return v.patch > p;
                    }
                } else if v.minor != n || v.patch != p {
                    return false;
                }
                pre_cmp(&v.pre, &self.pre) != Ordering::Less
            }
        }
    }
}

/// Prerelease order with "no prerelease" highest: `rc.1` < `` (the release).
fn pre_cmp(a: &[Ident], b: &[Ident]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.cmp(b),
    }
}
// ANCHOR_END: matches

impl fmt::Display for Req {
    /// Each comparator as the interval it allows: `^0.2.3` → `>=0.2.3, <0.3.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.comparators.is_empty() {
            return f.write_str("*");
        }
        let mut parts = Vec::new();
        for c in &self.comparators {
            match c.bounds() {
                (Some((l, true)), Some((h, true))) if l == h => parts.push(format!("={l}")),
                (low, high) => {
                    if let Some((l, incl)) = low {
                        parts.push(format!("{}{l}", if incl { ">=" } else { ">" }));
                    }
                    if let Some((h, incl)) = high {
                        parts.push(format!("{}{h}", if incl { "<=" } else { "<" }));
                    }
                }
            }
        }
        f.write_str(&parts.join(", "))
    }
}
