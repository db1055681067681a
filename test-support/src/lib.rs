//! What the book's tests and `cargo xtask` share.
//!
//! * [`in_ci`]: the one rule for "this run is CI", where a check that cannot run is a failure.
//! * [`skip_or_fail`]: a check that cannot run here (no server, no tool) fails in CI and
//!   otherwise says so where the person running the tests sees it.
//! * [`line_diff`]: how a test shows an expected text against the actual one.
//! * [`typescript`]: the pinned `tsc` and Node that check, compile and run the TypeScript examples.

use std::fmt::Write as _;
use std::io::Write as _;

pub mod typescript;

/// The environment variable xtask sets to a file; every skip appends a line to it, and xtask
/// repeats them at the end of its run.
pub const SKIPPED_LOG: &str = "BF_SKIPPED_LOG";

/// True when `CI` is set to anything but empty, `0` or `false` (any case): `CI=true` (GitHub
/// Actions, GitLab) and `CI=1` (others) both count.
pub fn in_ci() -> bool {
    ci_value_means_ci(std::env::var("CI").ok().as_deref())
}

fn ci_value_means_ci(value: Option<&str>) -> bool {
    match value.map(str::trim) {
        None | Some("") | Some("0") => false,
        Some(value) => !value.eq_ignore_ascii_case("false"),
    }
}

/// A check that cannot run here: `check` names it, `why` says what is missing, `remedy` how to
/// get it. In CI this panics (the check fails). Elsewhere it writes a box to the process's
/// stderr directly, not through `eprintln!`, which the test harness swallows for a passing
/// test, and appends a line to the file in [`SKIPPED_LOG`] when xtask set one.
pub fn skip_or_fail(check: &str, why: &str, remedy: &str) {
    if in_ci() {
        panic!("{check} cannot run, and this is CI: {why}\n{remedy}");
    }
    let bar = "!".repeat(76);
    let _ = write!(
        std::io::stderr(),
        "\n{bar}\n!! SKIPPED: {check} did NOT run; nothing was checked.\n!! why: {why}\n!! {remedy}\n!! In CI (CI=true or CI=1) this is a failure.\n{bar}\n"
    );
    if let Some(log) = std::env::var_os(SKIPPED_LOG) {
        let line = format!("{check}: {}\n", why.replace('\n', " "));
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut file| file.write_all(line.as_bytes()));
    }
}

/// True when `cargo xtask bless` asked the tests to rewrite what they compare against.
pub fn blessing() -> bool {
    std::env::var_os("EXAMPLES_BLESS").is_some_and(|value| value == "1")
}

/// A line diff: `-` lines only in `expected`, `+` lines only in `actual`, the rest indented;
/// long runs of unchanged lines are cut.
pub fn line_diff(expected: &str, actual: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    // Longest common subsequence table; texts compared here are at most a few thousand lines.
    let mut lcs = vec![vec![0u32; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i][j] =
                if old[i] == new[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            lines.push((' ', old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(('-', old[i]));
            i += 1;
        } else {
            lines.push(('+', new[j]));
            j += 1;
        }
    }
    // Keep three unchanged lines of context around each change (all lines when none changed).
    const CONTEXT: usize = 3;
    let changed = lines.iter().any(|(mark, _)| *mark != ' ');
    let near_change = |at: usize| {
        if !changed {
            return true;
        }
        let from = at.saturating_sub(CONTEXT);
        let to = (at + CONTEXT + 1).min(lines.len());
        lines[from..to].iter().any(|(mark, _)| *mark != ' ')
    };
    let mut out = String::new();
    let mut cut = false;
    for (at, (mark, line)) in lines.iter().enumerate() {
        if *mark == ' ' && !near_change(at) {
            if !cut {
                out.push_str("  …\n");
                cut = true;
            }
            continue;
        }
        cut = false;
        let _ = writeln!(out, "  {mark}{line}");
    }
    if !expected.is_empty() && !actual.is_empty() && expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str("  (the final newline differs)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_is_any_value_but_empty_zero_or_false() {
        for value in ["true", "1", "yes", "TRUE", "github"] {
            assert!(ci_value_means_ci(Some(value)), "{value}");
        }
        for value in [None, Some(""), Some("0"), Some("false"), Some("False"), Some(" ")] {
            assert!(!ci_value_means_ci(value), "{value:?}");
        }
    }

    #[test]
    fn diff_marks_removed_and_added_lines_and_cuts_long_unchanged_runs() {
        let expected = "a\nb\nc\nd\ne\nf\ng\nh\ni\n";
        let actual = "a\nb\nc\nd\ne\nf\ng\nH\ni\n";
        assert_eq!(line_diff(expected, actual), "  …\n   e\n   f\n   g\n  -h\n  +H\n   i\n");
        assert_eq!(line_diff("x\n", "x"), "   x\n  (the final newline differs)\n");
        assert_eq!(line_diff("", "new\n"), "  +new\n");
    }
}
