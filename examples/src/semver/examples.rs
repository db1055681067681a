//! The chapter's examples: the matcher (ranges × versions, npm beside Cargo), a seeded
//! predict-then-reveal puzzle, where npm and Cargo part ways on the corpus, and what a lockfile
//! changes about the version an install picks.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::corpus::{self, Verdict};
use super::version::{self, Dialect, Version};
use super::{cargo, npm};
use crate::input::{Params, no_input};
use crate::registry::{Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const MATCHER: Example = Example {
    id: "semver::matcher",
    title: "Which versions does each range match, in npm and in Cargo?",
    file: file!(),
    default_input: "versions = 1.2.3 1.2.10 1.3.0 2.0.0 2.0.0-rc.1 0.2.5 0.3.0\n\
                    ^1.2.3\n~1.2.3\n1.2.3\n=1.2.3\n^0.2.3\n>=1.2.3 <2.0.0\n>=1.2.3, <2.0.0\n\
                    1.x || ^0.2\n1.2.3 - 2\n^2.0.0-rc.1\n<2.0.0\n",
    input_help: "`versions = …` (space-separated), then one range per line, written as in package.json or Cargo.toml",
    runs: Runs::Everywhere,
    run: Run::Text(run_matcher),
};

pub const PREDICT: Example = Example {
    id: "semver::predict",
    title: "Which of these versions match? (predict, then reveal)",
    file: file!(),
    default_input: "seed = 7\n",
    input_help: "`seed = N`: any number gives another range and other versions",
    runs: Runs::Everywhere,
    run: Run::Text(run_predict),
};

pub const DIFFER: Example = Example {
    id: "semver::differ",
    title: "Where npm and Cargo disagree, over the book's corpus",
    file: file!(),
    default_input: "",
    input_help: "no input: the corpus is examples/src/semver/corpus.txt",
    runs: Runs::Everywhere,
    run: Run::Text(run_differ),
};

pub const LOCKFILE: Example = Example {
    id: "semver::lockfile",
    title: "What an install picks over time, with and without a lockfile",
    file: file!(),
    default_input: "# the range in package.json (npm) or Cargo.toml (Cargo)\n\
                    range = ^1.4.0\n\
                    # publishes: day, version, and `bad` for a broken or malicious release\n\
                    published = 0 1.4.0\npublished = 9 1.4.1\npublished = 14 2.0.0\n\
                    published = 20 1.5.0-rc.1\npublished = 30 1.5.0 bad\npublished = 31 1.5.1\n\
                    # the days someone installs: the first install writes the lockfile\n\
                    installs = 1 10 30 40\n",
    input_help: "`range = …`; `published = DAY VERSION [bad]` lines; `installs = DAY DAY …` (the first writes the lockfile)",
    runs: Runs::Everywhere,
    run: Run::Text(run_lockfile),
};

// ANCHOR: grid
/// A table of ranges × versions: each cell is three verdicts, `npm install`'s (npm's `semver`
/// in loose mode), the `semver` package's default (strict) and Cargo's (`Y` matches, `-` does
/// not, `!` the range does not parse, `?` the version does not), then how each reads every
/// range.
pub fn grid(ranges: &[&str], versions: &[&str]) -> String {
    let mut out = String::new();
    out.push_str(
        "Each cell: npm install (loose), semver's API default (strict), Cargo.\n\
         Y matches, - does not, ! the range does not parse.\n\n",
    );
    let width = ranges.iter().map(|r| r.len()).max().unwrap_or(0).max(5);
    write!(out, "{:width$}", "range").unwrap();
    for v in versions {
        write!(out, "  {v:>w$}", w = v.len().max(3)).unwrap();
    }
    out.push('\n');
    let mark = |v: Verdict| match v {
        Verdict::Yes => 'Y',
        Verdict::No => '-',
        Verdict::BadRange => '!',
        Verdict::BadVersion => '?',
    };
    for r in ranges {
        write!(out, "{r:width$}").unwrap();
        let (mut differ, mut modes) = (false, false);
        for v in versions {
            let l = corpus::npm_verdict_in(npm::Mode::Loose, r, v);
            let (n, c) = (corpus::npm_verdict(r, v), corpus::cargo_verdict(r, v));
            differ |= l != c;
            modes |= l != n;
            write!(out, "  {:>w$}", format!("{}{}{}", mark(l), mark(n), mark(c)), w = v.len().max(3))
                .unwrap();
        }
        out.push_str(match (differ, modes) {
            (true, true) => "   <- npm and Cargo differ; loose and strict too\n",
            (true, false) => "   <- npm and Cargo differ\n",
            (false, true) => "   <- loose and strict differ\n",
            (false, false) => "\n",
        });
    }
    out.push_str("\nHow each reads the range:\n");
    for r in ranges {
        let read = |x: Result<String, String>| x.unwrap_or_else(|e| format!("cannot parse: {e}"));
        let l = read(npm::parse_in(npm::Mode::Loose, r).map(|x| x.to_string()));
        let n = read(npm::parse(r).map(|x| x.to_string()));
        let c = read(cargo::parse(r).map(|x| x.to_string()));
        writeln!(out, "  {r}\n    npm install: {l}").unwrap();
        if n != l {
            writeln!(out, "    strict:      {n}").unwrap();
        }
        writeln!(out, "    Cargo:       {c}").unwrap();
    }
    out
}
// ANCHOR_END: grid

fn run_matcher(input: &str) -> Result<String, InputError> {
    let mut versions: Option<Vec<&str>> = None;
    let mut ranges = Vec::new();
    for (index, raw) in input.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(list) = line.strip_prefix("versions").and_then(|l| l.trim_start().strip_prefix('=')) {
            let list: Vec<&str> = list.split_whitespace().collect();
            if list.is_empty() || list.len() > 12 {
                return Err(InputError::at_line(index + 1, "give between 1 and 12 versions"));
            }
            versions = Some(list);
        } else {
            if line.len() > 80 {
                return Err(InputError::at_line(index + 1, "a range of at most 80 characters, please"));
            }
            ranges.push(line);
        }
    }
    let versions = versions.ok_or_else(|| InputError::new("start with a line `versions = 1.2.3 1.3.0 …`"))?;
    if ranges.is_empty() || ranges.len() > 20 {
        return Err(InputError::new("give between 1 and 20 ranges, one per line"));
    }
    for v in &versions {
        if let Err(e) = version::parse(v, Dialect::Npm) {
            return Err(InputError::new(format!("`{v}` is not a version: {e}")));
        }
    }
    Ok(grid(&ranges, &versions))
}

