//! npm's range grammar, read the way npm's `semver` package (7.x) reads it: the range is
//! rewritten, step by step, into sets of primitive comparators (`>=1.2.3 <2.0.0-0`), a version
//! matches when every comparator of one set holds, and a prerelease version must also share
//! its `MAJOR.MINOR.PATCH` with a comparator that names a prerelease.
//!
//! The steps follow the package's `Range.parseRange` in order, since the rewriting is what
//! decides the odd cases (a hyphen range, `~>`, `>= 1.2`, a trailing `||`); `tests/semver_reference.rs`
//! checks every case of `corpus.txt` against the package itself.

use std::fmt;

use super::version::{self, Dialect, Version};

/// A primitive comparator: `op` is one of `<`, `<=`, `>`, `>=` or `` (equal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparator {
    /// Matches any version (`*`, an empty range, `>=0.0.0`).
    Any,
    Op(&'static str, Version),
}

impl Comparator {
    fn value(&self) -> String {
        match self {
            Comparator::Any => String::new(),
            Comparator::Op(op, v) => format!("{op}{v}"),
        }
    }

    fn is_null_set(&self) -> bool {
        self.value() == "<0.0.0-0"
    }

    fn test(&self, v: &Version) -> bool {
        match self {
            Comparator::Any => true,
            Comparator::Op(op, c) => match *op {
                "<" => v < c,
                "<=" => v <= c,
                ">" => v > c,
                ">=" => v >= c,
                _ => v == c,
            },
        }
    }
}

/// A parsed range: sets of comparators joined by `||`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub sets: Vec<Vec<Comparator>>,
}

// ANCHOR: test
impl Range {
    /// True when every comparator of some set holds for `v`.
    pub fn test(&self, v: &Version) -> bool {
        self.sets.iter().any(|set| {
            set.iter().all(|c| c.test(v))
                && (!v.is_prerelease()
                    // A prerelease passes only if a comparator of the same set names a
                    // prerelease of the same MAJOR.MINOR.PATCH: ^1.2.3-beta.1 lets in
                    // 1.2.3-beta.2, never 1.3.0-alpha.
                    || set.iter().any(|c| match c {
                        Comparator::Op(_, cv) => cv.is_prerelease() && cv.same_triple(v),
                        Comparator::Any => false,
                    }))
        })
    }
}
// ANCHOR_END: test

/// What `semver.validRange` prints: the comparators, `||` between sets, `*` for any version.
impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self
            .sets
            .iter()
            .map(|set| set.iter().map(Comparator::value).collect::<Vec<_>>().join(" ").trim().to_string())
            .collect::<Vec<_>>()
            .join("||");
        f.write_str(if text.is_empty() { "*" } else { &text })
    }
}

/// How the package reads: `Strict` is `semver`'s default (what its API, `semver.satisfies(v,
/// r)`, does when called without options); `Loose` is `{ loose: true }`, the reading `npm
/// install` itself uses for a dependency's range (npm-package-arg's `validRange(spec, true)`,
/// npm-pick-manifest's `satisfies(.., { loose: true })`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Strict,
    Loose,
}

impl Mode {
    fn dialect(self) -> Dialect {
        match self {
            Mode::Strict => Dialect::Npm,
            Mode::Loose => Dialect::NpmLoose,
        }
    }
}

/// The verdict npm's `semver.satisfies(version, range)` gives, with why when it cannot say yes
/// or no.
pub fn satisfies(range: &str, version: &str) -> Result<bool, String> {
    satisfies_in(Mode::Strict, range, version)
}

/// The same in either mode: `satisfies(version, range, { loose: true })` for `Mode::Loose`.
pub fn satisfies_in(mode: Mode, range: &str, version: &str) -> Result<bool, String> {
    let r = parse_in(mode, range)?;
    let v = version::parse(version, mode.dialect()).map_err(|e| format!("invalid version: {e}"))?;
    Ok(r.test(&v))
}

/// Parses a range as npm's semver does by default, or says which comparator it could not read.
pub fn parse(range: &str) -> Result<Range, String> {
    parse_in(Mode::Strict, range)
}

