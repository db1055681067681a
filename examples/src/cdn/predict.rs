//! Predict, then reveal: a generated response and request times; fresh or stale, and what
//! does the cache send? The answer is the calculator's own report.

use super::rfc9111::{analyse, parse, report};
use crate::input::Params;
use crate::registry::{Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "cdn::predict",
    title: "Fresh or stale? What does the cache send? (predict, then reveal)",
    file: file!(),
    default_input: "seed = 7\n",
    input_help: "`seed = N`: which puzzle (any whole number); `cache = shared | private` to fix the cache kind",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: example
/// Response policies a puzzle picks from: each one exercises a different rule.
const POLICIES: &[&str] = &[
    "max-age=60",
    "max-age=60, stale-while-revalidate=30",
    "public, max-age=300, s-maxage=60",
    "max-age=120, must-revalidate",
    "no-cache",
    "private, max-age=600",
    "s-maxage=30, stale-while-revalidate=60",
    "max-age=31536000, immutable",
    "max-age=30, stale-if-error=300",
    "",
];

const REQUESTS: &[&str] = &["", "", "", "max-age=0", "no-cache", "max-stale=60", "min-fresh=20"];

/// Builds the puzzle's input in the calculator's own format.
pub fn puzzle(seed: u64, cache: Option<&str>) -> String {
    let mut rng = Rng::new(seed);
    let cache = cache.unwrap_or(if rng.chance(0.7) { "shared" } else { "private" });
    let policy = POLICIES[rng.range(0, POLICIES.len() as u64 - 1) as usize];
    let request_cc = REQUESTS[rng.range(0, REQUESTS.len() as u64 - 1) as usize];
    let request_time = 0;
    let response_time = rng.range(0, 3) as i64;
    let age = if rng.chance(0.5) { Some(rng.range(1, 40)) } else { None };
    let now = response_time + rng.range(5, 150) as i64;
    let mut lines = vec![
        format!("cache = {cache}"),
        format!("request_time = {request_time}"),
        format!("response_time = {response_time}"),
        format!("now = {now}"),
        "HTTP/1.1 200 OK".to_string(),
        "Date: Mon, 30 Nov 2026 06:00:00 GMT".to_string(),
    ];
    if !policy.is_empty() {
        lines.push(format!("Cache-Control: {policy}"));
    }
    if rng.chance(0.6) {
        lines.push(format!("ETag: \"{:x}\"", rng.range(0x1000, 0xffff)));
    }
    if policy.is_empty() || rng.chance(0.4) {
        lines.push(format!("Last-Modified: Mon, 30 Nov 2026 0{}:00:00 GMT", rng.range(2, 5)));
    }
    if let Some(age) = age {
        lines.push(format!("Age: {age}"));
    }
    if !request_cc.is_empty() {
        lines.push("request:".to_string());
        lines.push(format!("Cache-Control: {request_cc}"));
    }
    lines.join("\n") + "\n"
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["seed", "cache"])?;
    let seed = params.number_or("seed", 0u64, u64::MAX, 7)?;
    let cache = params
        .one("cache")?
        .map(|_| params.choice_or("cache", &["shared", "private"], "shared"))
        .transpose()?;
    let text = puzzle(seed, cache);
    let exchange = parse(&text)?;
    let analysis = analyse(&exchange)?;
    let mut out = format!("puzzle {seed}: a cache holds this response (times in seconds after its Date)\n\n");
    out.push_str(&text);
    out.push_str("\nAt `now`, is the stored response fresh or stale, what is its current age,\n");
    out.push_str("and what does the cache do: serve it, serve it stale, revalidate (with which\n");
    out.push_str("header), or go to the origin?\n");
    out.push_str(REVEAL_MARKER);
    out.push('\n');
    out.push_str(&format!(
        "{}, current age {} s, freshness lifetime {} s\n",
        if analysis.fresh { "fresh" } else { "stale" },
        analysis.age.current_age,
        analysis.freshness_lifetime
    ));
    out.push_str(&report(&exchange, &analysis));
    Ok(out)
}
// ANCHOR_END: example

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::REVEAL_MARKER;

    #[test]
    fn every_seed_gives_a_puzzle_with_one_answer() {
        let mut actions = std::collections::BTreeSet::new();
        for seed in 0..300 {
            let out = run(&format!("seed = {seed}\n")).unwrap();
            assert_eq!(out.lines().filter(|l| *l == REVEAL_MARKER).count(), 1, "{out}");
            let x = parse(&puzzle(seed, None)).unwrap();
            actions.insert(analyse(&x).unwrap().action.short());
        }
        // The generator reaches most of the calculator's decisions.
        for wanted in ["fresh", "stale", "swr", "revalidate", "forward"] {
            assert!(actions.contains(wanted), "{actions:?}");
        }
    }

    #[test]
    fn the_question_does_not_give_the_answer_away() {
        let out = run(EXAMPLE.default_input).unwrap();
        let (question, _) = out.split_once(REVEAL_MARKER).unwrap();
        assert!(!question.contains("decision"), "{question}");
    }
}
