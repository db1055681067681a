//! A version as SemVer 2.0.0 defines it (`MAJOR.MINOR.PATCH-PRERELEASE+BUILD`) and its order,
//! shared by the npm and the Cargo matchers. The two read a version almost alike; the
//! differences are npm's: it trims whitespace, accepts a leading `v` and refuses numbers above
//! JavaScript's largest safe integer.

use std::cmp::Ordering;
use std::fmt;

/// One dot-separated prerelease identifier: `rc`, `1`, `x-7`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ident {
    Numeric(u64),
    Alpha(String),
}

impl Ord for Ident {
    // ANCHOR: ident_order
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            // Identifiers made of digits only compare as numbers (2 < 10) ...
            (Ident::Numeric(a), Ident::Numeric(b)) => a.cmp(b),
            // ... and come before identifiers with letters or hyphens.
            (Ident::Numeric(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Numeric(_)) => Ordering::Greater,
            // The rest compare in ASCII order: "RC" < "alpha" < "beta" < "rc".
            (Ident::Alpha(a), Ident::Alpha(b)) => a.cmp(b),
        }
    }
    // ANCHOR_END: ident_order
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ident::Numeric(n) => write!(f, "{n}"),
            Ident::Alpha(s) => f.write_str(s),
        }
    }
}

/// A version. Build metadata is parsed and dropped: it never takes part in precedence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: Vec<Ident>,
}

impl Version {
    pub const fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version { major, minor, patch, pre: Vec::new() }
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    pub fn same_triple(&self, other: &Version) -> bool {
        (self.major, self.minor, self.patch) == (other.major, other.minor, other.patch)
    }
}

impl Ord for Version {
    // ANCHOR: order
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch)).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                // A prerelease comes before its release: 1.0.0-rc.1 < 1.0.0.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // Identifier by identifier; a longer list wins a tie: 1.0.0-a < 1.0.0-a.1.
                (false, false) => self.pre.cmp(&other.pre),
            }
        })
    }
    // ANCHOR_END: order
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (i, id) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            write!(f, "{id}")?;
        }
        Ok(())
    }
}

/// The largest integer a JavaScript number holds exactly (2^53 - 1): npm's limit for a
/// version's numbers.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Which reader: npm's `semver` with its default options (trims, allows `v1.2.3`, numbers up
/// to 2^53 - 1, at most 256 characters), the same package in loose mode (`{ loose: true }`,
/// what `npm install` uses: leading zeros, any run of `v`, `=` and spaces in front, the `-`
/// before a prerelease optional), or Cargo's `semver` crate (exactly the SemVer grammar,
/// numbers up to 2^64 - 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Npm,
    NpmLoose,
    Cargo,
}

fn ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// `ID(.ID)*` with `ID = [A-Za-z0-9-]+` at the start of `s`: its length, or `None`.
fn identifiers_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut at = 0;
    loop {
        let len = b[at..].iter().take_while(|&&c| ident_char(c)).count();
        if len == 0 {
            return None;
        }
        at += len;
        if b.get(at) == Some(&b'.') && b.get(at + 1).is_some_and(|&c| ident_char(c)) {
            at += 1;
        } else {
            return Some(at);
        }
    }
}

/// `(+ID(.ID)*)?` and then the end.
fn build_then_end(s: &str) -> bool {
    s.is_empty() || s.strip_prefix('+').and_then(identifiers_len).is_some_and(|n| n + 1 == s.len())
}

/// What loose mode accepts after the patch number, `(-?PRERELEASE)?(+BUILD)?$`, in the order
/// the regular expression tries it: the prerelease (`Some(Some(..))`) after a `-`, then
/// without one (so `1.2.3-` has the prerelease `-`), then none.
pub(super) fn loose_tail(rest: &str) -> Option<Option<&str>> {
    for r in [rest.strip_prefix('-'), Some(rest)].into_iter().flatten() {
        if let Some(n) = identifiers_len(r)
            && build_then_end(&r[n..])
        {
            return Some(Some(&r[..n]));
        }
    }
    build_then_end(rest).then_some(None)
}