// ANCHOR: puzzle
/// A seeded puzzle: one range, six versions around its edges.
pub fn puzzle(seed: u64) -> (String, Vec<String>) {
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9).wrapping_add(21));
    let major = [0, 0, 1, 2, 4][rng.range(0, 4) as usize];
    let minor = rng.range(0, 3);
    let patch = rng.range(0, 5);
    let (m, n, p) = (major, minor, patch);
    let range = match rng.range(0, 9) {
        0 => format!("^{m}.{n}.{p}"),
        1 => format!("~{m}.{n}.{p}"),
        2 => format!("{m}.{n}.{p}"),
        3 => format!("{m}.{n}"),
        4 => format!("{m}.{n}.x"),
        5 => format!(">={m}.{n}.{p} <{}.0.0", m + 1),
        6 => format!(">={m}.{n}.{p}, <{}.0.0", m + 1),
        7 => format!("^{m}.{n}.{p}-beta.2"),
        8 => format!("{m}.{n}.{p} - {}.{}", m, n + 1),
        _ => format!("^{m}.{n} || ^{}.0.0", m + 2),
    };
    let mut versions = vec![
        format!("{m}.{n}.{p}"),
        format!("{m}.{n}.{}", p + 1 + rng.range(0, 8)),
        format!("{m}.{}.0", n + 1),
        format!("{}.0.0", m + 1),
        format!("{m}.{n}.{p}-beta.{}", rng.range(1, 3)),
        if p > 0 { format!("{m}.{n}.{}", p - 1) } else { format!("{}.0.0", m + 2) },
    ];
    // Shuffle so the order gives nothing away.
    for i in (1..versions.len()).rev() {
        versions.swap(i, rng.range(0, i as u64) as usize);
    }
    (range, versions)
}
// ANCHOR_END: puzzle