// ANCHOR: parse
/// Parses a range in `mode`. Loose mode quietly drops every word that is not a comparator
/// (`>=1.2,` of Cargo's `>=1.2, <1.5`) and every set left empty (`foo` in `1.2.3 || foo`); a
/// range left with no set at all is invalid.
pub fn parse_in(mode: Mode, range: &str) -> Result<Range, String> {
    // Whitespace runs become one space; then the range splits on `||`.
    let raw = range.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut sets = Vec::new();
    for part in raw.split("||") {
        let set = parse_set(part.trim(), mode)?;
        if !set.is_empty() {
            sets.push(set);
        }
    }
    if sets.is_empty() {
        return Err(format!("no comparator left in `{raw}`"));
    }
    // `1.x || *` is just `*`; a set that can match nothing is dropped when others can.
    if sets.len() > 1 {
        let first = sets[0].clone();
        sets.retain(|set| !set[0].is_null_set());
        if sets.is_empty() {
            sets = vec![first];
        } else if let Some(any) = sets.iter().find(|s| s.len() == 1 && s[0] == Comparator::Any) {
            sets = vec![any.clone()];
        }
    }
    Ok(Range { sets })
}

fn parse_set(text: &str, mode: Mode) -> Result<Vec<Comparator>, String> {
    let text = strip_build(text);
    // `1.2.3 - 2.3.4` becomes `>=1.2.3 <=2.3.4`.
    let text = hyphen(&text, mode).unwrap_or(text);
    // `>= 1.2.3` becomes `>=1.2.3`, `~ 1.2` `~1.2`, `^ 1` `^1`.
    let text = trim_operator_space(&text);
    let mut words = Vec::new();
    for word in text.split(' ') {
        // Each word is rewritten into primitive comparators: carets, tildes, x-ranges, stars.
        let word = caret(word, mode).unwrap_or_else(|| word.to_string());
        let word = each_word(&word, |w| tilde(w, mode).unwrap_or_else(|| w.to_string()));
        let word = each_word(&word, |w| xrange(w, mode));
        words.push(star(word.trim()));
    }
    // Every word must read as a comparator, even after one that matches nothing; loose mode
    // first throws out the words that do not look like one.
    // JavaScript's `split(/\s+/)`: a word emptied in the middle (`>=*`) vanishes, one at
    // either end stays as an empty comparator (any version).
    let joined = words.join(" ");
    let pieces: Vec<&str> = joined.split(' ').collect();
    let last = pieces.len() - 1;
    let parsed = pieces
        .iter()
        .enumerate()
        .filter(|&(i, w)| !w.is_empty() || i == 0 || i == last)
        .map(|(_, &word)| if word == ">=0.0.0" { "" } else { word })
        .filter(|word| mode == Mode::Strict || loose_comparator(word))
        .map(|word| comparator(word, mode))
        .collect::<Result<Vec<_>, _>>()?;
    let mut set: Vec<Comparator> = Vec::new();
    for c in parsed {
        if c.is_null_set() {
            return Ok(vec![c]);
        }
        if !set.contains(&c) {
            set.push(c);
        }
    }
    if set.len() > 1 {
        set.retain(|c| *c != Comparator::Any);
    }
    Ok(set)
}
// ANCHOR_END: parse

fn each_word(text: &str, f: impl Fn(&str) -> String) -> String {
    text.split_whitespace().map(f).collect::<Vec<_>>().join(" ")
}