/// The digits of a loose patch number, longest first, with what loose mode reads after them:
/// the regular expression gives digits back to the prerelease when it must (`1.2.34.5` is
/// `1.2.3-4.5`).
pub(super) fn loose_patch(rest: &str) -> Option<(&str, Option<&str>)> {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (1..=digits).rev().find_map(|n| loose_tail(&rest[n..]).map(|pre| (&rest[..n], pre)))
}

/// Loose mode's whole version (`LOOSEPLAIN`): major, minor, patch and prerelease text.
pub(super) fn loose_plain(text: &str) -> Option<(&str, &str, &str, Option<&str>)> {
    let s = text.trim_start_matches(|c: char| c == 'v' || c == '=' || c.is_whitespace());
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let n = digits(s);
    let (major, rest) = (n > 0).then(|| s.split_at(n))?;
    let rest = rest.strip_prefix('.')?;
    let n = digits(rest);
    let (minor, rest) = (n > 0).then(|| rest.split_at(n))?;
    let (patch, pre) = loose_patch(rest.strip_prefix('.')?)?;
    Some((major, minor, patch, pre))
}

fn parse_loose(text: &str) -> Result<Version, String> {
    if text.len() > 256 {
        return Err("longer than 256 characters".into());
    }
    let (major, minor, patch, pre) = loose_plain(text.trim())
        .ok_or_else(|| format!("`{}` is not a version, even loosely", text.trim()))?;
    let number = |n: &str| n.parse::<u64>().ok().filter(|&n| n <= MAX_SAFE_INTEGER);
    let too_big = |n: &str| format!("{n} is above 2^53 - 1");
    let v = Version {
        major: number(major).ok_or_else(|| too_big(major))?,
        minor: number(minor).ok_or_else(|| too_big(minor))?,
        patch: number(patch).ok_or_else(|| too_big(patch))?,
        pre: pre
            .map(|p| {
                p.split('.')
                    .map(|id| match id.bytes().all(|b| b.is_ascii_digit()).then(|| number(id)).flatten() {
                        Some(n) if n < MAX_SAFE_INTEGER => Ident::Numeric(n),
                        _ => Ident::Alpha(id.to_string()),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    Ok(v)
}

/// Parses `text` as a whole version in `dialect`, or says why it is not one.
pub fn parse(text: &str, dialect: Dialect) -> Result<Version, String> {
    if dialect == Dialect::NpmLoose {
        return parse_loose(text);
    }
    let mut s = text;
    if dialect == Dialect::Npm {
        if text.len() > 256 {
            return Err("longer than 256 characters".into());
        }
        s = s.trim();
        s = s.strip_prefix('v').unwrap_or(s);
    }
    let mut cur = Cursor { s, at: 0 };
    let major = cur.number("major")?;
    cur.expect('.', "major")?;
    let minor = cur.number("minor")?;
    cur.expect('.', "minor")?;
    let patch = cur.number("patch")?;
    let mut pre = Vec::new();
    if cur.eat('-') {
        pre = cur.prerelease()?;
    }
    if cur.eat('+') {
        cur.build()?;
    }
    if let Some(c) = cur.peek() {
        return Err(format!("unexpected `{c}`"));
    }
    let v = Version { major, minor, patch, pre };
    if dialect == Dialect::Npm {
        for n in [v.major, v.minor, v.patch] {
            if n > MAX_SAFE_INTEGER {
                return Err(format!("{n} is above 2^53 - 1"));
            }
        }
    }
    Ok(v)
}

/// A little scanner over the grammar's pieces; [`super::cargo`] uses it too.
pub(super) struct Cursor<'a> {
    pub s: &'a str,
    pub at: usize,
}

impl<'a> Cursor<'a> {
    pub fn peek(&self) -> Option<char> {
        self.s[self.at..].chars().next()
    }

    pub fn rest(&self) -> &'a str {
        &self.s[self.at..]
    }

    pub fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, c: char, after: &str) -> Result<(), String> {
        if self.eat(c) { Ok(()) } else { Err(format!("expected `{c}` after the {after} number")) }
    }

    /// A number with no leading zero: `0` or `[1-9][0-9]*`.
    pub fn number(&mut self, what: &str) -> Result<u64, String> {
        let digits = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("expected the {what} number"));
        }
        let text = &self.rest()[..digits];
        if digits > 1 && text.starts_with('0') {
            return Err(format!("the {what} number `{text}` has a leading zero"));
        }
        let n = text.parse::<u64>().map_err(|_| format!("the {what} number `{text}` is too large"))?;
        self.at += digits;
        Ok(n)
    }

    fn identifiers(&mut self, what: &str) -> Result<Vec<&'a str>, String> {
        let mut ids = Vec::new();
        loop {
            let len = self.rest().bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'-').count();
            if len == 0 {
                return Err(format!("an empty {what} identifier"));
            }
            ids.push(&self.rest()[..len]);
            self.at += len;
            if !self.eat('.') {
                return Ok(ids);
            }
        }
    }

    /// Dot-separated identifiers after `-`; a numeric one must not have a leading zero.
    pub fn prerelease(&mut self) -> Result<Vec<Ident>, String> {
        self.identifiers("prerelease")?
            .into_iter()
            .map(|id| {
                if id.bytes().all(|b| b.is_ascii_digit()) {
                    if id.len() > 1 && id.starts_with('0') {
                        return Err(format!("the prerelease identifier `{id}` has a leading zero"));
                    }
                    // Beyond u64 a number still orders by its length first.
                    Ok(id.parse().map(Ident::Numeric).unwrap_or_else(|_| Ident::Alpha(id.to_string())))
                } else {
                    Ok(Ident::Alpha(id.to_string()))
                }
            })
            .collect()
    }

    /// Dot-separated build identifiers after `+`: read and thrown away.
    pub fn build(&mut self) -> Result<(), String> {
        self.identifiers("build").map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        parse(s, Dialect::Cargo).unwrap()
    }

    #[test]
    fn the_order_of_the_semver_spec_example() {
        // SemVer 2.0.0, item 11: each is lower than the next.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for pair in chain.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(v("1.0.0+build.7"), v("1.0.0"));
    }

    #[test]
    fn what_each_dialect_refuses() {
        for bad in ["1.2", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3+", "1.2.3-a..b", "1.2.3 x", ""] {
            assert!(parse(bad, Dialect::Npm).is_err(), "{bad}");
            assert!(parse(bad, Dialect::Cargo).is_err(), "{bad}");
        }
        assert!(parse("v1.2.3", Dialect::Npm).is_ok());
        assert!(parse("v1.2.3", Dialect::Cargo).is_err());
        assert!(parse(" 1.2.3 ", Dialect::Npm).is_ok());
        assert!(parse(" 1.2.3", Dialect::Cargo).is_err());
        assert!(parse("9007199254740992.0.0", Dialect::Npm).is_err());
        assert!(parse("9007199254740992.0.0", Dialect::Cargo).is_ok());
    }

    #[test]
    fn what_loose_mode_lets_through() {
        let loose = |s: &str| parse(s, Dialect::NpmLoose).map(|v| v.to_string());
        assert_eq!(loose("01.2.3"), Ok("1.2.3".into()));
        assert_eq!(loose("=1.2.3"), Ok("1.2.3".into()));
        assert_eq!(loose("v= 1.2.3"), Ok("1.2.3".into()));
        assert_eq!(loose("1.2.3beta"), Ok("1.2.3-beta".into()));
        assert_eq!(loose("1.2.3-01"), Ok("1.2.3-1".into()));
        assert_eq!(loose("1.2.3-"), Ok("1.2.3--".into()));
        assert_eq!(loose("1.2.34.5"), Ok("1.2.3-4.5".into()));
        assert!(loose("1.2").is_err());
        assert!(loose("1.2.3 x").is_err());
        assert!(parse("01.2.3", Dialect::Npm).is_err());
    }
}