fn run_predict(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["seed"])?;
    let seed = p.number_or("seed", 0, u64::MAX, 7)?;
    let (range, versions) = puzzle(seed);
    let mut out = String::new();
    writeln!(out, "The range `{range}`, written in package.json and then in Cargo.toml.").unwrap();
    writeln!(out, "Versions: {}", versions.join("  ")).unwrap();
    out.push_str("Which does npm accept, and which does Cargo? (Where do they differ, and why?)\n");
    out.push_str(REVEAL_MARKER);
    out.push('\n');
    let vs: Vec<&str> = versions.iter().map(String::as_str).collect();
    out.push_str(&grid(&[range.as_str()], &vs));
    Ok(out)
}

// ANCHOR: differ
fn run_differ(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    let mut counts: BTreeMap<(Verdict, Verdict), usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    let lines = corpus::lines();
    for line in &lines {
        let mut differ = Vec::new();
        for v in &line.versions {
            let (n, c) = (corpus::npm_verdict(&line.range, v), corpus::cargo_verdict(&line.range, v));
            *counts.entry((n, c)).or_default() += 1;
            if n != c && n != Verdict::BadRange && c != Verdict::BadRange {
                differ.push(format!("{v} (npm {n}, Cargo {c})"));
            }
        }
        if !differ.is_empty() {
            disagreements.push((line.range.clone(), differ));
        }
    }
    let total: usize = counts.values().sum();
    let mut out = String::new();
    writeln!(out, "{} ranges, {total} (range, version) cases.\n", lines.len()).unwrap();
    writeln!(out, "{:<13} {:<13} cases", "npm says", "Cargo says").unwrap();
    for ((n, c), k) in &counts {
        writeln!(out, "{:<13} {:<13} {k:>5}", n.to_string(), c.to_string()).unwrap();
    }
    writeln!(out, "\nRanges both can read, on which they still give different answers:").unwrap();
    for (range, differ) in disagreements {
        let shown = if differ.len() > 2 {
            format!("{} and {} more", differ[..2].join("; "), differ.len() - 2)
        } else {
            differ.join("; ")
        };
        writeln!(out, "  {range:<22} {shown}").unwrap();
    }
    // npm install reads ranges loosely: what changes against the strict reading above.
    let mut changed = 0;
    let mut readings = Vec::new();
    for line in &lines {
        for v in &line.versions {
            if corpus::npm_verdict_in(npm::Mode::Loose, &line.range, v) != corpus::npm_verdict(&line.range, v)
            {
                changed += 1;
            }
        }
        let loose = npm::parse_in(npm::Mode::Loose, &line.range).map(|r| r.to_string());
        if let (Err(_), Ok(reading)) = (npm::parse(&line.range), loose) {
            readings.push(format!("  {:<22} {reading}", line.range));
        }
    }
    writeln!(
        out,
        "\nnpm install reads ranges loosely: {changed} of the {total} cases get another verdict than \
         above. Ranges the strict reading refuses and npm install reads ({}):",
        readings.len()
    )
    .unwrap();
    for r in readings {
        writeln!(out, "{r}").unwrap();
    }
    Ok(out)
}
// ANCHOR_END: differ

// ANCHOR: resolve
/// What a fresh resolution picks: the highest published version the range accepts. Cargo's
/// resolver tries the newest first; npm takes its `latest` tag when the range allows it, which
/// is the highest release in the usual case modelled here, and the highest match otherwise.
/// npm reads the range loosely, as `npm install` does (`Dialect::Npm` is read the same way).
pub fn resolve<'a>(range: &str, dialect: Dialect, published: &[&'a Version]) -> Option<&'a Version> {
    published
        .iter()
        .copied()
        .filter(|v| match dialect {
            Dialect::Npm | Dialect::NpmLoose => {
                npm::parse_in(npm::Mode::Loose, range).is_ok_and(|r| r.test(v))
            }
            Dialect::Cargo => cargo::parse(range).is_ok_and(|r| r.matches(v)),
        })
        .max()
}
// ANCHOR_END: resolve

struct Publish {
    day: u64,
    version: Version,
    bad: bool,
}