fn ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// Drops every `+build.metadata` (npm strips it before reading the range).
fn strip_build(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'+' && b.get(i + 1).is_some_and(|&c| ident_char(c)) {
            i += 1;
            loop {
                while i < b.len() && ident_char(b[i]) {
                    i += 1;
                }
                if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(|&c| ident_char(c)) {
                    i += 1;
                } else {
                    break;
                }
            }
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// A partial version as a range writes it: `[v=]*` then `1`, `1.2`, `1.x`, `1.2.3-rc.1`, `*`.
/// `None` for a missing or wildcard part.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Partial<'a> {
    major: &'a str,
    minor: Option<&'a str>,
    patch: Option<&'a str>,
    pre: Option<&'a str>,
}

fn is_x(part: Option<&str>) -> bool {
    matches!(part, None | Some("x" | "X" | "*"))
}

/// Loose parts are `\d+` (leading zeros allowed) or a wildcard; after a patch comes loose
/// mode's tail (the `-` optional).
fn partial_loose(s: &str) -> Option<Partial<'_>> {
    let part = |s: &str| {
        let n =
            if s.starts_with(['x', 'X', '*']) { 1 } else { s.bytes().take_while(u8::is_ascii_digit).count() };
        (n > 0).then_some(n)
    };
    let n = part(s)?;
    let (major, rest) = s.split_at(n);
    let Some(rest) = rest.strip_prefix('.') else {
        return rest.is_empty().then_some(Partial { major, minor: None, patch: None, pre: None });
    };
    let n = part(rest)?;
    let (minor, rest) = rest.split_at(n);
    let Some(rest) = rest.strip_prefix('.') else {
        return rest.is_empty().then_some(Partial { major, minor: Some(minor), patch: None, pre: None });
    };
    let (patch, pre) = if rest.starts_with(['x', 'X', '*']) {
        (&rest[..1], version::loose_tail(&rest[1..])?)
    } else {
        version::loose_patch(rest)?
    };
    Some(Partial { major, minor: Some(minor), patch: Some(patch), pre })
}

/// Reads a whole partial version (`XRANGEPLAIN` in npm's source, `XRANGEPLAINLOOSE` in loose
/// mode), or `None`.
fn partial(text: &str, mode: Mode) -> Option<Partial<'_>> {
    let s = text.trim_start_matches(['v', '=', ' ']);
    if mode == Mode::Loose {
        return partial_loose(s);
    }
    let mut parts = [None, None, None];
    let mut rest = s;
    for (i, slot) in parts.iter_mut().enumerate() {
        if i > 0 {
            match rest.strip_prefix('.') {
                Some(r) if i < 3 => rest = r,
                _ => break,
            }
        }
        // A wildcard or a `0` is one character: `01` is not a number here.
        let len = if rest.starts_with(['x', 'X', '*', '0']) {
            1
        } else {
            rest.bytes().take_while(u8::is_ascii_digit).count()
        };
        if len == 0 {
            return None;
        }
        *slot = Some(&rest[..len]);
        rest = &rest[len..];
    }
    let mut pre = None;
    if parts[2].is_some() && rest.starts_with('-') {
        let mut cur = version::Cursor { s: &rest[1..], at: 0 };
        cur.prerelease().ok()?;
        pre = Some(&rest[1..1 + cur.at]);
        rest = &rest[1 + cur.at..];
    }
    if parts[2].is_some() && rest.starts_with('+') {
        let mut cur = version::Cursor { s: &rest[1..], at: 0 };
        cur.build().ok()?;
        rest = &rest[1 + cur.at..];
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Partial { major: parts[0]?, minor: parts[1], patch: parts[2], pre })
}

fn plus1(n: &str) -> String {
    // Past u64 (far past npm's 2^53 - 1) the result is left unreadable, as npm rejects it too.
    n.parse::<u64>().ok().and_then(|n| n.checked_add(1)).map_or_else(|| format!("{n}+1"), |n| n.to_string())
}

/// `A - B`: `>=A` (x-parts filled with 0) and `<=B`, or `<` the next version B allows.
fn hyphen(text: &str, mode: Mode) -> Option<String> {
    let mut start = 0;
    while let Some(i) = text[start..].find(" - ").map(|i| i + start) {
        let (from, to) = (&text[..i], &text[i + 3..]);
        if let (Some(f), Some(t)) = (partial(from, mode), partial(to, mode)) {
            let from = if is_x(Some(f.major)) {
                String::new()
            } else if is_x(f.minor) {
                format!(">={}.0.0", f.major)
            } else if is_x(f.patch) {
                format!(">={}.{}.0", f.major, f.minor.unwrap())
            } else {
                format!(">={from}")
            };
            let to = if is_x(Some(t.major)) {
                String::new()
            } else if is_x(t.minor) {
                format!("<{}.0.0-0", plus1(t.major))
            } else if is_x(t.patch) {
                format!("<{}.{}.0-0", t.major, plus1(t.minor.unwrap()))
            } else if let Some(pre) = t.pre {
                format!("<={}.{}.{}-{pre}", t.major, t.minor.unwrap(), t.patch.unwrap())
            } else {
                format!("<={to}")
            };
            return Some(format!("{from} {to}").trim().to_string());
        }
        start = i + 1;
    }
    None
}

/// Removes the space between an operator and its version: `> 1.2` → `>1.2`, `~ 1` → `~1`,
/// `~> 1` → `~1`, `^ 1` → `^1`.
fn trim_operator_space(text: &str) -> String {
    // npm's scan: at an operator (or a run of `v`, `=` and spaces) followed by a version, at
    // most one space right after the operator goes; then the scan jumps past the version.
    let b = text.as_bytes();
    let mut drop = vec![false; b.len()];
    let prefix = |c: u8| matches!(c, b'v' | b'=' | b' ');
    let start = |c: Option<&u8>| matches!(c, Some(b'0'..=b'9' | b'x' | b'X' | b'*'));
    let mut cursor = 0;
    while cursor < b.len() {
        let at = cursor;
        if matches!(b[cursor], b'<' | b'>') {
            cursor += 1;
        } else if !prefix(b[cursor]) && !start(b.get(cursor)) {
            cursor += 1;
            continue;
        }
        while cursor < b.len() && prefix(b[cursor]) {
            cursor += 1;
        }
        if !start(b.get(cursor)) {
            continue;
        }
        let mut p = at;
        if b[p] == b' ' {
            p += 1;
        }
        if matches!(b.get(p), Some(b'<' | b'>')) {
            p += 1;
        }
        if b.get(p) == Some(&b'=') {
            p += 1;
        }
        if b.get(p) == Some(&b' ') {
            drop[p] = true;
        }
        while cursor < b.len()
            && (b[cursor].is_ascii_alphanumeric() || matches!(b[cursor], b'.' | b'+' | b'-' | b'*'))
        {
            cursor += 1;
        }
    }
    let mut out: String = text
        .char_indices()
        .filter(|(i, _)| !drop.get(*i).copied().unwrap_or(false))
        .map(|(_, c)| c)
        .collect();
    // Tilde and caret: `(\s*)~>?\s+` → `$1~`, `(\s*)\^\s+` → `$1^`.
    for (from, to) in [("~> ", "~"), ("~ ", "~"), ("^ ", "^")] {
        out = out.replace(from, to);
    }
    out
}

/// `^M.m.p`: up to (not including) the next change in the left-most non-zero part.
fn caret(word: &str, mode: Mode) -> Option<String> {
    let p = partial(word.strip_prefix('^')?, mode)?;
    let (mj, mn, pt) = (p.major, p.minor.unwrap_or("x"), p.patch.unwrap_or("x"));
    Some(if is_x(Some(mj)) {
        String::new()
    } else if is_x(p.minor) {
        format!(">={mj}.0.0 <{}.0.0-0", plus1(mj))
    } else if is_x(p.patch) {
        if mj == "0" {
            format!(">={mj}.{mn}.0 <{mj}.{}.0-0", plus1(mn))
        } else {
            format!(">={mj}.{mn}.0 <{}.0.0-0", plus1(mj))
        }
    } else {
        let low = match p.pre {
            Some(pre) => format!(">={mj}.{mn}.{pt}-{pre}"),
            None => format!(">={mj}.{mn}.{pt}"),
        };
        if mj == "0" && mn == "0" {
            format!("{low} <{mj}.{mn}.{}-0", plus1(pt))
        } else if mj == "0" {
            format!("{low} <{mj}.{}.0-0", plus1(mn))
        } else {
            format!("{low} <{}.0.0-0", plus1(mj))
        }
    })
}