fn run_lockfile(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["range", "published", "installs"])?;
    let range = p.one("range")?.ok_or_else(|| InputError::new("`range = …` is missing"))?;
    let mut publishes = Vec::new();
    for e in p.all("published") {
        let words: Vec<&str> = e.value.split_whitespace().collect();
        let (day, v, bad) = match words[..] {
            [day, v] => (day, v, false),
            [day, v, "bad"] => (day, v, true),
            _ => return Err(InputError::at_line(e.line, "expected `published = DAY VERSION [bad]`")),
        };
        let day = crate::input::parse_number(day, e.line, 0, 10_000)?;
        let version = version::parse(v, Dialect::Cargo)
            .map_err(|err| InputError::at_line(e.line, format!("`{v}`: {err}")))?;
        publishes.push(Publish { day, version, bad });
    }
    if publishes.is_empty() || publishes.len() > 30 {
        return Err(InputError::new("give between 1 and 30 `published = DAY VERSION` lines"));
    }
    let installs = p.one("installs")?.ok_or_else(|| InputError::new("`installs = DAY DAY …` is missing"))?;
    let days = installs.numbers(0u64, 10_000)?;
    if days.is_empty() || days.len() > 10 {
        return Err(InputError::at_line(installs.line, "give between 1 and 10 install days"));
    }
    let mut out = String::new();
    for (dialect, name, fresh, locked) in [
        (Dialect::NpmLoose, "npm", "resolved fresh", "replayed from the lock"),
        (Dialect::Cargo, "Cargo", "resolved fresh", "replayed from the lock"),
    ] {
        let reading = match dialect {
            Dialect::Npm | Dialect::NpmLoose => {
                npm::parse_in(npm::Mode::Loose, range.value).map(|r| r.to_string())
            }
            Dialect::Cargo => cargo::parse(range.value).map(|r| r.to_string()),
        };
        let reading = reading.map_err(|e| InputError::at_line(range.line, format!("{name}: {e}")))?;
        writeln!(out, "{name} reads `{}` as {reading}", range.value).unwrap();
        writeln!(out, "  {:>4}  {:<28} {locked}", "day", fresh).unwrap();
        let mut lock: Option<&Publish> = None;
        for &day in &days {
            let out_by_then: Vec<&Version> =
                publishes.iter().filter(|x| x.day <= day).map(|x| &x.version).collect();
            let pick = resolve(range.value, dialect, &out_by_then)
                .and_then(|v| publishes.iter().find(|x| x.day <= day && x.version == *v));
            let show = |x: Option<&Publish>| match x {
                None => "nothing matches".to_string(),
                Some(x) => format!("{}{}", x.version, if x.bad { " (bad!)" } else { "" }),
            };
            // The first install resolves and writes the lockfile; later installs from the
            // lockfile get exactly what it recorded.
            if lock.is_none() {
                lock = pick;
            }
            let row = format!("  {day:>4}  {:<28} {}", show(pick), show(lock));
            writeln!(out, "{}", row.trim_end()).unwrap();
        }
        out.push('\n');
    }
    out.push_str(
        "A model, not the tools: without a lockfile (and, for npm, without a node_modules left from \
         before) each install resolves anew, the newest match on that day. With one, every install \
         gets what the first recorded until someone updates it on purpose. What the real npm does \
         with a lockfile that no longer fits package.json is in data/npm-lockfile.txt (the next \
         example).\n",
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_puzzle_parses_in_npm_or_cargo_and_many_differ() {
        let mut differ = 0;
        for seed in 0..300 {
            let (range, versions) = puzzle(seed);
            assert!(npm::parse(&range).is_ok() || cargo::parse(&range).is_ok(), "seed {seed}: {range}");
            for v in &versions {
                assert!(version::parse(v, Dialect::Cargo).is_ok(), "seed {seed}: {v}");
                if corpus::npm_verdict(&range, v) != corpus::cargo_verdict(&range, v) {
                    differ += 1;
                }
            }
        }
        assert!(differ > 50, "puzzles where npm and Cargo differ: {differ}");
    }

    #[test]
    fn the_lockfile_holds_back_the_bad_release() {
        let out = run_lockfile(LOCKFILE.default_input).unwrap();
        assert!(out.contains("1.5.0 (bad!)"), "{out}");
        let npm_block = out.split("Cargo reads").next().unwrap();
        let day30 = npm_block.lines().find(|l| l.trim_start().starts_with("30")).unwrap();
        assert!(day30.contains("1.5.0 (bad!)") && day30.trim_end().ends_with("1.4.0"), "{day30}");
    }
}