/// `~M.m.p`: patch updates only (`~1` allows any 1.x).
fn tilde(word: &str, mode: Mode) -> Option<String> {
    let rest = word.strip_prefix('~')?;
    let rest = rest.strip_prefix('>').unwrap_or(rest);
    let p = partial(rest, mode)?;
    let (mj, mn, pt) = (p.major, p.minor.unwrap_or("x"), p.patch.unwrap_or("x"));
    Some(if is_x(Some(mj)) {
        String::new()
    } else if is_x(p.minor) {
        format!(">={mj}.0.0 <{}.0.0-0", plus1(mj))
    } else if is_x(p.patch) {
        format!(">={mj}.{mn}.0 <{mj}.{}.0-0", plus1(mn))
    } else if let Some(pre) = p.pre {
        format!(">={mj}.{mn}.{pt}-{pre} <{mj}.{}.0-0", plus1(mn))
    } else {
        format!(">={mj}.{mn}.{pt} <{mj}.{}.0-0", plus1(mn))
    })
}

/// An operator and a version with `x` parts: `1.x`, `>=1.2`, `<=1`, `*`.
fn xrange(word: &str, mode: Mode) -> String {
    let op_len = {
        let b = word.as_bytes();
        let mut n = 0;
        if matches!(b.first(), Some(b'<' | b'>')) {
            n += 1;
        }
        if b.get(n) == Some(&b'=') {
            n += 1;
        }
        n
    };
    let (mut op, rest) = word.split_at(op_len);
    let Some(p) = partial(rest, mode) else { return word.to_string() };
    let (xm_, xn, xp) = (is_x(Some(p.major)), is_x(p.minor), is_x(p.patch));
    // `*.1` or `1.x.3`: npm leaves the word as it is (and then cannot read it).
    if (xm_ && !xn && p.minor.is_some()) || (is_x(p.minor) && p.patch.is_some() && !is_x(p.patch)) {
        return word.to_string();
    }
    let (xn, xp) = (xm_ || xn, xm_ || xn || xp);
    if op == "=" && xp {
        op = "";
    }
    if xm_ {
        return if op == ">" || op == "<" { "<0.0.0-0".into() } else { "*".into() };
    }
    let mj = p.major;
    if !op.is_empty() && xp {
        let (mut mj, mut mn) =
            (mj.to_string(), if xn { "0".to_string() } else { p.minor.unwrap().to_string() });
        let mut op = op;
        if op == ">" {
            op = ">=";
            if xn {
                mj = plus1(&mj);
                mn = "0".into();
            } else {
                mn = plus1(&mn);
            }
        } else if op == "<=" {
            op = "<";
            if xn {
                mj = plus1(&mj);
            } else {
                mn = plus1(&mn);
            }
        }
        let pre = if op == "<" { "-0" } else { "" };
        return format!("{op}{mj}.{mn}.0{pre}");
    }
    if xn {
        format!(">={mj}.0.0 <{}.0.0-0", plus1(mj))
    } else if xp {
        let mn = p.minor.unwrap();
        format!(">={mj}.{mn}.0 <{mj}.{}.0-0", plus1(mn))
    } else {
        word.to_string()
    }
}

/// Removes the first `*` with its operator (`>=*`): a star ANDed with the rest adds nothing.
fn star(word: &str) -> String {
    let Some(k) = word.find('*') else { return word.to_string() };
    let b = word.as_bytes();
    let mut start = k;
    if start > 0 && b[start - 1] == b'=' {
        start -= 1;
    }
    if start > 0 && matches!(b[start - 1], b'<' | b'>') {
        start -= 1;
    }
    format!("{}{}", &word[..start], &word[k + 1..])
}

/// Whether a word looks like a comparator to loose mode (`COMPARATORLOOSE`): empty, or an
/// optional `<`, `>`, `<=`, `>=`, `=` and a loose version.
fn loose_comparator(word: &str) -> bool {
    let rest = word.strip_prefix(['<', '>']).unwrap_or(word);
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    word.is_empty() || version::loose_plain(rest).is_some()
}

/// A primitive comparator: an optional `<`, `<=`, `>`, `>=` or `=` and a whole version.
fn comparator(word: &str, mode: Mode) -> Result<Comparator, String> {
    if word.is_empty() {
        return Ok(Comparator::Any);
    }
    let (op, rest) = [">=", "<=", ">", "<", "="]
        .iter()
        .find_map(|op| word.strip_prefix(op).map(|rest| (*op, rest)))
        .unwrap_or(("", word));
    let op = if op == "=" { "" } else { op };
    if rest.starts_with(' ') {
        return Err(format!("invalid comparator `{word}`"));
    }
    let v = version::parse(rest, mode.dialect())
        .ok()
        .filter(|_| !rest.starts_with(char::is_whitespace))
        .ok_or_else(|| format!("invalid comparator `{word}`"))?;
    Ok(Comparator::Op(op, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desugars_as_the_npm_docs_say() {
        for (range, reading) in [
            ("^1.2.3", ">=1.2.3 <2.0.0-0"),
            ("^0.2.3", ">=0.2.3 <0.3.0-0"),
            ("^0.0.3", ">=0.0.3 <0.0.4-0"),
            ("^1.2.x", ">=1.2.0 <2.0.0-0"),
            ("^0.0.x", "<0.1.0-0"),
            ("~1.2.3", ">=1.2.3 <1.3.0-0"),
            ("~1", ">=1.0.0 <2.0.0-0"),
            ("1.2.3 - 2.3.4", ">=1.2.3 <=2.3.4"),
            ("1.2 - 2.3", ">=1.2.0 <2.4.0-0"),
            ("1.x", ">=1.0.0 <2.0.0-0"),
            ("", "*"),
            ("*", "*"),
            (">= 1.2", ">=1.2.0"),
            ("<=1.2", "<1.3.0-0"),
            (">1", ">=2.0.0"),
            ("1.2.3", "1.2.3"),
            ("=1.2.3", "1.2.3"),
            ("1.2.3 ||", "*"),
        ] {
            assert_eq!(parse(range).map(|r| r.to_string()), Ok(reading.to_string()), "{range}");
        }
    }

    #[test]
    fn odd_input_never_panics() {
        let pieces = [
            "1",
            "0",
            "2",
            "x",
            "*",
            ".",
            "-",
            "+",
            " ",
            "||",
            "^",
            "~",
            ">",
            "<",
            "=",
            "v",
            ",",
            "rc",
            "ß",
            "\t",
            "18446744073709551615",
            "9007199254740992",
        ];
        let mut rng = crate::rng::Rng::new(3);
        for _ in 0..20_000 {
            let n = rng.range(0, 12);
            let text: String =
                (0..n).map(|_| pieces[rng.range(0, pieces.len() as u64 - 1) as usize]).collect();
            let _ = parse(&text).map(|r| r.to_string());
            let _ = satisfies(&text, "1.2.3");
            let _ = satisfies("^1.2.3", &text);
            let _ = super::super::cargo::parse(&text).map(|r| r.to_string());
            let _ = super::super::cargo::satisfies(&text, "1.2.3-rc.1");
        }
    }

    #[test]
    fn prereleases_need_an_invitation() {
        assert_eq!(satisfies("^1.2.3-beta.1", "1.2.3-beta.2"), Ok(true));
        assert_eq!(satisfies("^1.2.3-beta.1", "1.3.0-beta.1"), Ok(false));
        assert_eq!(satisfies(">=1.0.0", "2.0.0-rc.1"), Ok(false));
        assert!(satisfies("1.2.3 foo", "1.2.3").is_err());
    }

    #[test]
    fn loose_mode_drops_what_it_cannot_read() {
        let loose = |r: &str| parse_in(Mode::Loose, r).map(|r| r.to_string());
        // Cargo's comma: the lower bound goes, silently.
        assert_eq!(loose(">=1.2, <1.5"), Ok("<1.5.0-0".into()));
        assert!(loose(">=1.2,<1.5").is_err());
        assert!(parse(">=1.2, <1.5").is_err());
        assert_eq!(loose("1.2.3 -2.3.4"), Ok("1.2.3".into()));
        assert_eq!(loose("1.2.3 || foo"), Ok("1.2.3".into()));
        assert_eq!(loose("^01.2.3"), Ok(">=1.2.3 <2.0.0-0".into()));
        assert!(loose("foo").is_err());
        assert_eq!(satisfies_in(Mode::Loose, ">=1.2, <1.5", "1.0.0"), Ok(true));
    }
}
